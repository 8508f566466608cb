// tuner export --pytorch for the variants that run cuDNN's convolution and then Mish passes (cudnn.eager, mish.*):
// ConvThenMishInstance::launch as C++ on cuDNN and the CUDA runtime. The convolution is cudnnConvolutionForward
// with the algorithm and math type the record ran (details.cudnn_algo, details.cudnn_math: what the tuner's
// cudnnFind chose for the tuned shape), the bias cudnnAddTensor unless the first Mish pass adds it, then the
// variant's elementwise passes as launch_part(1) runs them, with the grid of mish_pass_blocks (kernels/common.cuh).
// A shape the record's algorithm does not run (cudnnGetConvolutionForwardWorkspaceSize refuses it) gets the
// algorithm cudnnFind picks under the tuner's rules (tuner/cudnn_conv.cpp), with a warning naming both.
#include <algorithm>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/cudnn_conv.hpp"
#include "tuner/export.hpp"
#include "variants/conv_then_mish.hpp"

namespace convmish {
namespace {

// The record's details[key] as one of cuDNN's names; UsageError when it is missing or not one of them.
const CudnnEnumName& recorded_name(const ExportContext& ctx, const char* key, const std::vector<CudnnEnumName>& names) {
  const nlohmann::json& d = ctx.record.details;
  const std::string where = "record " + std::to_string(ctx.record.id) + " (" + ctx.record.name() + ")";
  if (!d.is_object() || !d.contains(key) || !d.at(key).is_string())
    throw UsageError(where + " has no details." + key + ": the cuDNN convolution it ran is unknown, so it cannot be " +
                     "exported faithfully; export from a results file the tuner wrote");
  const std::string name = d.at(key).get<std::string>();
  if (const CudnnEnumName* n = find_cudnn_name(names, name)) return *n;
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + std::string(n.name);
  throw UsageError(where + ": details." + key + " '" + name + "' is not a cuDNN name this build knows (" + known + ")");
}

// The record's details (bias, passes) must describe the passes this build would launch: else the variant changed.
void expect_passes(const ExportContext& ctx, const std::vector<MishPassSpec>& passes, bool bias_by_cudnn) {
  const nlohmann::json& d = ctx.record.details;
  auto differ = [&](const std::string& what) {
    throw std::runtime_error("the record's details." + what + " differ from what the export would launch for " +
                             ctx.problem.shape_string() + ": the variant changed since the record was made, or " +
                             "variants/conv_then_mish_export.cpp no longer matches it");
  };
  if (d.contains("bias") && d["bias"] != (bias_by_cudnn ? "cudnnAddTensor" : "in the first Mish pass")) differ("bias");
  if (!d.contains("passes")) return;
  if (!d["passes"].is_array() || d["passes"].size() != passes.size()) differ("passes");
  for (size_t i = 0; i < passes.size(); ++i) {
    const nlohmann::json& r = d["passes"][i];
    const MishPassSpec& p = passes[i];
    const nlohmann::json want = {{"kernel", p.kernel}, {"count", p.count}, {"block", p.block}, {"vec", p.vec},
                                 {"form", cm::mish_form_name(p.form)}};
    for (const auto& [k, v] : want.items())
      if (r.contains(k) && r[k] != v) differ("passes[" + std::to_string(i) + "]." + k);
  }
}

// cudnnConvolutionFwdAlgo_t / cudnnMathType_t -> the name the tuner records, for messages at run time.
std::string name_switch(const char* function, const char* type, const std::vector<CudnnEnumName>& names) {
  std::string s = std::string("static const char* ") + function + "(" + type + " v) {\n  switch (v) {\n";
  for (const auto& n : names) s += std::string("    case ") + n.identifier + ": return \"" + n.name + "\";\n";
  return s + "    default: return \"UNKNOWN\";\n  }\n}\n";
}

// The convolution's plan and run: record-independent but for the constants written before it.
const char* kCudnnConv = R"CU(
static std::string cm_cudnn_error(cudnnStatus_t st, const char* call) {
  return st == CUDNN_STATUS_SUCCESS ? std::string() : std::string(call) + ": " + cudnnGetErrorString(st);
}
#define CM_CUDNN_TRY(call)                                     \
  do {                                                         \
    const std::string cm_e = cm_cudnn_error((call), #call);    \
    if (!cm_e.empty()) return cm_e + " (" + cm_shape(a) + ")"; \
  } while (0)

static std::string cm_shape(const ConvMishArgs& a) {
  return "x [" + std::to_string(a.N) + ", " + std::to_string(a.C) + ", " + std::to_string(a.H) + ", " +
         std::to_string(a.W) + "], weight [" + std::to_string(a.K) + ", " + std::to_string(a.C) + ", " +
         std::to_string(a.R) + ", " + std::to_string(a.S) + "]";
}

// cuDNN's descriptors for one shape (NCHW fp32: x, the filter, y and the bias [1, K, 1, 1]; the convolution with its
// math type), the algorithm and the workspace it needs there.
struct CmConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t algo = kCmConvAlgo;
  cudnnMathType_t math = kCmConvMath;
  size_t workspace_bytes = 0;
  bool recorded = true;  // the record's algorithm and math; false: cudnnFind's choice (the record's does not run)
  CmConvPlan() = default;
  CmConvPlan(const CmConvPlan&) = delete;
  CmConvPlan& operator=(const CmConvPlan&) = delete;
  ~CmConvPlan() {
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (b) cudnnDestroyTensorDescriptor(b);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (x) cudnnDestroyTensorDescriptor(x);
  }
};

[[maybe_unused]] static std::string cm_conv_describe(const CmConvPlan& p) {
  std::string s = std::string(cm_algo_name(p.algo)) + "/" + cm_math_name(p.math);
  if (!p.recorded)
    s += std::string(" (cudnnFind's choice: this shape does not run the record's ") + cm_algo_name(kCmConvAlgo) + ")";
  return s;
}

// The record's algorithm and math type on this shape. When cuDNN refuses that algorithm here, cudnnFind times the
// candidates and the fastest acceptable one is taken, as the tuner's CudnnConv chooses (strict fp32: FMA kernels
// only and no FFT algorithm, whose error is not fp32-class; TF32 allowed: any), and *note says so.
static std::string cm_make_conv_plan(cudnnHandle_t h, const ConvMishArgs& a, CmConvPlan& p, std::string* note) {
  CM_CUDNN_TRY(cudnnCreateTensorDescriptor(&p.x));
  CM_CUDNN_TRY(cudnnCreateTensorDescriptor(&p.y));
  CM_CUDNN_TRY(cudnnCreateTensorDescriptor(&p.b));
  CM_CUDNN_TRY(cudnnCreateFilterDescriptor(&p.w));
  CM_CUDNN_TRY(cudnnCreateConvolutionDescriptor(&p.conv));
  CM_CUDNN_TRY(cudnnSetTensor4dDescriptor(p.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, a.N, a.C, a.H, a.W));
  CM_CUDNN_TRY(cudnnSetFilter4dDescriptor(p.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, a.K, a.C, a.R, a.S));
  CM_CUDNN_TRY(cudnnSetConvolution2dDescriptor(p.conv, a.pad, a.pad, a.stride, a.stride, 1, 1,
                                               CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  CM_CUDNN_TRY(cudnnSetConvolutionMathType(p.conv, kCmConvMath));
  int n = 0, k = 0, oh = 0, ow = 0;
  CM_CUDNN_TRY(cudnnGetConvolution2dForwardOutputDim(p.conv, p.x, p.w, &n, &k, &oh, &ow));
  if (n != a.N || k != a.K || oh != a.P || ow != a.Q)
    return "cuDNN's output shape [" + std::to_string(n) + ", " + std::to_string(k) + ", " + std::to_string(oh) + ", " +
           std::to_string(ow) + "] disagrees with the module's (" + cm_shape(a) + ")";
  CM_CUDNN_TRY(cudnnSetTensor4dDescriptor(p.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, k, oh, ow));
  CM_CUDNN_TRY(cudnnSetTensor4dDescriptor(p.b, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, k, 1, 1));
  const cudnnStatus_t st =
      cudnnGetConvolutionForwardWorkspaceSize(h, p.x, p.w, p.conv, p.y, kCmConvAlgo, &p.workspace_bytes);
  if (st == CUDNN_STATUS_SUCCESS) return std::string();

  // Not this shape: cudnnFind, as the tuner's CudnnConv without a fixed algorithm.
  CM_CUDNN_TRY(cudnnSetConvolutionMathType(p.conv, kCmConvTf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int found = 0;
  CM_CUDNN_TRY(cudnnFindConvolutionForwardAlgorithm(h, p.x, p.w, p.conv, p.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                    &found, perf));
  bool chosen = false;
  for (int i = 0; i < found && !chosen; ++i) {  // sorted by time
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    const bool fft =
        perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT || perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING;
    if (!kCmConvTf32 && (perf[i].mathType != CUDNN_FMA_MATH || fft)) continue;
    p.algo = perf[i].algo;
    p.math = perf[i].mathType;
    chosen = true;
  }
  const std::string refused = std::string("cuDNN does not run the record's convolution algorithm ") +
                              cm_algo_name(kCmConvAlgo) + " (math " + cm_math_name(kCmConvMath) + ") for " +
                              cm_shape(a) + " (" + cudnnGetErrorString(st) + ")";
  if (!chosen) return refused + ", and cudnnFind found no other algorithm the record's precision class admits";
  p.recorded = false;
  CM_CUDNN_TRY(cudnnSetConvolutionMathType(p.conv, p.math));
  CM_CUDNN_TRY(cudnnGetConvolutionForwardWorkspaceSize(h, p.x, p.w, p.conv, p.y, p.algo, &p.workspace_bytes));
  *note = "convmish: " + refused + "; this shape runs " + cm_algo_name(p.algo) + " (math " + cm_math_name(p.math) +
          "), chosen by cudnnFind as the tuner would. Tune and export for this shape to run a measured algorithm.";
  return std::string();
}

// The plan for this device and shape, made once and kept for the life of the process (cuDNN descriptors are
// host objects; like torch's cuDNN handles they are never destroyed, so nothing runs at exit). *note is set only
// when the plan is made.
[[maybe_unused]] static std::string cm_conv_plan(cudnnHandle_t h, int device, const ConvMishArgs& a,
                                                 const CmConvPlan** plan, std::string* note) {
  static std::mutex mutex;
  static auto* plans = new std::map<std::array<int, 6>, const CmConvPlan*>();
  const std::array<int, 6> key = {device, a.N, a.C, a.H, a.W, a.K};  // R, S, stride and padding are compiled in
  const std::lock_guard<std::mutex> lock(mutex);
  const auto it = plans->find(key);
  if (it != plans->end()) {
    *plan = it->second;
    return std::string();
  }
  std::unique_ptr<CmConvPlan> p(new CmConvPlan());
  const std::string err = cm_make_conv_plan(h, a, *p, note);
  if (!err.empty()) return err;
  *plan = (*plans)[key] = p.release();
  return std::string();
}

// What ConvThenMishInstance::launch does: the convolution, the bias by cudnnAddTensor unless a Mish pass adds it,
// then the passes. `h` must run on `s` (cudnnSetStream).
[[maybe_unused]] static std::string cm_conv_then_mish(cudnnHandle_t h, const CmConvPlan& p, const ConvMishArgs& a,
                                                      void* workspace, cudaStream_t s) {
  const float one = 1.f, zero = 0.f;
  const cudnnStatus_t st = cudnnConvolutionForward(h, &one, p.x, a.x, p.w, a.w, p.conv, p.algo, workspace,
                                                   p.workspace_bytes, &zero, p.y, a.y);
  if (st != CUDNN_STATUS_SUCCESS)
    return std::string("cudnnConvolutionForward with ") + cm_conv_describe(p) + " on " + cm_shape(a) + ": " +
           cudnnGetErrorString(st);
  if (a.b && kCmBiasByCudnn) CM_CUDNN_TRY(cudnnAddTensor(h, &one, p.b, a.b, &one, p.y, a.y));
  return cm_mish_passes(a.y, a.b, (long long)a.N * a.K * a.P * a.Q, (long long)a.P * a.Q, a.K, s);
}
)CU";

ExportLaunch conv_then_mish(const ExportContext& ctx) {
  const auto& v = dynamic_cast<const ConvThenMishVariant&>(ctx.variant);
  const auto passes = v.passes(ctx.problem, ctx.config);
  const bool tf32 = ConvThenMishVariant::tf32(ctx.config);
  const CudnnEnumName& algo = recorded_name(ctx, "cudnn_algo", cudnn_fwd_algo_names());
  const CudnnEnumName& math = recorded_name(ctx, "cudnn_math", cudnn_math_names());
  const std::string algo_name = algo.name, math_name = math.name;
  if (!tf32 && (math_name != "FMA" || algo_name.rfind("FFT", 0) == 0))
    throw UsageError("record " + std::to_string(ctx.record.id) + " (" + ctx.record.name() + "): details.cudnn_algo " +
                     algo_name + " with math " + math_name + " is not what the tuner runs for tf32:0 (FMA math, " +
                     "no FFT): the results file is not the tuner's");
  const bool bias_by_cudnn = std::none_of(passes.begin(), passes.end(), [](const MishPassSpec& s) { return s.bias; });
  expect_passes(ctx, passes, bias_by_cudnn);

  ExportLaunch l;
  l.kind = ExportLaunch::Kind::kCudnnConvThenMish;
  l.kernels = v.kernels(ctx.problem, ctx.config);
  l.cudnn_algo = algo_name;
  l.cudnn_math = math_name;
  l.summary.push_back("cudnnConvolutionForward, algorithm " + algo_name + ", math " + math_name +
                      " (the record's; " + (tf32 ? "TF32 tensor cores allowed" : "strict fp32") +
                      "), on torch's cuDNN handle and stream, workspace from torch's caching allocator");
  if (ctx.problem.bias && bias_by_cudnn) l.summary.push_back("cudnnAddTensor: the bias");

  std::ostringstream s;
  s << "// The convolution as the record ran it: details.cudnn_algo and details.cudnn_math.\n"
    << "static const cudnnConvolutionFwdAlgo_t kCmConvAlgo = " << algo.identifier << ";\n"
    << "static const cudnnMathType_t kCmConvMath = " << math.identifier << ";\n"
    << "// The record's tf32 setting: what cudnnFind may choose for a shape the record's algorithm does not run.\n"
    << "static const bool kCmConvTf32 = " << (tf32 ? "true" : "false") << ";\n"
    << "// The bias: cudnnAddTensor after the convolution (true) or inside the first Mish pass (false).\n"
    << "static const bool kCmBiasByCudnn = " << (bias_by_cudnn ? "true" : "false") << ";\n\n"
    << name_switch("cm_algo_name", "cudnnConvolutionFwdAlgo_t", cudnn_fwd_algo_names())
    << name_switch("cm_math_name", "cudnnMathType_t", cudnn_math_names());

  s << "\nstatic std::string cm_mish_passes(float* y, const float* bias, long long n, long long pq, int K,\n"
       "                                  cudaStream_t s) {\n"
       "  (void)bias;\n"
       "  int device = 0, sms = 0, threads_per_sm = 0;\n"
       "  if (cudaGetDevice(&device) != cudaSuccess ||\n"
       "      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||\n"
       "      cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device) != cudaSuccess)\n"
       "    return cm_launch_error(\"device attributes\");\n";
  for (size_t i = 0; i < passes.size(); ++i) {
    const MishPassSpec& p = passes[i];
    const bool vec4 = p.kernel == "mish_vec4";
    std::ostringstream what;
    what << p.kernel << ": " << (p.bias ? "bias + " : "") << "Mish x" << p.count << " (" << cm::mish_form_name(p.form)
         << "), " << p.block << " threads" << (vec4 ? ", " + std::to_string(p.vec) + " float4 per thread" : "")
         << (p.grid_stride ? ", grid-stride (one wave)" : "");
    l.summary.push_back("pass " + std::to_string(i + 1) + ": " + what.str());
    s << "  {  // pass " << i + 1 << ": " << what.str() << "\n"
      << "    const MishArgs a{y, " << (p.bias ? "bias" : "nullptr") << ", n, pq, K, " << p.count << "};\n"
      << "    const long long blocks = mish_pass_blocks(n, " << (vec4 ? "true" : "false") << ", " << p.block << ", "
      << p.vec << ", " << (p.grid_stride ? "true" : "false") << ", sms, threads_per_sm);\n"
      << "    " << p.kernel << "<<<dim3((unsigned)blocks), dim3(" << p.block << "), 0, s>>>(a);\n"
      << "    const std::string e = cm_launch_error(\"" << p.kernel << "\");\n"
      << "    if (!e.empty()) return e;\n"
      << "  }\n";
  }
  s << "  return std::string();\n}\n";
  s << kCudnnConv;
  l.launch = s.str();
  return l;
}

const bool registered = register_exporter(
    {[](const Variant& v) { return dynamic_cast<const ConvThenMishVariant*>(&v) != nullptr; }, conv_then_mish});

}  // namespace
}  // namespace convmish
