// Diagnostic harness (session 10, from session 8's energy.cu): where the fused.wgmma_rs_3xtf32 default's time and
// power go under the 700 W cap. Times conv_igemm_mma (built with the -D values the tuner passes for the default, TMA
// input boxes included, plus sed-made copies without parts of the work, see energy3x.sh) on the seed shape with data
// like the tuner's (x uniform in [0, 1), weights and bias uniform in +-1/24), no validation. Power-steady: 200 launches, then 600 timed one by one with events; NVML's
// energy counter over the last 400 (about 1 s), and its power and SM clock read meanwhile. KZERO=1 passes K=0 so that no output is stored.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>
#include <dlfcn.h>
#include <cuda_runtime.h>
#include "conv_igemm_mma.cu"
#include <cstring>
#include "tuner/tensor_map.hpp"
#ifndef KZERO
#define KZERO 0
#endif

__global__ void fill(float* p, long long n, unsigned seed, float lo, float hi) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    unsigned h = (unsigned)i * 2654435761u ^ seed;
    h ^= h >> 16; h *= 0x7feb352du; h ^= h >> 15; h *= 0x846ca68bu; h ^= h >> 16;
    p[i] = lo + (hi - lo) * (h >> 8) * (1.0f / 16777216.0f);
  }
}

struct Nvml {
  void* dev = nullptr;
  int (*power)(void*, unsigned*) = nullptr;
  int (*clock)(void*, int, unsigned*) = nullptr;
  int (*energy)(void*, unsigned long long*) = nullptr;
  Nvml() {
    void* h = dlopen("libnvidia-ml.so.1", RTLD_NOW);
    if (!h) return;
    auto init = (int (*)())dlsym(h, "nvmlInit_v2");
    auto get = (int (*)(unsigned, void**))dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    power = (int (*)(void*, unsigned*))dlsym(h, "nvmlDeviceGetPowerUsage");
    clock = (int (*)(void*, int, unsigned*))dlsym(h, "nvmlDeviceGetClockInfo");
    energy = (int (*)(void*, unsigned long long*))dlsym(h, "nvmlDeviceGetTotalEnergyConsumption");
    if (!init || !get || init() != 0 || get(0, &dev) != 0) dev = nullptr;
  }
};

int main() {
  const int N = 64, C = 64, H = 256, W = 256, K = 128, R = 3, S = 3, P = 254, Q = 254;
  float *x, *w, *b, *y, *wt;
  const long long nx = (long long)N * C * H * W;
  cudaMalloc(&x, sizeof(float) * nx); fill<<<1024, 256>>>(x, nx, 1u, 0.f, 1.f);
  cudaMalloc(&w, sizeof(float) * K * C * R * S); fill<<<64, 256>>>(w, K * C * R * S, 2u, -1.f / 24, 1.f / 24);
  cudaMalloc(&b, sizeof(float) * K); fill<<<1, 128>>>(b, K, 3u, -1.f / 24, 1.f / 24);
  cudaMalloc(&y, sizeof(float) * (size_t)N * K * P * Q);
  const int kblocks = K / BN;
  cudaMalloc(&wt, sizeof(float) * kblocks * B_FLOATS);
  igemm_weights<<<(kblocks * B_FLOATS + 255) / 256, 256>>>(w, wt, K, C, kblocks);
  ConvMishArgs a{x, w, b, y, N, C, H, W, KZERO ? 0 : K, R, S, P, Q, 1, 0, 2};
  const int smem = 4 * (B_FLOATS + GROUPS * STAGES * A_STAGE + BN) + 8 * GROUPS * STAGES;  // + the TMA mbarriers
  const CUtensorMap m = convmish::encode_fp32_tensor_map(x, 4, {(uint64_t)W, (uint64_t)H, (uint64_t)C, (uint64_t)N, 0},
                                                         {PWS, PH, CK, 1, 0});
  cm_wgmma::TensorMap xmap;
  static_assert(sizeof m == sizeof xmap, "a CUtensorMap");
  std::memcpy(&xmap, &m, sizeof m);
  cudaFuncSetAttribute(conv_igemm_mma, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  const int grid = sms / kblocks * kblocks;
  auto launch = [&] { conv_igemm_mma<<<grid, THREADS, smem>>>(a, wt, kblocks, xmap); };
  for (int i = 0; i < 200; ++i) launch();  // about 0.5 s: the board reaches its power limit
  const int n = 600, e0 = 200;              // launches 0-599 timed; energy over launches 200-599 (about 1 s)
  std::vector<cudaEvent_t> ev(n + 1);
  for (auto& e : ev) cudaEventCreate(&e);
  cudaEventRecord(ev[0]);
  for (int i = 0; i < n; ++i) { launch(); cudaEventRecord(ev[i + 1]); }
  Nvml nvml;
  auto energy_mj = [&] {
    unsigned long long e = 0;
    if (nvml.dev && nvml.energy) nvml.energy(nvml.dev, &e);
    return e;
  };
  while (cudaEventQuery(ev[e0]) == cudaErrorNotReady) std::this_thread::sleep_for(std::chrono::microseconds(200));
  const unsigned long long E0 = energy_mj();
  double watts = 0, mhz = 0; int samples = 0;
  while (cudaEventQuery(ev[n]) == cudaErrorNotReady) {
    unsigned p = 0, c = 0;
    if (nvml.dev) { nvml.power(nvml.dev, &p); nvml.clock(nvml.dev, 1, &c); }
    watts += p / 1000.0; mhz += c; ++samples;
    for (int k = 0; k < 50 && cudaEventQuery(ev[n]) == cudaErrorNotReady; ++k)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const unsigned long long E1 = energy_mj();
  cudaEventSynchronize(ev[n]);
  std::vector<float> ms(n - e0);
  double window = 0;
  for (int i = e0; i < n; ++i) { cudaEventElapsedTime(&ms[i - e0], ev[i], ev[i + 1]); window += ms[i - e0]; }
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2], joules = (E1 - E0) * 1e-3;
  printf("%-20s median %.3f ms (min %.3f) | energy counter: %.0f W, %.3f J a launch | %d samples: %4.0f W %4.0f MHz  %s\n",
         TAG, med, ms[0], joules / (window * 1e-3), joules / (n - e0), samples, samples ? watts / samples : 0,
         samples ? mhz / samples : 0, cudaGetErrorString(cudaGetLastError()));
}
