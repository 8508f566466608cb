// Engine kernels (compiled by nvcc, not tuned): input generation, poisoning, the reference epilogue in double,
// and the comparison of an output against the reference.
#pragma once
#include <cstdint>

#include <cuda_runtime_api.h>

namespace convmish {

// The bit pattern written into outputs before a validated run: a quiet NaN with a payload no arithmetic
// produces, so "never written" can be told from "computed NaN".
inline constexpr uint32_t kPoisonBits = 0x7fc0dead;

// p[i] = lo + (hi - lo) * u, u uniform in [0,1) from a counter-based hash of (seed, i): torch.rand-like for
// lo=0, hi=1; nn.Conv2d's default init for +-1/sqrt(C*R*S).
void fill_uniform(float* p, int64_t n, uint64_t seed, float lo, float hi, cudaStream_t s);
void fill_bits(float* p, int64_t n, uint32_t bits, cudaStream_t s);
// In place on y[N,K,P,Q] (pq = P*Q): y = mish^count(y + b[k]) evaluated in double. b may be null.
void reference_epilogue(float* y, const float* b, int64_t n, int64_t pq, int K, int count, cudaStream_t s);

struct CompareResult {
  int64_t n = 0;
  double sum_sq_diff = 0, sum_sq_ref = 0;
  double max_abs = 0;          // over elements where both are finite
  int64_t over_tol = 0;        // |out - ref| > atol + rtol |ref|
  int64_t nonfinite = 0;       // out NaN/Inf where ref is finite (poison not counted here)
  int64_t unwritten = 0;       // out still holds kPoisonBits
  int64_t ref_nonfinite = 0;   // the reference itself is not finite (a problem of the inputs)
  int64_t first_bad = -1;      // smallest index of a failing element, or -1
  double rel_l2() const;
};

// Synchronises the stream (the result comes back to the host).
CompareResult compare_outputs(const float* out, const float* ref, int64_t n, double atol, double rtol, cudaStream_t s);

}  // namespace convmish
