#include "tuner/gpu_ops.hpp"

#include <cmath>

#include "mish.cuh"
#include "tuner/check.hpp"
#include "tuner/device.hpp"

namespace convmish {

namespace {

constexpr int kThreads = 256;

unsigned grid_for(int64_t n, int per_thread = 1) {
  const int64_t blocks = (n + int64_t(kThreads) * per_thread - 1) / (int64_t(kThreads) * per_thread);
  return unsigned(blocks < 1 ? 1 : (blocks > 65535LL * 32 ? 65535LL * 32 : blocks));
}

__device__ __forceinline__ uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

__global__ void fill_uniform_kernel(float* p, int64_t n, uint64_t seed, float lo, float span) {
  const uint64_t key = splitmix64(seed);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const uint32_t bits = uint32_t(splitmix64(key ^ uint64_t(i)) >> 40);  // 24 random bits
    p[i] = lo + span * (float(bits) * (1.0f / 16777216.0f));
  }
}

__global__ void fill_bits_kernel(uint32_t* p, int64_t n, uint32_t bits) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    p[i] = bits;
}

__global__ void reference_epilogue_kernel(float* y, const float* b, int64_t n, int64_t pq, int K, int count) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    double v = y[i];
    if (b) v += double(b[(i / pq) % K]);
    for (int j = 0; j < count; ++j) v = cm::mish_ref(v);
    y[i] = float(v);
  }
}

struct Accum {
  double sum_sq_diff, sum_sq_ref;
  unsigned max_abs_bits;
  unsigned long long over_tol, nonfinite, unwritten, ref_nonfinite, first_bad;
};

__global__ void compare_kernel(const float* out, const float* ref, int64_t n, double atol, double rtol, Accum* acc) {
  double sd = 0, sr = 0;
  float mx = 0;
  unsigned long long over = 0, nf = 0, unw = 0, rnf = 0, first = ~0ull;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float o = out[i], r = ref[i];
    bool bad = false;
    if (!isfinite(r)) {
      ++rnf;
      bad = __float_as_uint(o) != __float_as_uint(r);
    } else if (__float_as_uint(o) == kPoisonBits) {
      ++unw;
      bad = true;
    } else if (!isfinite(o)) {
      ++nf;
      bad = true;
    } else {
      const double d = double(o) - double(r);
      sd += d * d;
      sr += double(r) * double(r);
      const float ad = fabsf(o - r);
      mx = fmaxf(mx, ad);
      if (fabs(d) > atol + rtol * fabs(double(r))) {
        ++over;
        bad = true;
      }
    }
    if (bad && uint64_t(i) < first) first = uint64_t(i);
  }
  // Warp reduction, then one atomic per warp.
  for (int off = 16; off > 0; off >>= 1) {
    sd += __shfl_down_sync(0xffffffffu, sd, off);
    sr += __shfl_down_sync(0xffffffffu, sr, off);
    mx = fmaxf(mx, __shfl_down_sync(0xffffffffu, mx, off));
    over += __shfl_down_sync(0xffffffffu, over, off);
    nf += __shfl_down_sync(0xffffffffu, nf, off);
    unw += __shfl_down_sync(0xffffffffu, unw, off);
    rnf += __shfl_down_sync(0xffffffffu, rnf, off);
    first = min(first, __shfl_down_sync(0xffffffffu, first, off));
  }
  if ((threadIdx.x & 31) == 0) {
    atomicAdd(&acc->sum_sq_diff, sd);
    atomicAdd(&acc->sum_sq_ref, sr);
    atomicMax(&acc->max_abs_bits, __float_as_uint(mx));
    atomicAdd(&acc->over_tol, over);
    atomicAdd(&acc->nonfinite, nf);
    atomicAdd(&acc->unwritten, unw);
    atomicAdd(&acc->ref_nonfinite, rnf);
    atomicMin(&acc->first_bad, first);
  }
}

}  // namespace

void fill_uniform(float* p, int64_t n, uint64_t seed, float lo, float hi, cudaStream_t s) {
  fill_uniform_kernel<<<grid_for(n, 8), kThreads, 0, s>>>(p, n, seed, lo, hi - lo);
  CUDA_CHECK_LAUNCH();
}

void fill_bits(float* p, int64_t n, uint32_t bits, cudaStream_t s) {
  fill_bits_kernel<<<grid_for(n, 8), kThreads, 0, s>>>(reinterpret_cast<uint32_t*>(p), n, bits);
  CUDA_CHECK_LAUNCH();
}

void reference_epilogue(float* y, const float* b, int64_t n, int64_t pq, int K, int count, cudaStream_t s) {
  reference_epilogue_kernel<<<grid_for(n, 4), kThreads, 0, s>>>(y, b, n, pq, K, count);
  CUDA_CHECK_LAUNCH();
}

double CompareResult::rel_l2() const {
  if (sum_sq_ref == 0) return sum_sq_diff == 0 ? 0.0 : INFINITY;
  return std::sqrt(sum_sq_diff / sum_sq_ref);
}

CompareResult compare_outputs(const float* out, const float* ref, int64_t n, double atol, double rtol, cudaStream_t s) {
  DeviceBuffer acc_buf(sizeof(Accum));
  Accum init{};
  init.first_bad = ~0ull;
  CUDA_CHECK(cudaMemcpyAsync(acc_buf.get(), &init, sizeof init, cudaMemcpyHostToDevice, s));
  compare_kernel<<<grid_for(n, 8), kThreads, 0, s>>>(out, ref, n, atol, rtol, acc_buf.as<Accum>());
  CUDA_CHECK_LAUNCH();
  Accum a{};
  CUDA_CHECK(cudaMemcpyAsync(&a, acc_buf.get(), sizeof a, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  CompareResult r;
  r.n = n;
  r.sum_sq_diff = a.sum_sq_diff;
  r.sum_sq_ref = a.sum_sq_ref;
  float mx;
  static_assert(sizeof mx == sizeof a.max_abs_bits);
  memcpy(&mx, &a.max_abs_bits, sizeof mx);
  r.max_abs = mx;
  r.over_tol = int64_t(a.over_tol);
  r.nonfinite = int64_t(a.nonfinite);
  r.unwritten = int64_t(a.unwritten);
  r.ref_nonfinite = int64_t(a.ref_nonfinite);
  r.first_bad = a.first_bad == ~0ull ? -1 : int64_t(a.first_bad);
  return r;
}

}  // namespace convmish
