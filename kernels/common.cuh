// Types shared by the kernels and the host code that launches them (compiled by NVRTC, nvcc and g++).
// Kernels take their problem as one struct by value, so every fused kernel has the same launch signature.
// No standard headers: NVRTC compiles this without a toolkit include path.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define CM_HD __host__ __device__ __forceinline__
#else
#define CM_HD inline
#endif

// NCHW input x[N,C,H,W], weights w[K,C,R,S], bias b[K] (may be null), output y[N,K,P,Q].
struct ConvMishArgs {
  const float* x;
  const float* w;
  const float* b;
  float* y;
  int N, C, H, W, K, R, S, P, Q;
  int stride, pad;
  int mish_count;
};

// An elementwise pass over y[N,K,P,Q] (as left by a convolution): optional bias, then Mish `count` times.
struct MishArgs {
  float* y;
  const float* b;  // null: no bias add in this pass
  long long n;     // element count
  long long pq;    // P*Q: elements per channel plane, to find the channel of an element
  int K;
  int count;
};
