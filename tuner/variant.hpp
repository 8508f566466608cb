// What a variant is: an id, a precision class, a parameter space with constraints, `supports` with a reason, the
// kernels it needs compiled, and an Instance that launches. A variant declares and launches; it never allocates,
// times, validates or prints (the engine does).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <nlohmann/json.hpp>

#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"

namespace convmish {

struct DeviceInfo;

// One kernel to compile with NVRTC: an embedded source, the kernel's extern "C" name, defines and options.
struct KernelSpec {
  std::string source;  // file name under kernels/
  std::string name;    // extern "C" __global__ symbol
  std::vector<std::pair<std::string, std::string>> defines;
  std::vector<std::string> options;  // extra NVRTC options, e.g. "--use_fast_math"
  bool arch_specific = false;        // compile for sm_XXa (wgmma, setmaxnreg)
};

struct Support {
  bool ok = true;
  std::string reason;
  static Support yes() { return {}; }
  static Support no(std::string why) { return {false, std::move(why)}; }
};

// Device buffers the engine owns and hands to a launch. `workspace` has Instance::workspace_bytes() bytes.
struct Buffers {
  const float* x = nullptr;
  const float* w = nullptr;
  const float* b = nullptr;  // null when the problem has no bias
  float* y = nullptr;
  void* workspace = nullptr;
};

// What the engine provides while a configuration is being instantiated.
struct LaunchEnv {
  const DeviceInfo& device;
  cudnnHandle_t cudnn;   // bound to `stream`
  cudaStream_t stream;
};

// A stage of a launch that is worth timing on its own (e.g. the Mish pass after a cuDNN convolution).
struct Part {
  std::string name;
  double bytes = 0;  // fewest bytes the part must move (0: not a memory-bound part)
};

// A configuration made ready to launch: kernels loaded, library plans made.
class Instance {
 public:
  virtual ~Instance() = default;
  virtual size_t workspace_bytes() const { return 0; }
  // Enqueue one complete computation of y on the stream; checks every launch.
  virtual void launch(const Buffers& buf, cudaStream_t stream) = 0;
  // What the record should show beyond the parameters (algorithm chosen, grid, resources).
  virtual nlohmann::json details() const { return nlohmann::json::object(); }
  // Optional stages, in launch order: launch() == launch_part(0) ... launch_part(n-1). The engine times each
  // one alone, restoring the output as the earlier parts left it before every sample.
  virtual std::vector<Part> parts() const { return {}; }
  virtual void launch_part(size_t /*index*/, const Buffers& /*buf*/, cudaStream_t /*stream*/) {}
};

// A compiled kernel as the runtime sees it (cudaLibraryGetKernel), with its resource usage.
struct LoadedKernel {
  std::string name;
  cudaKernel_t handle = nullptr;
  int registers = 0;
  size_t static_smem = 0;
  size_t local_bytes = 0;  // spills and stack
  int max_threads = 0;
};

// The arithmetic ceiling a configuration works against: what it is, and the flops one SM does per clock on it. A
// timed record gets details.ceiling: {name, flops_per_clk_per_sm, clock_mhz (the SM clock read at the end of its
// timing), tflops (the ceiling at that clock on all SMs), pct (the record's TFLOP/s as a percentage of it)}.
struct Ceiling {
  std::string name;
  double flops_per_clk_per_sm;
};
// fp32 FFMA: 128 lanes an SM, 2 flops each, on sm_86 and later (66.9 TFLOP/s on an H100 SXM at 1980 MHz); sm_70,
// sm_75 and sm_80 have 64 lanes (ffma_flops_per_clk_per_sm).
inline constexpr double kFfmaFlopsPerClkPerSm = 256.0;
double ffma_flops_per_clk_per_sm(const DeviceInfo& d);
// mma.sync m16n8k8 TF32 as measured on the H100 (325 TFLOP/s at 1980 MHz on 132 SMs, registers only, 2026-11-25);
// known for sm_90 only.
inline constexpr double kMmaSyncTf32FlopsPerClkPerSm = 325e12 / (132 * 1980e6);
// Hopper's dense TF32 tensor-core rate through wgmma: NVIDIA's datasheet figure of 494.7 TFLOP/s is 2048 flops a
// clock on 132 SMs at 1830 MHz. Taken at the measured clock like every ceiling (535 TFLOP/s at 1980 MHz), so a
// record's pct is lower than its share of 494.7.
inline constexpr double kWgmmaTf32FlopsPerClkPerSm = 2048.0;

// details.ceiling of a record that ran at `tflops` with the SM clock at `clock_mhz` on `sm_count` SMs.
nlohmann::json ceiling_json(const Ceiling& c, int sm_count, int clock_mhz, double tflops);

class Variant {
 public:
  virtual ~Variant() = default;
  virtual std::string id() const = 0;  // "family.strategy"
  std::string family() const { return id().substr(0, id().find('.')); }
  virtual std::string description() const = 0;
  virtual std::string precision(const Config& c) const = 0;  // "fp32", "fp32_fastmath", "tf32"
  virtual const ParamSpace& space() const = 0;
  virtual Support supports(const Problem&, const Config&, const DeviceInfo&) const { return Support::yes(); }
  virtual std::vector<KernelSpec> kernels(const Problem&, const Config&) const { return {}; }
  virtual std::optional<Ceiling> ceiling(const Config&, const DeviceInfo&) const { return std::nullopt; }  // none
  // The configuration as it runs on this problem: a parameter that falls back where the shape does not allow it
  // (tma:1 where W % 4 != 0, for example) takes the value it falls back to. The sweep's drawn and enumerated plans
  // leave out a configuration that runs as one already planned; explicit -c configurations all run.
  virtual Config runs_as(const Problem&, const Config& c) const { return c; }
  // `kernels` are the compiled kernels(), in the same order.
  virtual std::unique_ptr<Instance> instantiate(const Problem&, const Config&, std::vector<LoadedKernel> kernels,
                                                const LaunchEnv& env) const = 0;
};

class Registry {
 public:
  static Registry& instance();
  bool add(std::unique_ptr<Variant> v);  // returns true, for static registration
  const std::vector<std::unique_ptr<Variant>>& all() const { return variants_; }
  const Variant* find(const std::string& id) const;
  // Variants whose id matches any of the comma-separated shell globs; throws UsageError if none does.
  std::vector<const Variant*> match(const std::string& globs) const;

 private:
  std::vector<std::unique_ptr<Variant>> variants_;
};

// The configurations given with -c (each as many times as the option) that each selected variant takes, in the order
// given: a configuration goes to every selected variant whose space accepts it. UsageError, with the space's reasons,
// when a selected variant takes none of them or a configuration fits no selected variant; also for one given twice.
std::vector<std::vector<Config>> given_configs(const std::vector<const Variant*>& selected,
                                               const std::vector<Config>& given);

// In a variant's .cpp: CONVMISH_REGISTER_VARIANT(MyVariant);
#define CONVMISH_REGISTER_VARIANT(T) \
  static const bool cm_registered_##T = ::convmish::Registry::instance().add(std::make_unique<T>())

}  // namespace convmish
