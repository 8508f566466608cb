// cuDNN's convolution forward as the suite uses it: the reference (FMA math, implicit precomputed GEMM) and the
// baselines (cudnnFind among the algorithms, TF32 allowed or not). Move-only owners of every cuDNN object.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cudnn.h>
#include <nlohmann/json_fwd.hpp>

#include "tuner/problem.hpp"

namespace convmish {

class CudnnHandle {
 public:
  CudnnHandle();
  ~CudnnHandle();
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;
  cudnnHandle_t get() const { return h_; }
  void set_stream(cudaStream_t s) const;

 private:
  cudnnHandle_t h_ = nullptr;
};

std::string cudnn_version_string();  // of the library loaded at run time, e.g. "9.14.0"

enum class ConvMath { kFma, kTf32 };

// A cuDNN enumerator under the name CudnnConv::details() records ("WINOGRAD_NONFUSED", "FMA") and as C++ spells it
// ("CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED", "CUDNN_FMA_MATH"), for tuner export, which writes code that runs
// a record's algorithm again.
struct CudnnEnumName {
  int value;
  const char* name;
  const char* identifier;
};
const std::vector<CudnnEnumName>& cudnn_fwd_algo_names();  // every forward algorithm
const std::vector<CudnnEnumName>& cudnn_math_names();      // every math type
// The entry of `names` called `name`; nullptr for a name it lacks (a results file from another build, a typo).
const CudnnEnumName* find_cudnn_name(const std::vector<CudnnEnumName>& names, const std::string& name);

// y = conv(x, w) (no bias), NCHW fp32. With `fixed_algo` the algorithm is taken as given; otherwise cudnnFind
// times the candidates allowed under `math` and the fastest one wins, as PyTorch's cudnn.benchmark does.
class CudnnConv {
 public:
  CudnnConv(cudnnHandle_t h, const Problem& p, ConvMath math,
            std::optional<cudnnConvolutionFwdAlgo_t> fixed_algo = std::nullopt);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  size_t workspace_bytes() const { return ws_bytes_; }
  void run(const float* x, const float* w, float* y, void* workspace) const;
  // y += b broadcast over channels (cudnnAddTensor), as PyTorch adds a convolution's bias.
  void add_bias(const float* b, float* y) const;
  std::string algo_name() const;
  std::string math_name() const;
  nlohmann::json details() const;

 private:
  cudnnHandle_t h_;
  cudnnTensorDescriptor_t x_d_ = nullptr, y_d_ = nullptr, b_d_ = nullptr;
  cudnnFilterDescriptor_t w_d_ = nullptr;
  cudnnConvolutionDescriptor_t c_d_ = nullptr;
  cudnnConvolutionFwdAlgo_t algo_{};
  cudnnMathType_t math_{};
  size_t ws_bytes_ = 0;
  float find_ms_ = -1;
  // cudnnFind's timing of every algorithm that ran (conv alone, cuDNN's own timer), fastest first, whether or not
  // `math` allows it: the record's peers measured in the same run.
  struct Candidate {
    std::string algo, math;
    float ms;
    size_t workspace_bytes;
  };
  std::vector<Candidate> find_all_;
};

}  // namespace convmish
