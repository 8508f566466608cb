// The reference every configuration is judged against, and the inputs it is computed from.
// GPU: cuDNN convolution in FMA math (implicit precomputed GEMM: plain fp32 sums, no FFT/Winograd rounding)
// plus bias and Mish applied in double. CPU: the same block entirely in float64, for small shapes and tests.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tuner/cudnn_conv.hpp"
#include "tuner/device.hpp"
#include "tuner/problem.hpp"

namespace convmish {

// The problem's tensors on the device: inputs, the output under test, the reference output. Throws UsageError
// (the problem is too large for this GPU: exit 2, before the sweep writes anything) when they do not fit.
struct ProblemBuffers {
  explicit ProblemBuffers(const Problem& p);
  DeviceBuffer x, w, b, y, ref;
};
// Bytes ProblemBuffers allocates for `p`.
size_t problem_buffer_bytes(const Problem& p);
// Why `p`'s buffers cannot be allocated with `free_bytes` of `total_bytes` device memory free, or nullopt.
std::optional<std::string> memory_shortfall(const Problem& p, size_t free_bytes, size_t total_bytes);

// x ~ U[0,1) like torch.rand; w, b ~ U(-1/sqrt(C*R*S), +1/sqrt(C*R*S)) like nn.Conv2d's default init.
void generate_inputs(const Problem& p, uint64_t seed, ProblemBuffers& buf, cudaStream_t s);

class GpuReference {
 public:
  GpuReference(const Problem& p, cudnnHandle_t h, cudaStream_t s);
  // Computes buf.ref from buf.x, buf.w, buf.b.
  void compute(ProblemBuffers& buf);
  const CudnnConv& conv() const { return *conv_; }

 private:
  Problem p_;
  cudaStream_t s_;
  std::unique_ptr<CudnnConv> conv_;
  DeviceBuffer ws_;
};

// float64 Conv2d + bias + Mish^mish_count on host arrays (NCHW). O(N K P Q C R S): small shapes only.
std::vector<double> cpu_reference(const Problem& p, const std::vector<float>& x, const std::vector<float>& w,
                                  const std::vector<float>& b);

}  // namespace convmish
