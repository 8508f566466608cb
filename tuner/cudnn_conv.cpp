#include "tuner/cudnn_conv.hpp"

#include <nlohmann/json.hpp>

#include "tuner/check.hpp"

namespace convmish {

CudnnHandle::CudnnHandle() { CUDNN_CHECK(cudnnCreate(&h_)); }
CudnnHandle::~CudnnHandle() {
  if (h_) cudnnDestroy(h_);
}
void CudnnHandle::set_stream(cudaStream_t s) const { CUDNN_CHECK(cudnnSetStream(h_, s)); }

std::string cudnn_version_string() {
  const size_t v = cudnnGetVersion();  // major*10000 + minor*100 + patch for cuDNN 9
  return std::to_string(v / 10000) + "." + std::to_string((v / 100) % 100) + "." + std::to_string(v % 100);
}

// Every enumerator, so that a record's names can be checked and written back as C++ (tuner export).
const std::vector<CudnnEnumName>& cudnn_fwd_algo_names() {
  static const std::vector<CudnnEnumName> names = {
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, "IMPLICIT_GEMM", "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM"},
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, "IMPLICIT_PRECOMP_GEMM",
       "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM"},
      {CUDNN_CONVOLUTION_FWD_ALGO_GEMM, "GEMM", "CUDNN_CONVOLUTION_FWD_ALGO_GEMM"},
      {CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, "DIRECT", "CUDNN_CONVOLUTION_FWD_ALGO_DIRECT"},
      {CUDNN_CONVOLUTION_FWD_ALGO_FFT, "FFT", "CUDNN_CONVOLUTION_FWD_ALGO_FFT"},
      {CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, "FFT_TILING", "CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING"},
      {CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, "WINOGRAD", "CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD"},
      {CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, "WINOGRAD_NONFUSED",
       "CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED"}};
  return names;
}

const std::vector<CudnnEnumName>& cudnn_math_names() {
  static const std::vector<CudnnEnumName> names = {
      {CUDNN_DEFAULT_MATH, "DEFAULT", "CUDNN_DEFAULT_MATH"},
      {CUDNN_FMA_MATH, "FMA", "CUDNN_FMA_MATH"},
      {CUDNN_TENSOR_OP_MATH, "TENSOR_OP", "CUDNN_TENSOR_OP_MATH"},
      {CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION, "TENSOR_OP_ALLOW_CONVERSION", "CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION"}};
  return names;
}

const CudnnEnumName* find_cudnn_name(const std::vector<CudnnEnumName>& names, const std::string& name) {
  for (const auto& n : names)
    if (name == n.name) return &n;
  return nullptr;
}

static const char* name_of(const std::vector<CudnnEnumName>& names, int value, const char* unknown) {
  for (const auto& n : names)
    if (n.value == value) return n.name;
  return unknown;
}

CudnnConv::CudnnConv(cudnnHandle_t h, const Problem& p, ConvMath math,
                     std::optional<cudnnConvolutionFwdAlgo_t> fixed_algo)
    : h_(h) {
  CUDNN_CHECK(cudnnCreateTensorDescriptor(&x_d_));
  CUDNN_CHECK(cudnnCreateTensorDescriptor(&y_d_));
  CUDNN_CHECK(cudnnCreateTensorDescriptor(&b_d_));
  CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_d_));
  CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&c_d_));
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_d_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(p.N), int(p.C), int(p.H),
                                         int(p.W)));
  CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_d_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, int(p.K), int(p.C), int(p.R),
                                         int(p.S)));
  CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c_d_, int(p.pad), int(p.pad), int(p.stride), int(p.stride), 1, 1,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  math_ = math == ConvMath::kTf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
  CUDNN_CHECK(cudnnSetConvolutionMathType(c_d_, math_));
  int n, c, hh, ww;
  CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(c_d_, x_d_, w_d_, &n, &c, &hh, &ww));
  if (n != p.N || c != p.K || hh != p.P() || ww != p.Q())
    throw CudnnError("cuDNN's output shape disagrees with the problem's: " + p.shape_string());
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_d_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, hh, ww));
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(b_d_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, c, 1, 1));

  if (fixed_algo) {
    algo_ = *fixed_algo;
  } else {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int found = 0;
    CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(h_, x_d_, w_d_, c_d_, y_d_, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                     &found, perf));
    for (int i = 0; i < found; ++i)  // every candidate that ran, allowed under `math` or not: peers for the record
      if (perf[i].status == CUDNN_STATUS_SUCCESS)
        find_all_.push_back({name_of(cudnn_fwd_algo_names(), perf[i].algo, "UNKNOWN"),
                             name_of(cudnn_math_names(), perf[i].mathType, "DEFAULT"), perf[i].time, perf[i].memory});
    bool chosen = false;
    for (int i = 0; i < found && !chosen; ++i) {
      // Results come sorted by time. With FMA math only FMA kernels are acceptable, and no FFT algorithm: their
      // error is not fp32-class (relative L2 2.1e-4 measured on a 5x5 filter, H100, 2026-11-25).
      if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
      const bool fft = perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT ||
                       perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING;
      if (math == ConvMath::kFma && (perf[i].mathType != CUDNN_FMA_MATH || fft)) continue;
      algo_ = perf[i].algo;
      math_ = perf[i].mathType;
      find_ms_ = perf[i].time;
      chosen = true;
    }
    if (!chosen) throw CudnnError("cudnnFind returned no usable algorithm for " + p.shape_string());
    CUDNN_CHECK(cudnnSetConvolutionMathType(c_d_, math_));
  }
  CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h_, x_d_, w_d_, c_d_, y_d_, algo_, &ws_bytes_));
}

CudnnConv::~CudnnConv() {
  if (c_d_) cudnnDestroyConvolutionDescriptor(c_d_);
  if (w_d_) cudnnDestroyFilterDescriptor(w_d_);
  if (b_d_) cudnnDestroyTensorDescriptor(b_d_);
  if (y_d_) cudnnDestroyTensorDescriptor(y_d_);
  if (x_d_) cudnnDestroyTensorDescriptor(x_d_);
}

void CudnnConv::run(const float* x, const float* w, float* y, void* workspace) const {
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnConvolutionForward(h_, &one, x_d_, x, w_d_, w, c_d_, algo_, workspace, ws_bytes_, &zero, y_d_, y));
}

void CudnnConv::add_bias(const float* b, float* y) const {
  const float one = 1.f;
  CUDNN_CHECK(cudnnAddTensor(h_, &one, b_d_, b, &one, y_d_, y));
}

std::string CudnnConv::algo_name() const { return name_of(cudnn_fwd_algo_names(), algo_, "UNKNOWN"); }

std::string CudnnConv::math_name() const { return name_of(cudnn_math_names(), math_, "DEFAULT"); }

nlohmann::json CudnnConv::details() const {
  nlohmann::json j = {{"cudnn_algo", algo_name()}, {"cudnn_math", math_name()}, {"workspace_bytes", ws_bytes_}};
  if (find_ms_ >= 0) j["cudnn_find_ms"] = find_ms_;
  for (const Candidate& c : find_all_)
    j["cudnn_find"].push_back({{"algo", c.algo}, {"math", c.math}, {"ms", c.ms}, {"workspace_bytes", c.workspace_bytes}});
  return j;
}

}  // namespace convmish
