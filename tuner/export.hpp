// `tuner export --pytorch`: one record of a results file -> one self-contained Python file, a drop-in for
// KernelBench's Model (Conv2d -> Mish -> Mish): the kernel source with kernels/'s headers inlined and the record's
// defines, a C++ launch wrapper, load_inline(...) with the functions named, class ModelNew and get_inputs /
// get_init_inputs. Pure file generation: no GPU. What each variant contributes (its launch) is an Exporter,
// registered next to the variants (variants/*_export.cpp); a variant without one is not exportable.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/problem.hpp"
#include "tuner/results.hpp"
#include "tuner/variant.hpp"

namespace convmish {

// How the exported module computes y, as C++ against the CUDA runtime and, for kCudnnConvThenMish, cuDNN (no torch
// types: the CPU tests compile it with nvcc). The code sits after the kernels in one translation unit, so it may use
// their defines and macros.
struct ExportLaunch {
  enum class Kind {
    // Our kernels compute everything. `launch` defines
    //   static size_t cm_workspace_bytes(const ConvMishArgs& a);   // device bytes the launch needs (0: none)
    //   static std::string cm_launch(const ConvMishArgs& a, void* workspace, cudaStream_t s);  // "" or the error
    kFused,
    // cuDNN computes the convolution as the record ran it (cudnnConvolutionForward with its algorithm and math
    // type, on torch's cuDNN handle and stream), cudnnAddTensor the bias unless a Mish pass adds it, then our
    // elementwise kernels run in place. `launch` defines (against cuDNN and the CUDA runtime, no torch types)
    //   struct CmConvPlan { ...; size_t workspace_bytes; };  // descriptors and algorithm for one shape
    //   static std::string cm_conv_plan(cudnnHandle_t h, int device, const ConvMishArgs& a, const CmConvPlan** plan,
    //                                   std::string* note);  // cached per device and shape; "" or the error
    //   static std::string cm_conv_describe(const CmConvPlan& p);  // "WINOGRAD_NONFUSED/FMA", ...
    //   static std::string cm_conv_then_mish(cudnnHandle_t h, const CmConvPlan& p, const ConvMishArgs& a,
    //                                        void* workspace, cudaStream_t s);  // "" or the error
    kCudnnConvThenMish,
  };
  Kind kind = Kind::kFused;
  std::vector<KernelSpec> kernels;    // compiled into the module (usually the variant's kernels())
  std::string launch;
  std::vector<std::string> summary;   // what runs, in order, for the generated file's header
  int min_cc = 0;                     // lowest compute capability, e.g. 80 for cp.async and mma.sync
  std::string cudnn_algo, cudnn_math;  // kCudnnConvThenMish only: the record's details, e.g. "WINOGRAD_NONFUSED", "FMA"
};

// What an exporter sees: the variant, the record's problem and configuration, the record and the file's metadata.
struct ExportContext {
  const Variant& variant;
  const Problem& problem;
  const Config& config;
  const Record& record;
  const nlohmann::json& meta;
};

struct Exporter {
  std::function<bool(const Variant&)> handles;
  std::function<ExportLaunch(const ExportContext&)> make;  // throws UsageError when this record cannot be exported
};
bool register_exporter(Exporter e);  // returns true, for static registration
const Exporter* find_exporter(const Variant& v);
std::vector<std::string> exportable_variant_ids();

// A shape the exported kernel runs exactly as the tuner compiled it: some of a variant's defines are functions of
// N, C, H, W, K or the bias (fused.igemm's CPAD of C, VEC of W % 4), so the export admits only the shapes for
// which the variant's kernels() give the same defines. Inferred by probing kernels() (infer_shape_rules).
struct ShapeRule {
  enum class Kind { kEqual, kMultipleOf, kNotMultipleOf, kRoundsTo };
  std::string dim;  // "N", "C", "H", "W", "K" or "bias"
  Kind kind = Kind::kEqual;
  int64_t m = 1, value = 0;  // kMultipleOf/kNotMultipleOf: m; kRoundsTo: ceil(dim / m) * m == value; kEqual: value
  bool holds(int64_t v) const;
  std::string text() const;  // "C rounded up to a multiple of 8 is 64"
};
// Throws UsageError when the variant's defines depend on the shape in a way these rules cannot describe.
std::vector<ShapeRule> infer_shape_rules(const Variant& v, const Problem& p, const Config& c);

// kernels/ text of `specs`' sources, each #include "x.cuh" replaced by that file (once; #pragma once dropped).
std::string inline_kernel_sources(const std::vector<KernelSpec>& specs);

struct ExportRequest {
  std::filesystem::path results;
  std::string variants;   // comma-separated globs over variant ids; empty: every exportable variant
  std::string precision;  // "fp32", "fp32_fastmath" or "tf32"; empty: any
  int record = -1;        // this record id; -1: the fastest ok record that matches
};

struct ExportedModule {
  std::string python;
  Record record;
  std::vector<ShapeRule> rules;
};

// Picks the record and exports it. Throws UsageError (one line) on bad input: an unreadable results file, no ok
// record that matches, a variant that is not registered or not exportable, a configuration this build rejects.
ExportedModule export_pytorch(const ExportRequest& req);
// Exports one record of variant `v`; `source` names the results file in the generated header.
ExportedModule export_record(const Variant& v, const Record& r, const nlohmann::json& meta, const std::string& source);

}  // namespace convmish
