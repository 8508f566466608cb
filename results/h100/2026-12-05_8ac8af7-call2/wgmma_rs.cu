// Micro-benchmark (session 5): wgmma TF32 throughput, A from registers (RS) or shared memory (SS), N = 64 or 128,
// 1-3 warpgroups per CTA, one CTA per SM; and the wgmma_rs kernel's step pattern (A fragments loaded from shared
// memory each step into NF rotating register sets, 1 wgmma per step, wait_group NF-1).
#include <cstdio>
#include <cuda_runtime.h>
__device__ __forceinline__ unsigned long long desc(const void* p, unsigned lbo, unsigned sbo) {
  unsigned a = (unsigned)__cvta_generic_to_shared(p);
  return (unsigned long long)((a & 0x3FFFF) >> 4) | ((unsigned long long)(lbo >> 4) << 16) | ((unsigned long long)(sbo >> 4) << 32);
}
#define R8(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define L8(i) "%" #i ", "
__device__ __forceinline__ void rs64(float* d, const unsigned* a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, 1, 1, 1;\n"
               : R8(0), R8(8), R8(16), R8(24) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
__device__ __forceinline__ void ss64(float* d, unsigned long long a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, 1, 1, 1;\n"
               : R8(0), R8(8), R8(16), R8(24) : "l"(a), "l"(b));
}
__device__ __forceinline__ void rs128(float* d, const unsigned* a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, {%64,%65,%66,%67}, %68, 1, 1, 1;\n"
               : R8(0), R8(8), R8(16), R8(24), R8(32), R8(40), R8(48), R8(56) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
__device__ __forceinline__ void ss128(float* d, unsigned long long a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, %64, %65, 1, 1, 1;\n"
               : R8(0), R8(8), R8(16), R8(24), R8(32), R8(40), R8(48), R8(56) : "l"(a), "l"(b));
}
__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }

// MODE 0: RS n64, 4 accumulators; 1: SS n64; 2: RS n128, 2 accumulators; 3: SS n128; 4: the kernel's step pattern.
template <int MODE>
__global__ void __launch_bounds__(384, 1) k(float* out, int iters) {
  extern __shared__ __align__(128) float sm[];
  for (int i = threadIdx.x; i < 16384; i += blockDim.x) sm[i] = (i % 7) * 0.25f;
  __syncthreads();
  const unsigned long long b = desc(sm, 1024, 128), a_d = desc(sm + 8192, 1024, 128);
  float acc[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) acc[i] = 0.f;
  unsigned a[3][4];
#pragma unroll
  for (int i = 0; i < 3; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) a[i][j] = __float_as_uint(sm[threadIdx.x % 128 + 130 * j + i]);
  for (int it = 0; it < iters; ++it) {
    if (MODE == 4) {
      // 12 steps: 4 LDS into set s % 3, fence, a wgmma into one of the 4 accumulators, commit, wait 2.
#pragma unroll
      for (int s = 0; s < 12; ++s) {
        wait<2>();
        const float* p = sm + (threadIdx.x % 128) + (s % 6) * 68 + (it & 7);
#pragma unroll
        for (int j = 0; j < 4; ++j) a[s % 3][j] = __float_as_uint(p[j * 420]);
        fence();
        rs64(acc + 32 * (s % 4), a[s % 3], b + (s % 6) * 64);
        commit();
      }
    } else {
      fence();
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        if (MODE == 0) rs64(acc + 32 * j, a[0], b + j * 64);
        if (MODE == 1) ss64(acc + 32 * j, a_d + j * 64, b + j * 64);
        if (MODE == 2) rs128(acc + 64 * (j % 2), a[0], b + j * 64);
        if (MODE == 3) ss128(acc + 64 * (j % 2), a_d + j * 64, b + j * 64);
      }
      commit();
      wait<1>();
    }
  }
  wait<0>();
  float s = 0;
#pragma unroll
  for (int i = 0; i < 128; ++i) s += acc[i];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}
template <int MODE>
void run(const char* name, int groups) {
  int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  float* out; cudaMalloc(&out, sizeof(float) * sms * 384);
  cudaFuncSetAttribute(k<MODE>, cudaFuncAttributeMaxDynamicSharedMemorySize, 65536);
  const int iters = 20000;
  k<MODE><<<sms, groups * 128, 65536>>>(out, 16);
  cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
  cudaEventRecord(e0);
  k<MODE><<<sms, groups * 128, 65536>>>(out, iters);
  cudaEventRecord(e1); cudaEventSynchronize(e1);
  float ms; cudaEventElapsedTime(&ms, e0, e1);
  const double n = (MODE == 2 || MODE == 3) ? 128 : 64, per_it = MODE == 4 ? 12 : 4;
  double flop = 2.0 * 64 * n * 8 * per_it * iters * groups * (double)sms;
  int clk; cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, 0);
  printf("%-28s groups %d: %6.1f TFLOP/s  (%.3f ms)  %s\n", name, groups, flop / ms / 1e9, ms, cudaGetErrorString(cudaGetLastError()));
  cudaFree(out);
}
int main() {
  for (int g = 1; g <= 3; ++g) {
    run<0>("RS m64n64k8 x4", g); run<1>("SS m64n64k8 x4", g); run<2>("RS m64n128k8 x4", g); run<3>("SS m64n128k8 x4", g);
    run<4>("kernel pattern RS n64 (LDS)", g);
  }
}
