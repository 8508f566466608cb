// The block being tuned: Conv2d(C -> K, RxS, stride, padding, bias) on x[N,C,H,W], then Mish `mish_count` times.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common.cuh"

namespace convmish {

struct Problem {
  std::string name = "custom";
  int64_t N = 64, C = 64, H = 256, W = 256, K = 128, R = 3, S = 3;
  int64_t stride = 1, pad = 0;
  bool bias = true;
  int mish_count = 2;
  uint64_t seed = 0;
  // The validation inputs: x uniform in [x_lo, x_hi) (torch.rand's [0, 1) by default), weights and bias uniform in
  // +-w_scale/sqrt(C*R*S) (PyTorch's default initialisation bound times w_scale). For checking a variant on the
  // magnitudes of one's own data; they change no work timed.
  double x_lo = 0.0, x_hi = 1.0, w_scale = 1.0;
  bool default_inputs() const { return x_lo == 0.0 && x_hi == 1.0 && w_scale == 1.0; }
  // The inputs' magnitude relative to the default's (1 there): max |x| times w_scale, which an fp32 convolution's
  // absolute error is proportional to (the per-element tolerance's atol scales with it).
  double input_magnitude() const { return std::max(std::abs(x_lo), std::abs(x_hi)) * w_scale; }

  int64_t P() const { return (H + 2 * pad - R) / stride + 1; }
  int64_t Q() const { return (W + 2 * pad - S) / stride + 1; }
  int64_t x_elems() const { return N * C * H * W; }
  int64_t w_elems() const { return K * C * R * S; }
  int64_t y_elems() const { return N * K * P() * Q(); }
  // 2*N*K*P*Q*C*R*S: multiply-adds of the convolution (bias and Mish not counted, as the anchors do).
  double flops() const;
  // Fewest bytes a fused pass must move: read x, w, b once, write y once (fp32).
  double min_bytes() const;
  // Throws UsageError with the reason when the shape is empty, negative, or beyond the limits below.
  void validate() const;
  static constexpr int64_t kMaxDim = 2147483647;          // every dimension, stride and padding: an int
  static constexpr int64_t kMaxTensorElems = 2147483647;  // x, w and y each (cuDNN's tensor limit)
  std::string shape_string() const;  // "N,C,H,W->K,RxS"
  ConvMishArgs args(const float* x, const float* w, const float* b, float* y) const;
  bool operator==(const Problem& o) const {  // spelled out: nvcc builds this header as C++17
    return N == o.N && C == o.C && H == o.H && W == o.W && K == o.K && R == o.R && S == o.S && stride == o.stride &&
           pad == o.pad && bias == o.bias && mish_count == o.mish_count && x_lo == o.x_lo && x_hi == o.x_hi &&
           w_scale == o.w_scale;
  }
};

// Presets: seed (the workload, the default), small (validates in milliseconds), kb_v0 (KernelBench's original).
std::vector<std::string> problem_preset_names();
// `spec` is a preset name or "N,C,H,W,K,R[,S[,stride[,pad]]]". Throws UsageError on anything else.
Problem parse_problem(const std::string& spec);
// "LO,HI" (two finite numbers, LO < HI) for Problem::x_lo and x_hi; throws UsageError on anything else.
std::pair<double, double> parse_range(const std::string& spec);

void to_json(nlohmann::json& j, const Problem& p);
void from_json(const nlohmann::json& j, Problem& p);

}  // namespace convmish
