// Elementwise passes over a convolution's output, in place: optional bias add, then Mish (MISH_FORM) `count` times.
// mish_scalar: one element per thread (the naive form). mish_vec4 changes that to 16-byte loads and stores, VEC
// vectors in flight per thread, grid-stride (GRID_STRIDE=1) or one vector group per thread (exact grid).
// Any element count and alignment: a scalar head up to the first 16-byte boundary and a scalar tail.
#include "common.cuh"
#include "mish.cuh"

#ifndef BLOCK
#define BLOCK 256
#endif
#ifndef MISH_FORM
#define MISH_FORM CM_MISH_PRECISE
#endif
#ifndef VEC
#define VEC 1
#endif
#ifndef GRID_STRIDE
#define GRID_STRIDE 0
#endif

__device__ __forceinline__ float mish_elem(float v, const MishArgs& a, long long i) {
  if (a.b) v += a.b[(i / a.pq) % a.K];
  return cm::mish_repeat<MISH_FORM>(v, a.count);
}

extern "C" __global__ void __launch_bounds__(BLOCK) mish_scalar(MishArgs a) {
  const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;
  if (i >= a.n) return;
  a.y[i] = mish_elem(a.y[i], a, i);
}

// Bias + Mish on the four elements of a vector that starts at element i.
__device__ __forceinline__ float4 mish_vec(float4 v, const MishArgs& a, long long i) {
  if (a.b) {
    const long long plane = i / a.pq, rem = i - plane * a.pq;
    if (rem + 3 < a.pq) {  // the common case: all four in one channel plane
      const float bb = a.b[plane % a.K];
      v.x += bb, v.y += bb, v.z += bb, v.w += bb;
    } else {
      v.x += a.b[plane % a.K];
      v.y += a.b[((i + 1) / a.pq) % a.K];
      v.z += a.b[((i + 2) / a.pq) % a.K];
      v.w += a.b[((i + 3) / a.pq) % a.K];
    }
  }
  for (int j = 0; j < a.count; ++j) {
    if (j == 0) {
      v.x = cm::mish<MISH_FORM>(v.x), v.y = cm::mish<MISH_FORM>(v.y);
      v.z = cm::mish<MISH_FORM>(v.z), v.w = cm::mish<MISH_FORM>(v.w);
    } else {
      v.x = cm::mish_again<MISH_FORM>(v.x), v.y = cm::mish_again<MISH_FORM>(v.y);
      v.z = cm::mish_again<MISH_FORM>(v.z), v.w = cm::mish_again<MISH_FORM>(v.w);
    }
  }
  return v;
}

extern "C" __global__ void __launch_bounds__(BLOCK) mish_vec4(MishArgs a) {
  // Scalar head: elements before the first 16-byte boundary (cudaMalloc'd y is aligned; sub-tensors may not be).
  const long long head_raw = (long long)(((16 - ((unsigned long long)a.y & 15)) & 15) / 4);
  const long long head = head_raw < a.n ? head_raw : a.n;
  const long long nvec = (a.n - head) / 4;
  const long long tail = head + nvec * 4;
  const long long tid = (long long)blockIdx.x * BLOCK + threadIdx.x;
  if (tid < head) a.y[tid] = mish_elem(a.y[tid], a, tid);
  if (tid < a.n - tail) a.y[tail + tid] = mish_elem(a.y[tail + tid], a, tail + tid);

  float4* v = reinterpret_cast<float4*>(a.y + head);
  const long long group = (long long)BLOCK * VEC;  // vectors per block per step
  const long long step = GRID_STRIDE ? (long long)gridDim.x * group : nvec;
  for (long long base = (long long)blockIdx.x * group + threadIdx.x; base < nvec; base += step) {
    float4 r[VEC];
#pragma unroll
    for (int j = 0; j < VEC; ++j)  // all loads first: VEC independent 16-byte loads in flight
      if (base + j * BLOCK < nvec) r[j] = v[base + j * BLOCK];
#pragma unroll
    for (int j = 0; j < VEC; ++j)
      if (base + j * BLOCK < nvec) v[base + j * BLOCK] = mish_vec(r[j], a, head + 4 * (base + j * BLOCK));
    if (!GRID_STRIDE) break;
  }
}
