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

// Blocks of a mish_elementwise.cu launch over n elements, for the variants' launches and the exported modules'
// alike: mish_vec4 covers n/4 + 1 vectors (head and tail included), mish_scalar n elements, `vec` per thread;
// grid_stride caps the grid at one wave (sms * max(1, threads_per_sm / block) blocks). At least 1, at most 2^31-1.
CM_HD long long mish_pass_blocks(long long n, bool vec4, int block, int vec, bool grid_stride, int sms,
                                 int threads_per_sm) {
  const long long items = vec4 ? n / 4 + 1 : n;
  const long long per_block = (long long)block * vec;
  long long grid = (items + per_block - 1) / per_block;
  if (grid < 1) grid = 1;
  if (grid_stride) {
    const long long wave = (long long)sms * (threads_per_sm / block > 1 ? threads_per_sm / block : 1);
    if (grid > wave) grid = wave;
  }
  return grid < 0x7fffffffLL ? grid : 0x7fffffffLL;
}
