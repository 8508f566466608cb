// Micro-benchmark (session 10): does the wgmma width N change how fast the tensor cores run on this board at its
// power limit? wgmma RS m64nNk8 TF32 for N = 32 (the 3xTF32 wgmma_rs default's width: bn 32), 64 and 128, two
// warpgroups per SM, the same FLOP per iteration (8 x 64/N wgmmas), A rotating over 4 register sets and B over 8
// shared tiles of N x 8, accumulators in 128 registers (4 sets of N/2; 2 for N = 128). Operands like the seed's:
// random fp32 bits in [0, 1) for A, TF32-rounded random weights in +-1/24 for B. Each mode: 400 launches of about
// 2.5 ms back to back, launches 200-399 timed by events, NVML sampled while they run (as power_floor.cu, session 8).
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
__device__ __forceinline__ void rs32(float* d, const unsigned* a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n32k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, {%16,%17,%18,%19}, %20, 1, 1, 1;\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
__device__ __forceinline__ void rs64(float* d, const unsigned* a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, 1, 1, 1;\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
__device__ __forceinline__ void rs128(float* d, const unsigned* a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, {%64,%65,%66,%67}, %68, 1, 1, 1;\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}

template <int N>
__device__ __forceinline__ void rs(float* d, const unsigned* a, unsigned long long b) {
  if constexpr (N == 32) rs32(d, a, b);
  else if constexpr (N == 64) rs64(d, a, b);
  else rs128(d, a, b);
}
__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int W> __device__ __forceinline__ void wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(W) : "memory"); }

// src: 16384 floats (A sets from its first 2048; B: 8 tiles of N x 8 from float 4096 on, up to 32 KiB).
template <int N>
__global__ void __launch_bounds__(256, 1) wg_kernel(const float* src, float* out, int iters) {
  __shared__ __align__(128) float sm[8 * 1024];
  constexpr int kTile = N * 8;  // floats of one B tile (K-major core matrices: N rows of 8 k, 2 columns of 4)
  for (int i = threadIdx.x; i < 8 * kTile; i += blockDim.x) sm[i] = src[4096 + i];
  __syncthreads();
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  const unsigned long long b0 = desc(sm, N * 16, 128);
  constexpr int kSets = N == 128 ? 2 : 4, kPer = 8 * 64 / N;  // accumulator sets; wgmmas per iteration
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
    for (int s = 0; s < kPer; ++s) rs<N>(acc + (N / 2) * (s % kSets), a[s % 4], b0 + (s % 8) * (kTile * 4 / 16));
    commit();
    wait<1>();
  }
  wait<0>();
  float t = 0;
#pragma unroll
  for (int i = 0; i < 128; ++i) t += acc[i];
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


const double kSeedFlop = 2.0 * 64 * 254 * 254 * 128 * 576.0;

template <int N>
void run(Nvml& nvml, float* src, float* out, int sms) {
  static float host[16384];
  uint32_t x = 12345;
  for (int i = 0; i < 16384; ++i) {
    x = x * 1664525u + 1013904223u;
    float v = float(x >> 8) / 16777216.0f;  // [0, 1)
    if (i >= 4096) {  // weights: random in +-1/24, TF32-rounded
      v = (v - 0.5f) / 12.f;
      uint32_t u; memcpy(&u, &v, 4); u = (u + 0x1000u) & 0xffffe000u; memcpy(&v, &u, 4);
    }
    host[i] = v;
  }
  CK(cudaMemcpy(src, host, sizeof host, cudaMemcpyHostToDevice));
  const double flop_it = 2.0 * 8 * 2 * 64 * 64 * 8;  // 2 warpgroups x the FLOP of 8 m64n64k8
  const int iters = int(2.5e-3 * 450e12 / (flop_it * sms));
  auto launch = [&] { wg_kernel<N><<<sms, 256>>>(src, out, iters); };
  for (int i = 0; i < 40; ++i) launch();
  CK(cudaDeviceSynchronize());
  cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
  for (int i = 0; i < 200; ++i) launch();
  CK(cudaEventRecord(e0));
  for (int i = 0; i < 200; ++i) launch();
  CK(cudaEventRecord(e1));
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
  printf("wgmma RS m64n%-3dk8, random  %6.1f TFLOP/s  %.3f ms a launch  seed-equivalent %.3f ms (x3 %.3f)  | NVML %d samples: %.0f W, %.0f MHz, reasons 0x%llx\n",
         N, tflops, ms / 200, kSeedFlop / (tflops * 1e12) * 1e3, 3 * kSeedFlop / (tflops * 1e12) * 1e3, n, n ? w / n : 0, n ? mhz / n : 0, why);
  fflush(stdout);
}

int main() {
  int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  float *src, *out;
  CK(cudaMalloc(&src, 16384 * 4)); CK(cudaMalloc(&out, sms * 256 * 4));
  Nvml nvml;
  printf("NVML %s; %d SMs; seed problem %.1f GFLOP\n", nvml.dev ? "open" : "not available", sms, kSeedFlop / 1e9);
  for (int round = 0; round < 2; ++round) {
    run<32>(nvml, src, out, sms);
    run<64>(nvml, src, out, sms);
    run<128>(nvml, src, out, sms);
  }
}
