// Elementwise passes over a convolution's output: optional bias add, then Mish (MISH_FORM) `count` times, in place.
// mish_scalar: one element per thread (the naive form, as PyTorch's F.mish runs). Later kernels in this file
// vectorise it. Any element count; the bias channel of element i is (i / pq) % K.
#include "common.cuh"
#include "mish.cuh"

#ifndef BLOCK
#define BLOCK 256
#endif
#ifndef MISH_FORM
#define MISH_FORM CM_MISH_PRECISE
#endif

extern "C" __global__ void __launch_bounds__(BLOCK) mish_scalar(MishArgs a) {
  const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;
  if (i >= a.n) return;
  float v = a.y[i];
  if (a.b) v += a.b[(i / a.pq) % a.K];
  for (int j = 0; j < a.count; ++j) v = cm::mish<MISH_FORM>(v);
  a.y[i] = v;
}
