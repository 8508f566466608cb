// Micro-benchmark (session 8): how fast the tensor cores run on this board in a power-steady state, with operands
// like the seed problem's (random fp32 input bits, TF32-rounded random weights) against zero and constant operands.
// Modes: wgmma RS m64n64k8 TF32 (2 warpgroups per SM, 4 accumulator sets, A rotating over 4 register sets, B over
// 8 shared 64x8 tiles) and mma.sync m16n8k8 TF32 (8 warps per SM, 4 x 8 fragments). Each mode: 400 launches of about
// 2.5 ms back to back; launches 200-399 are timed by events, and NVML reads power, SM clock and the clock-event
// reasons while they run. Output: TFLOP/s and the time the seed problem's 608.8 GFLOP would take at that rate.
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <chrono>
#include <dlfcn.h>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e_)); exit(1); } } while (0)

__device__ __forceinline__ unsigned long long desc(const void* p, unsigned lbo, unsigned sbo) {
  unsigned a = (unsigned)__cvta_generic_to_shared(p);
  return (unsigned long long)((a & 0x3FFFF) >> 4) | ((unsigned long long)(lbo >> 4) << 16) | ((unsigned long long)(sbo >> 4) << 32);
}
#define R8(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
__device__ __forceinline__ void rs64(float* d, const unsigned* a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, 1, 1, 1;\n"
               : R8(0), R8(8), R8(16), R8(24) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }

// src: 16384 floats (the A sets are read from its first 2048, B's 8 tiles of 64 x 8 fill 16 KiB of shared memory).
__global__ void __launch_bounds__(256, 1) wg_kernel(const float* src, float* out, int iters) {
  __shared__ __align__(128) float sm[8 * 512];
  for (int i = threadIdx.x; i < 8 * 512; i += blockDim.x) sm[i] = src[4096 + i];
  __syncthreads();
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  const unsigned long long b0 = desc(sm, 1024, 128);
  float acc[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) acc[i] = 0.f;
  unsigned a[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) a[i][j] = __float_as_uint(src[(threadIdx.x % 128) * 16 + i * 4 + j]);
  for (int it = 0; it < iters; ++it) {
    fence();
#pragma unroll
    for (int s = 0; s < 8; ++s) rs64(acc + 32 * (s % 4), a[s % 4], b0 + s * 128);  // tile s: 2048 B apart
    commit();
    wait<1>();
  }
  wait<0>();
  float t = 0;
#pragma unroll
  for (int i = 0; i < 128; ++i) t += acc[i];
  out[blockIdx.x * blockDim.x + threadIdx.x] = t;
}

__device__ __forceinline__ void mma(float* c, const unsigned* a, const unsigned* b) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
__global__ void __launch_bounds__(256, 1) mma_kernel(const float* src, float* out, int iters) {
  const int lane = threadIdx.x % 32;
  unsigned a[4][4], b[8][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) a[i][j] = __float_as_uint(src[lane * 16 + i * 4 + j]);
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) b[i][j] = __float_as_uint(src[4096 + lane * 16 + i * 2 + j]);
  float acc[4][8][4] = {};
  for (int it = 0; it < iters; ++it) {
#pragma unroll
    for (int mi = 0; mi < 4; ++mi)
#pragma unroll
      for (int ni = 0; ni < 8; ++ni) mma(acc[mi][ni], a[mi], b[ni]);
  }
  float t = 0;
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
      for (int k = 0; k < 4; ++k) t += acc[mi][ni][k];
  out[blockIdx.x * blockDim.x + threadIdx.x] = t;
}

struct Nvml {
  void* h = nullptr;
  void* dev = nullptr;
  int (*power)(void*, unsigned*) = nullptr;
  int (*clock)(void*, int, unsigned*) = nullptr;
  int (*reasons)(void*, unsigned long long*) = nullptr;
  Nvml() {
    h = dlopen("libnvidia-ml.so.1", RTLD_NOW);
    if (!h) return;
    auto init = (int (*)())dlsym(h, "nvmlInit_v2");
    auto get = (int (*)(unsigned, void**))dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    power = (int (*)(void*, unsigned*))dlsym(h, "nvmlDeviceGetPowerUsage");
    clock = (int (*)(void*, int, unsigned*))dlsym(h, "nvmlDeviceGetClockInfo");
    reasons = (int (*)(void*, unsigned long long*))dlsym(h, "nvmlDeviceGetCurrentClocksEventReasons");
    if (!reasons) reasons = (int (*)(void*, unsigned long long*))dlsym(h, "nvmlDeviceGetCurrentClocksThrottleReasons");
    if (!init || !get || init() != 0 || get(0, &dev) != 0) dev = nullptr;
  }
  void sample(double* w, double* mhz, unsigned long long* why) {
    unsigned p = 0, c = 0; unsigned long long r = 0;
    if (dev && power) power(dev, &p);
    if (dev && clock) clock(dev, 1 /* NVML_CLOCK_SM */, &c);
    if (dev && reasons) reasons(dev, &r);
    *w += p / 1000.0; *mhz += c; *why |= r;
  }
};

enum Fill { kRandom, kZero, kConst };
const double kSeedFlop = 2.0 * 64 * 254 * 254 * 128 * 576.0;

void run(const char* name, bool wg, Fill fill, Nvml& nvml, float* src, float* out, int sms) {
  float host[16384];
  uint32_t x = 12345;
  for (int i = 0; i < 16384; ++i) {
    x = x * 1664525u + 1013904223u;
    float v = fill == kZero ? 0.f : fill == kConst ? 0.25f * (i % 7) : float(x >> 8) / 16777216.0f;  // [0, 1)
    if (i >= 4096 && fill == kRandom) {  // weights: random in +-1/24 (kaiming-like for fan-in 576), TF32-rounded
      v = (v - 0.5f) / 12.f;
      uint32_t u; memcpy(&u, &v, 4); u = (u + 0x1000u) & 0xffffe000u; memcpy(&v, &u, 4);
    }
    host[i] = v;
  }
  CK(cudaMemcpy(src, host, sizeof host, cudaMemcpyHostToDevice));
  // per launch: wgmma 2 warpgroups x 8 x m64n64k8 per iteration; mma.sync 8 warps x 32 x m16n8k8
  const double flop_it = wg ? 2.0 * 8 * 2 * 64 * 64 * 8 : 8.0 * 32 * 2 * 16 * 8 * 8;
  const int iters = int(2.5e-3 * 450e12 / (flop_it * sms));  // about 2.5 ms at 450 TFLOP/s
  auto launch = [&] {
    if (wg) wg_kernel<<<sms, 256>>>(src, out, iters);
    else mma_kernel<<<sms, 256>>>(src, out, iters);
  };
  for (int i = 0; i < 40; ++i) launch();
  CK(cudaDeviceSynchronize());
  cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
  for (int i = 0; i < 200; ++i) launch();
  CK(cudaEventRecord(e0));
  for (int i = 0; i < 200; ++i) launch();
  CK(cudaEventRecord(e1));
  // the queue holds about 1 s of work: sample NVML through the timed half
  std::this_thread::sleep_for(std::chrono::milliseconds(650));
  double w = 0, mhz = 0; unsigned long long why = 0; int n = 0;
  for (; n < 16 && cudaEventQuery(e1) == cudaErrorNotReady; ++n) {
    nvml.sample(&w, &mhz, &why);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CK(cudaEventSynchronize(e1));
  CK(cudaGetLastError());
  float ms; CK(cudaEventElapsedTime(&ms, e0, e1));
  const double tflops = flop_it * iters * sms * 200 / (ms * 1e-3) / 1e12;
  printf("%-34s %6.1f TFLOP/s  %.3f ms a launch  seed-equivalent %.3f ms  | NVML %d samples: %.0f W, %.0f MHz, reasons 0x%llx\n",
         name, tflops, ms / 200, kSeedFlop / (tflops * 1e12) * 1e3, n, n ? w / n : 0, n ? mhz / n : 0, why);
  fflush(stdout);
}

int main() {
  int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  float *src, *out;
  CK(cudaMalloc(&src, 16384 * 4)); CK(cudaMalloc(&out, sms * 256 * 4));
  Nvml nvml;
  printf("NVML %s; %d SMs; seed problem %.1f GFLOP\n", nvml.dev ? "open" : "not available", sms, kSeedFlop / 1e9);
  for (int round = 0; round < 2; ++round) {
    run("wgmma RS m64n64k8, random", true, kRandom, nvml, src, out, sms);
    run("wgmma RS m64n64k8, zero", true, kZero, nvml, src, out, sms);
    run("wgmma RS m64n64k8, constant", true, kConst, nvml, src, out, sms);
    run("mma.sync m16n8k8, random", false, kRandom, nvml, src, out, sms);
    run("mma.sync m16n8k8, zero", false, kZero, nvml, src, out, sms);
  }
}
