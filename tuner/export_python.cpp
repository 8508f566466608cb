// The text of an exported module (tuner export --pytorch): the CUDA translation unit (includes, the record's
// defines, the kernels with their headers inlined, launch helpers, the variant's launch, the torch binding) and the
// Python file around it (load_inline, ModelNew, get_inputs / get_init_inputs). Templates with @@NAME@@ holes.
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "tuner/export.hpp"
#include "tuner/rtc.hpp"
#include "tuner/build_info.hpp"

namespace convmish {
namespace {

// Replaces every @@NAME@@ of `text` by vars[NAME], in one pass (a value is never scanned for holes).
std::string fill(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  size_t at = 0;
  for (size_t open = text.find("@@"); open != std::string::npos; open = text.find("@@", at)) {
    const size_t close = text.find("@@", open + 2);
    const auto it = close == std::string::npos ? vars.end() : vars.find(text.substr(open + 2, close - open - 2));
    if (it == vars.end()) throw std::logic_error("export template hole without a value: " + text.substr(open, 40));
    out.append(text, at, open - at).append(it->second);
    at = close + 2;
  }
  return out.append(text, at, std::string::npos);
}

// A Python literal for a JSON value (JSON strings are valid Python strings).
std::string py(const nlohmann::json& j) {
  if (j.is_null()) return "None";
  if (j.is_boolean()) return j.get<bool>() ? "True" : "False";
  if (j.is_array()) {
    std::string s = "[";
    for (const auto& e : j) s += (s.size() > 1 ? ", " : "") + py(e);
    return s + "]";
  }
  if (j.is_object()) {
    std::string s = "{";
    for (const auto& [k, v] : j.items()) s += (s.size() > 1 ? ", " : "") + nlohmann::json(k).dump() + ": " + py(v);
    return s + "}";
  }
  return j.dump();
}

// A Python literal holding `text` verbatim: a raw triple-quoted string where that is exact, else an escaped one.
std::string py_text(const std::string& text) {
  if (text.find("\"\"\"") == std::string::npos && (text.empty() || text.back() != '\\')) return "r\"\"\"" + text + "\"\"\"";
  return nlohmann::json(text).dump();
}

std::string hex(uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf).substr(16 - digits);
}

// NVRTC options with an nvcc twin (same spelling); anything else cannot be exported faithfully.
std::vector<std::string> nvcc_options(const std::vector<std::string>& nvrtc) {
  static const char* kSame[] = {"--use_fast_math", "-use_fast_math", "--ftz=", "--prec-div=", "--prec-sqrt=",
                                "--fmad=",         "--maxrregcount=", "-maxrregcount=", "--extra-device-vectorization"};
  std::vector<std::string> out;
  for (const auto& o : nvrtc) {
    bool known = false;
    for (const char* s : kSame) known = known || o.rfind(s, 0) == 0;
    if (!known) throw std::runtime_error("NVRTC option " + o + " has no known nvcc equivalent");
    out.push_back(o);
  }
  return out;
}

const char* kHostHelpers = R"CU(
// ---- launch helpers (tuner/export_python.cpp) ----
// Filter size, stride, padding and Mish applications, compiled in at export.
[[maybe_unused]] constexpr int kCmR = @@R@@, kCmS = @@S@@, kCmStride = @@STRIDE@@, kCmPad = @@PAD@@, kCmMishCount = @@MISH@@;

// The error of the launch just made, named ("" when none), as the tuner checks every launch.
static std::string cm_launch_error(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return std::string();
  return std::string(kernel) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
}

// More than 48 KB of dynamic shared memory has to be asked for, as the tuner's launch does.
[[maybe_unused]] static std::string cm_dynamic_smem(const void* kernel, const char* name, size_t bytes) {
  if (bytes <= 48 * 1024) return std::string();
  const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes);
  if (e == cudaSuccess) return std::string();
  return std::string(name) + ": " + std::to_string(bytes) + " B of dynamic shared memory: " + cudaGetErrorString(e);
}
)CU";

const char* kArgsBinding = R"CU(
// ---- torch binding: tensors in, checked; y out ----
static ConvMishArgs cm_args(const at::Tensor& x, const at::Tensor& w, const std::optional<at::Tensor>& b) {
  TORCH_CHECK(x.is_cuda() && x.scalar_type() == at::kFloat && x.dim() == 4 && x.is_contiguous(),
              "convmish: x must be a contiguous float32 CUDA tensor [N, C, H, W]; got ", x.scalar_type(), " ",
              x.sizes(), " on ", x.device());
  TORCH_CHECK(w.device() == x.device() && w.scalar_type() == at::kFloat && w.dim() == 4 && w.is_contiguous() &&
                  w.size(1) == x.size(1) && w.size(2) == kCmR && w.size(3) == kCmS,
              "convmish: weight must be a contiguous float32 tensor [K, ", x.size(1), ", ", kCmR, ", ", kCmS,
              "] on x's device; got ", w.scalar_type(), " ", w.sizes(), " on ", w.device());
  if (b)
    TORCH_CHECK(b->device() == x.device() && b->scalar_type() == at::kFloat && b->is_contiguous() &&
                    b->numel() == w.size(0),
                "convmish: bias must be a contiguous float32 tensor [", w.size(0), "] on x's device");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), K = w.size(0);
  TORCH_CHECK(H + 2 * kCmPad >= kCmR && W + 2 * kCmPad >= kCmS, "convmish: the image is smaller than the filter");
  const int64_t P = (H + 2 * kCmPad - kCmR) / kCmStride + 1, Q = (W + 2 * kCmPad - kCmS) / kCmStride + 1;
  const double kMax = 2147483647.0;
  TORCH_CHECK(double(N) * C * H * W <= kMax && double(K) * C * kCmR * kCmS <= kMax && double(N) * K * P * Q <= kMax,
              "convmish: x, weight and y may hold at most 2^31-1 elements each");
  ConvMishArgs a{};
  a.x = x.data_ptr<float>();
  a.w = w.data_ptr<float>();
  a.b = b ? b->data_ptr<float>() : nullptr;
  a.y = nullptr;
  a.N = int(N), a.C = int(C), a.H = int(H), a.W = int(W), a.K = int(K), a.R = kCmR, a.S = kCmS;
  a.P = int(P), a.Q = int(Q), a.stride = kCmStride, a.pad = kCmPad, a.mish_count = kCmMishCount;
  return a;
}
)CU";

const char* kFusedBinding = R"CU(
int64_t conv_mish_workspace_bytes(at::Tensor x, at::Tensor weight) {
  return int64_t(cm_workspace_bytes(cm_args(x, weight, std::nullopt)));
}

at::Tensor conv_mish_forward(at::Tensor x, at::Tensor weight, std::optional<at::Tensor> bias,
                             std::optional<at::Tensor> workspace) {
  ConvMishArgs a = cm_args(x, weight, bias);
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor y = at::empty({int64_t(a.N), int64_t(a.K), int64_t(a.P), int64_t(a.Q)}, x.options());
  if (y.numel() == 0) return y;
  a.y = y.data_ptr<float>();
  const size_t need = cm_workspace_bytes(a);
  void* ws = nullptr;
  if (need > 0) {
    TORCH_CHECK(workspace && workspace->device() == x.device() && workspace->is_contiguous() &&
                    size_t(workspace->nbytes()) >= need,
                "convmish: a workspace of ", need, " bytes on x's device is needed");
    ws = workspace->data_ptr();
  }
  const std::string err = cm_launch(a, ws, at::cuda::getCurrentCUDAStream());
  TORCH_CHECK(err.empty(), "convmish: ", err);
  return y;
}
)CU";

const char* kFusedDecls = R"CU(#include <optional>
at::Tensor conv_mish_forward(at::Tensor x, at::Tensor weight, std::optional<at::Tensor> bias,
                             std::optional<at::Tensor> workspace);
int64_t conv_mish_workspace_bytes(at::Tensor x, at::Tensor weight);
)CU";

const char* kCudnnBinding = R"CU(
// torch's cuDNN handle for the current device and thread (ATen's pool), on torch's current stream.
static cudnnHandle_t cm_cudnn_handle() {
  const cudnnHandle_t h = at::native::getCudnnHandle();
  const cudnnStatus_t st = cudnnSetStream(h, at::cuda::getCurrentCUDAStream());
  TORCH_CHECK(st == CUDNN_STATUS_SUCCESS, "convmish: cudnnSetStream: ", cudnnGetErrorString(st));
  return h;
}

static const CmConvPlan& cm_conv_plan_for(const ConvMishArgs& a, const at::Tensor& x, cudnnHandle_t h) {
  const CmConvPlan* plan = nullptr;
  std::string note;
  const std::string err = cm_conv_plan(h, int(x.get_device()), a, &plan, &note);
  TORCH_CHECK(err.empty(), "convmish: ", err);
  if (!note.empty()) TORCH_WARN(note);  // once per device and shape: when the plan is made
  return *plan;
}

// The convolution's algorithm and math type for x's shape ("WINOGRAD_NONFUSED/FMA"); makes the plan if need be.
std::string conv_mish_algorithm(at::Tensor x, at::Tensor weight) {
  const ConvMishArgs a = cm_args(x, weight, std::nullopt);
  if (int64_t(a.N) * a.K * a.P * a.Q == 0) return "none (empty output)";
  const c10::cuda::CUDAGuard guard(x.device());
  return cm_conv_describe(cm_conv_plan_for(a, x, cm_cudnn_handle()));
}

at::Tensor conv_mish_forward(at::Tensor x, at::Tensor weight, std::optional<at::Tensor> bias) {
  ConvMishArgs a = cm_args(x, weight, bias);
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor y = at::empty({int64_t(a.N), int64_t(a.K), int64_t(a.P), int64_t(a.Q)}, x.options());
  if (y.numel() == 0) return y;
  a.y = y.data_ptr<float>();
  const cudnnHandle_t h = cm_cudnn_handle();
  const CmConvPlan& plan = cm_conv_plan_for(a, x, h);
  at::Tensor workspace;  // torch's caching allocator, on the current stream (freed for reuse after this call)
  if (plan.workspace_bytes > 0)
    workspace = at::empty({int64_t(plan.workspace_bytes)}, x.options().dtype(at::kByte));
  const std::string err = cm_conv_then_mish(h, plan, a, workspace.defined() ? workspace.data_ptr() : nullptr,
                                            at::cuda::getCurrentCUDAStream());
  TORCH_CHECK(err.empty(), "convmish: ", err);
  return y;
}

// The cuDNN this process runs (torch's libcudnn): major * 10000 + minor * 100 + patch.
int64_t cudnn_version() { return int64_t(cudnnGetVersion()); }
)CU";

const char* kCudnnDecls = R"CU(#include <optional>
at::Tensor conv_mish_forward(at::Tensor x, at::Tensor weight, std::optional<at::Tensor> bias);
std::string conv_mish_algorithm(at::Tensor x, at::Tensor weight);
int64_t cudnn_version();
)CU";

const char* kPython = R"PY(@@HEADER@@
import torch
import torch.nn as nn

# The record this file was exported from and the problem it was tuned and validated on.
EXPORT = @@EXPORT@@

# Compiled in at export: filter size, stride, padding, Mish applications, and the shapes the kernel admits beyond
# those (SHAPE_RULES: dimension, rule, m, value, text; see unsupported_reason).
KERNEL_SIZE = (@@R@@, @@S@@)
STRIDE = @@STRIDE@@
PADDING = @@PAD@@
MISH_COUNT = @@MISH@@
SHAPE_RULES = @@RULES@@
MIN_COMPUTE_CAPABILITY = (@@CC_MAJOR@@, @@CC_MINOR@@)
@@KIND_CONSTANTS@@
EXTENSION_NAME = "@@NAME@@"
FUNCTIONS = @@FUNCTIONS@@
NVCC_FLAGS = @@NVCC_FLAGS@@
EXTRA_LDFLAGS = @@LDFLAGS@@
ARCH_SUFFIX = "@@ARCH_SUFFIX@@"  # "a": the kernel uses architecture-specific instructions (sm_90a)

# Declarations for load_inline's Python bindings (it prepends #include <torch/extension.h>).
CPP_SOURCE = @@CPP_SOURCE@@

# One translation unit: the record's defines, kernels/ with its headers inlined, the launch and the torch binding.
CUDA_SOURCE = @@CUDA_SOURCE@@

_INT_MAX = 2**31 - 1
_by_device = {}
_by_arch = {}


def _extension(device):
    """The compiled extension for `device`'s GPU: load_inline builds it the first time (nvcc, about a minute; cached
    on disk under $TORCH_EXTENSIONS_DIR, by default ~/.cache/torch_extensions) and loads it once per process."""
    index = device.index if device.index is not None else torch.cuda.current_device()
    ext = _by_device.get(index)
    if ext is not None:
        return ext
    major, minor = torch.cuda.get_device_capability(index)
    if (major, minor) < MIN_COMPUTE_CAPABILITY:
        raise RuntimeError(
            f"ModelNew: {EXPORT['variant']} needs compute capability {MIN_COMPUTE_CAPABILITY[0]}."
            f"{MIN_COMPUTE_CAPABILITY[1]} or newer; {torch.cuda.get_device_name(index)} is {major}.{minor}"
        )
    if ARCH_SUFFIX and (major, minor) != MIN_COMPUTE_CAPABILITY:
        raise RuntimeError(
            f"ModelNew: {EXPORT['variant']} uses sm_{MIN_COMPUTE_CAPABILITY[0]}{MIN_COMPUTE_CAPABILITY[1]}a "
            f"architecture-specific instructions that only compute capability "
            f"{MIN_COMPUTE_CAPABILITY[0]}.{MIN_COMPUTE_CAPABILITY[1]} runs; "
            f"{torch.cuda.get_device_name(index)} is {major}.{minor}"
        )
    arch = f"{major}{minor}{ARCH_SUFFIX}"
    ext = _by_arch.get(arch)
    if ext is None:
        from torch.utils.cpp_extension import load_inline

        ext = load_inline(
            name=f"{EXTENSION_NAME}_sm{arch}",
            cpp_sources=CPP_SOURCE,
            cuda_sources=CUDA_SOURCE,
            functions=FUNCTIONS,
            extra_cflags=["-O2"],
            extra_cuda_cflags=NVCC_FLAGS + [f"-gencode=arch=compute_{arch},code=sm_{arch}"],
            extra_ldflags=EXTRA_LDFLAGS,
            verbose=False,
        )
        _by_arch[arch] = ext
    _by_device[index] = ext
    return ext


def _rule_holds(rule, value):
    _, kind, m, v, _ = rule
    if kind == "equal":
        return value == v
    if kind == "multiple_of":
        return value % m == 0
    if kind == "not_multiple_of":
        return value % m != 0
    return (value + m - 1) // m * m == v  # rounds_to


def unsupported_reason(x_shape, out_channels, bias=True):
    """None when ModelNew(x_shape[1], out_channels, KERNEL_SIZE, bias=bias) runs an input of x_shape with the
    compiled kernel, else the reason it does not."""
    if len(x_shape) != 4:
        return f"x must have 4 dimensions [N, C, H, W]; got shape {tuple(x_shape)}"
    n, c, h, w = (int(d) for d in x_shape)
    k = int(out_channels)
    r, s = KERNEL_SIZE
    if n < 0 or min(c, h, w, k) < 1:
        return f"empty dimensions: x {tuple(x_shape)}, {k} output channels"
    if h + 2 * PADDING < r or w + 2 * PADDING < s:
        return f"the {h}x{w} image (padding {PADDING}) is smaller than the {r}x{s} filter"
    p = (h + 2 * PADDING - r) // STRIDE + 1
    q = (w + 2 * PADDING - s) // STRIDE + 1
    for name, elems in (("x", n * c * h * w), ("weight", k * c * r * s), ("y", n * k * p * q)):
        if elems > _INT_MAX:
            return f"{name} would hold {elems} elements; the kernels index at most 2^31-1"
    dims = {"N": n, "C": c, "H": h, "W": w, "K": k, "bias": int(bool(bias))}
    for rule in SHAPE_RULES:
        if not _rule_holds(rule, dims[rule[0]]):
            return (
                f"the exported kernel was compiled for {rule[4]} ({rule[0]} is {dims[rule[0]]} here); tune and "
                f"export for this shape (tuner -p N,C,H,W,K,R then tuner export --pytorch)"
            )
    return None


def _pair(v, what):
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(i, int) for i in v):
        return (int(v[0]), int(v[1]))
    raise TypeError(f"ModelNew: {what} must be an int or a pair of ints; got {v!r}")


class _ForwardOnly(torch.autograd.Function):
    """Puts the kernel's output in the autograd graph, so that backward fails with a clear message."""

    @staticmethod
    def forward(ctx, run, plan, x, weight, bias):
        return run(plan, x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "ModelNew computes the forward pass only (the exported kernel has no backward): train the original "
            "Model and load its state_dict into ModelNew"
        )


class ModelNew(nn.Module):
    """Model(in_channels, out_channels, kernel_size) = Conv2d -> Mish x MISH_COUNT, computed by the exported kernel.
    self.conv is an nn.Conv2d, so state_dict() has the original's keys and shapes."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=STRIDE, padding=PADDING, bias=True):
        super().__init__()
        for what, got, want in (
            ("kernel_size", kernel_size, KERNEL_SIZE),
            ("stride", stride, (STRIDE, STRIDE)),
            ("padding", padding, (PADDING, PADDING)),
        ):
            if _pair(got, what) != want:
                raise ValueError(
                    f"ModelNew: this export was compiled for {what} {want}, got {got!r}; tune and export for that "
                    f"shape (tuner -p N,C,H,W,K,R[,S[,stride[,pad]]] then tuner export --pytorch)"
                )
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias)
        self._plans = {}  # (x's shape, device, bias or not) -> _plan(x, weight), for the shapes already checked
        self._workspace = None
        if torch.cuda.is_available():  # compile now, not in the first forward (without a GPU: at the first forward)
            _extension(torch.device("cuda", torch.cuda.current_device()))

    def _check(self, x, weight):
        """Every call: what the kernel reads (type, rank, dtype, device, layout)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"ModelNew.forward expects a torch.Tensor; got {type(x).__name__}")
        if x.dim() != 4:
            raise ValueError(f"ModelNew.forward expects x of shape [N, C, H, W]; got {tuple(x.shape)}")
        if x.dtype != torch.float32:
            raise TypeError(f"ModelNew's kernel computes in float32; x is {x.dtype} (pass x.float())")
        if weight.dtype != torch.float32:
            raise TypeError(f"ModelNew's parameters must be float32; they are {weight.dtype} (call model.float())")
        if x.device.type != "cuda":
            raise ValueError(f"ModelNew runs on CUDA tensors; x is on {x.device}")
        if weight.device != x.device:
            raise ValueError(f"x is on {x.device} but ModelNew's parameters are on {weight.device} (model.to(x.device))")
        if not x.is_contiguous():
            raise ValueError(
                "ModelNew needs x contiguous in NCHW order (channels_last and strided views are not supported): "
                "pass x.contiguous()"
            )

    def _check_shape(self, x, bias):
        """Once per shape: what the compiled kernel admits."""
        if x.shape[1] != self.conv.in_channels:
            raise ValueError(f"x has {x.shape[1]} channels; ModelNew was built for {self.conv.in_channels}")
        why = unsupported_reason(x.shape, self.conv.out_channels, bias is not None)
        if why is not None:
            raise ValueError(f"ModelNew: {why}")

    def forward(self, x):
        weight, bias = self.conv.weight, self.conv.bias
        self._check(x, weight)
        weight = weight.contiguous()
        bias = None if bias is None else bias.contiguous()
        key = (tuple(x.shape), x.device, bias is not None)
        plan = self._plans.get(key)
        if plan is None:
            self._check_shape(x, bias)
            plan = self._plans[key] = self._plan(x, weight)
        if torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad)):
            return _ForwardOnly.apply(self._run, plan, x, weight, bias)
        return self._run(plan, x, weight, bias)
@@RUN@@

# KernelBench's inputs for the shape the kernel was tuned on.
batch_size = @@N@@
in_channels = @@C@@
out_channels = @@K@@
height, width = @@H@@, @@W@@
kernel_size = @@KERNEL_SIZE@@


def get_inputs():
    return [torch.rand(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size@@EXTRA_INIT@@]
)PY";

const char* kFusedRun = R"PY(
    def _plan(self, x, weight):
        return _extension(x.device).conv_mish_workspace_bytes(x, weight)

    def _run(self, need, x, weight, bias):
        workspace = None
        if need > 0:  # allocated once per device and size, reused by every forward
            workspace = self._workspace
            if workspace is None or workspace.device != x.device or workspace.numel() < need:
                workspace = self._workspace = torch.empty(need, dtype=torch.uint8, device=x.device)
        return _extension(x.device).conv_mish_forward(x, weight, bias, workspace)
)PY";

const char* kCudnnRun = R"PY(
    def _plan(self, x, weight):
        # cuDNN's descriptors for this shape, made once (and kept in the extension): the record's algorithm, or
        # where cuDNN does not run it for this shape, cudnnFind's choice with a warning. Returns "ALGO/MATH".
        return _extension(x.device).conv_mish_algorithm(x, weight)

    def _run(self, algorithm, x, weight, bias):
        # cudnnConvolutionForward with the record's algorithm and math on torch's cuDNN handle and stream, the bias,
        # then the exported Mish kernel in place, all in the extension.
        return _extension(x.device).conv_mish_forward(x, weight, bias)
)PY";

std::string comment_block(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l.empty() ? "#\n" : "# " + l + "\n";
  return s;
}

std::string rule_kind(ShapeRule::Kind k) {
  switch (k) {
    case ShapeRule::Kind::kEqual: return "equal";
    case ShapeRule::Kind::kMultipleOf: return "multiple_of";
    case ShapeRule::Kind::kNotMultipleOf: return "not_multiple_of";
    case ShapeRule::Kind::kRoundsTo: return "rounds_to";
  }
  return "equal";
}

}  // namespace

std::string render_python_module(const ExportContext& ctx, const ExportLaunch& launch,
                                 const std::vector<ShapeRule>& rules, const std::string& source) {
  const Problem& p = ctx.problem;
  const Record& r = ctx.record;
  const bool fused = launch.kind == ExportLaunch::Kind::kFused;
  if (launch.kernels.empty()) throw std::logic_error(r.variant + ": the exporter names no kernel");

  // One translation unit: every kernel must be compiled with the same defines and options.
  const auto& first = launch.kernels.front();
  bool arch_specific = false;
  for (const auto& k : launch.kernels) {
    if (k.defines != first.defines || k.options != first.options)
      throw std::runtime_error("its kernels need different defines or options, and an export is one translation unit");
    arch_specific = arch_specific || k.arch_specific;
  }
  std::vector<std::string> nvcc_flags = {"-O3", "-lineinfo"};
  for (const auto& o : nvcc_options(first.options)) nvcc_flags.push_back(o);

  const std::map<std::string, std::string> shape = {{"R", std::to_string(p.R)},
                                                    {"S", std::to_string(p.S)},
                                                    {"STRIDE", std::to_string(p.stride)},
                                                    {"PAD", std::to_string(p.pad)},
                                                    {"MISH", std::to_string(p.mish_count)}};
  std::string cuda = "// " + r.name() + " (" + r.precision + "), exported by tuner export --pytorch from " + source +
                     " record " + std::to_string(r.id) + ".\n";
  cuda += "#if !defined(__CUDACC_RTC__)\n#include <cuda_runtime.h>\n#include <string>\n";
  if (!fused) cuda += "#include <array>\n#include <map>\n#include <memory>\n#include <mutex>\n\n#include <cudnn.h>\n";
  cuda += "#if !defined(CONVMISH_EXPORT_NO_TORCH)\n#include <optional>\n#include <torch/types.h>\n"
          "#include <ATen/cuda/CUDAContext.h>\n#include <c10/cuda/CUDAGuard.h>\n";
  if (!fused) cuda += "#include <ATen/cudnn/Handle.h>  // at::native::getCudnnHandle\n";
  cuda += "#endif\n#endif\n\n";
  cuda += "// ---- the configuration: the defines the tuner passed to NVRTC ----\n";
  for (const auto& [name, value] : first.defines) cuda += "#define " + name + " " + value + "\n";
  cuda += "\n" + inline_kernel_sources(launch.kernels);
  cuda += "\n#if !defined(__CUDACC_RTC__)  // host code: NVRTC compiles the kernels above alone\n";
  cuda += fill(kHostHelpers, shape);
  cuda += "\n// ---- launch: what " + r.variant + "'s Instance::launch does (variants/*_export.cpp) ----\n";
  cuda += launch.launch;
  cuda += "\n#if !defined(CONVMISH_EXPORT_NO_TORCH)\n";
  cuda += kArgsBinding;
  cuda += fused ? kFusedBinding : kCudnnBinding;
  cuda += "#endif  // CONVMISH_EXPORT_NO_TORCH\n#endif  // __CUDACC_RTC__\n";
  const std::string cpp = fused ? kFusedDecls : kCudnnDecls;
  const nlohmann::json functions = fused ? nlohmann::json{"conv_mish_forward", "conv_mish_workspace_bytes"}
                                         : nlohmann::json{"conv_mish_forward", "conv_mish_algorithm", "cudnn_version"};
  // cudnnConvolutionForward and friends: libcudnn.so.9 (torch's own, already loaded when the extension is).
  const nlohmann::json ldflags = fused ? nlohmann::json::array() : nlohmann::json{"-lcudnn"};
  std::string name = "convmish_" + r.variant;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  name += "_" + hex(fnv1a64(cpp + cuda + nlohmann::json(nvcc_flags).dump() + ldflags.dump()), 12);

  // The record and the problem, as metadata.
  const nlohmann::json& dev = ctx.meta.contains("device") ? ctx.meta["device"] : nlohmann::json::object();
  const nlohmann::json problem = {{"N", p.N},       {"C", p.C},           {"H", p.H},       {"W", p.W},
                                  {"K", p.K},       {"R", p.R},           {"S", p.S},       {"stride", p.stride},
                                  {"pad", p.pad},   {"bias", p.bias},     {"mish_count", p.mish_count},
                                  {"shape", p.shape_string()}};
  nlohmann::json exported = {
      {"results", source},
      {"record", r.id},
      {"name", r.name()},
      {"variant", r.variant},
      {"config", r.params},
      {"precision", r.precision},
      {"tuner_median_ms", r.timing->median_ms},
      {"tuner_device", dev.value("name", "")},
      {"tuner_commit", ctx.meta.value("git_commit", "")},
      {"tuned_utc", ctx.meta.value("started_utc", "")},
      {"problem", problem},
      {"kind", fused ? "fused" : "cudnn_conv_then_mish"},
      {"exported_by", std::string("convmish ") + CONVMISH_VERSION + " " + CONVMISH_GIT_COMMIT}};
  if (!fused) {
    exported["cudnn_algo"] = launch.cudnn_algo;
    exported["cudnn_math"] = launch.cudnn_math;
    const auto v = ctx.meta.find("cudnn_version");
    exported["tuner_cudnn"] = v != ctx.meta.end() && v->is_string() ? v->get<std::string>() : "unknown";
  }

  nlohmann::json rules_json = nlohmann::json::array();
  std::string rules_text;
  for (const auto& rule : rules) {
    rules_json.push_back({rule.dim, rule_kind(rule.kind), rule.m, rule.value, rule.text()});
    rules_text += (rules_text.empty() ? "" : ", ") + rule.text();
  }
  std::string rules_py = "[";
  for (const auto& j : rules_json) rules_py += (rules_py.size() > 1 ? ", " : "") + std::string("(") + py(j[0]) + ", " +
                                               py(j[1]) + ", " + py(j[2]) + ", " + py(j[3]) + ", " + py(j[4]) + ")";
  rules_py += "]";

  std::vector<std::string> header = {
      "model_new.py: generated by `tuner export --pytorch` (" + exported["exported_by"].get<std::string>() +
          "); re-export rather than edit.",
      "",
      "From " + source + ", record " + std::to_string(r.id) + ": " + r.name(),
      "  precision class " + r.precision + "; tuner median " + std::to_string(r.timing->median_ms) + " ms on " +
          dev.value("name", std::string("an unnamed GPU")) + " (" + p.shape_string() + ", Mish x" +
          std::to_string(p.mish_count) + (p.bias ? ", bias" : ", no bias") + ")",
      "What runs, in order:"};
  for (const auto& s : launch.summary) header.push_back("  " + s);
  header.insert(header.end(),
                {"",
                 "A drop-in for KernelBench level 2 problem 4's Model (Conv2d -> Mish -> Mish): ModelNew takes the same",
                 "constructor arguments, keeps an nn.Conv2d as self.conv (so state_dict() matches the original's) and",
                 "computes forward with the kernel below. Compiled in: kernel size " + std::to_string(p.R) + "x" +
                     std::to_string(p.S) + ", stride " + std::to_string(p.stride) + ", padding " +
                     std::to_string(p.pad) + ", Mish x" + std::to_string(p.mish_count) + ";",
                 rules.empty() ? "any batch, channels, height and width, with or without a bias."
                               : "and, found by probing the variant's kernels(), " + rules_text + ".",
                 "forward checks shape, dtype, device and contiguity and raises TypeError / ValueError for what the",
                 "kernel does not run (unsupported_reason tells in advance). Forward only: backward raises.",
                 "",
                 "Compilation: importing this file compiles nothing and prints nothing. Constructing the first ModelNew",
                 "(or, without a GPU then, its first forward) builds the extension with torch.utils.cpp_extension.",
                 "load_inline for the current GPU (nvcc, about a minute; cached under $TORCH_EXTENSIONS_DIR)."});

  std::string kind_constants;
  if (!fused)
    kind_constants = "# The convolution runs the record's cuDNN algorithm and math type (cudnnConvolutionForward, "
                     "torch's own libcudnn;\n# the tuner ran cuDNN " + exported["tuner_cudnn"].get<std::string>() +
                     "). A shape cuDNN does not run it for gets cudnnFind's choice, with a warning.\n"
                     "CUDNN_ALGO = \"" + launch.cudnn_algo + "\"\nCUDNN_MATH = \"" + launch.cudnn_math + "\"\n";

  const std::string ks = p.R == p.S ? std::to_string(p.R) : "(" + std::to_string(p.R) + ", " + std::to_string(p.S) + ")";
  std::string extra_init;
  if (p.stride != 1 || p.pad != 0 || !p.bias) extra_init = ", " + std::to_string(p.stride) + ", " + std::to_string(p.pad);
  if (!p.bias) extra_init += ", False";

  std::map<std::string, std::string> vars = shape;
  vars.insert({{"HEADER", comment_block(header)},
               {"EXPORT", py(exported)},
               {"RULES", rules_py},
               {"CC_MAJOR", std::to_string(launch.min_cc / 10)},
               {"CC_MINOR", std::to_string(launch.min_cc % 10)},
               {"KIND_CONSTANTS", kind_constants},
               {"NAME", name},
               {"FUNCTIONS", py(functions)},
               {"NVCC_FLAGS", py(nvcc_flags)},
               {"ARCH_SUFFIX", arch_specific ? "a" : ""},
               {"CPP_SOURCE", py_text(cpp)},
               {"CUDA_SOURCE", py_text(cuda)},
               {"LDFLAGS", py(ldflags)},
               {"RUN", fused ? kFusedRun : kCudnnRun},
               {"N", std::to_string(p.N)},
               {"C", std::to_string(p.C)},
               {"K", std::to_string(p.K)},
               {"H", std::to_string(p.H)},
               {"W", std::to_string(p.W)},
               {"KERNEL_SIZE", ks},
               {"EXTRA_INIT", extra_init}});
  return fill(kPython, vars);
}

}  // namespace convmish
