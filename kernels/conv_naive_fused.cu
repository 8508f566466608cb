// Direct convolution, one thread per output element, then bias and Mish (MISH_FORM) mish_count times in registers.
// The simplest fused variant and the floor every other fused kernel must beat: no reuse beyond L1/L2.
// Any shape, stride and padding; 64-bit element index; BLOCK threads per block (a multiple of 32, <= 1024).
#include "common.cuh"
#include "mish.cuh"

#ifndef BLOCK
#define BLOCK 256
#endif
#ifndef MISH_FORM
#define MISH_FORM CM_MISH_PRECISE
#endif

extern "C" __global__ void __launch_bounds__(BLOCK) conv_naive_fused(ConvMishArgs a) {
  const long long idx = (long long)blockIdx.x * BLOCK + threadIdx.x;
  const long long total = (long long)a.N * a.K * a.P * a.Q;
  if (idx >= total) return;
  const int q = (int)(idx % a.Q);
  long long t = idx / a.Q;
  const int p = (int)(t % a.P);
  t /= a.P;
  const int k = (int)(t % a.K);
  const int n = (int)(t / a.K);
  const int h0 = p * a.stride - a.pad, w0 = q * a.stride - a.pad;
  float acc = 0.f;
  for (int c = 0; c < a.C; ++c) {
    const float* xc = a.x + ((long long)n * a.C + c) * a.H * a.W;
    const float* wc = a.w + ((long long)k * a.C + c) * a.R * a.S;
    for (int r = 0; r < a.R; ++r) {
      const int h = h0 + r;
      if (h < 0 || h >= a.H) continue;
      for (int s = 0; s < a.S; ++s) {
        const int w = w0 + s;
        if (w < 0 || w >= a.W) continue;
        acc = fmaf(__ldg(xc + (long long)h * a.W + w), __ldg(wc + r * a.S + s), acc);
      }
    }
  }
  if (a.b) acc += a.b[k];
  for (int i = 0; i < a.mish_count; ++i) acc = cm::mish<MISH_FORM>(acc);
  a.y[idx] = acc;
}
