// Micro-benchmark: mma.sync m16n8k8 TF32 throughput from registers (no memory traffic) with W warps per SM,
// 32 independent accumulators per warp (the 64x64 warp tile of the igemm kernel), as in its main loop.
#include <cstdio>
#include <cuda_runtime.h>
__device__ __forceinline__ void mma(float* c, const unsigned* a, const unsigned* b) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <int MI, int NI>
__global__ void k(float* out, int iters) {
  unsigned a[MI][4], b[NI][2];
  float acc[MI][NI][4] = {};
  for (int i = 0; i < MI; ++i) for (int j = 0; j < 4; ++j) a[i][j] = threadIdx.x * 7 + i * 3 + j;
  for (int i = 0; i < NI; ++i) for (int j = 0; j < 2; ++j) b[i][j] = threadIdx.x * 5 + i + j;
  for (int it = 0; it < iters; ++it) {
#pragma unroll
    for (int mi = 0; mi < MI; ++mi)
#pragma unroll
      for (int ni = 0; ni < NI; ++ni) mma(acc[mi][ni], a[mi], b[ni]);
  }
  float s = 0;
  for (int mi = 0; mi < MI; ++mi) for (int ni = 0; ni < NI; ++ni) for (int j = 0; j < 4; ++j) s += acc[mi][ni][j];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}
template <int MI, int NI>
void run(int warps, int blocks_per_sm) {
  int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  float* out; cudaMalloc(&out, sizeof(float) * sms * blocks_per_sm * warps * 32);
  const int iters = 4096;
  k<MI, NI><<<sms * blocks_per_sm, warps * 32>>>(out, 16);
  cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
  cudaEventRecord(e0);
  k<MI, NI><<<sms * blocks_per_sm, warps * 32>>>(out, iters);
  cudaEventRecord(e1); cudaEventSynchronize(e1);
  float ms; cudaEventElapsedTime(&ms, e0, e1);
  double flop = 2.0 * 16 * 8 * 8 * MI * NI * (double)iters * warps * blocks_per_sm * sms;
  printf("MI=%d NI=%d warps/block=%2d blocks/SM=%d (warps/SMSP %d): %6.1f TFLOP/s  %s\n", MI, NI, warps, blocks_per_sm,
         warps * blocks_per_sm / 4, flop / ms / 1e9, cudaGetErrorString(cudaGetLastError()));
  cudaFree(out);
}
int main() {
  run<4, 8>(4, 1); run<4, 8>(8, 1); run<4, 8>(8, 2); run<4, 8>(16, 1);
  run<4, 4>(4, 1); run<4, 4>(8, 1); run<4, 4>(16, 1);
  run<2, 2>(8, 1); run<2, 2>(16, 1); run<2, 2>(32, 1);
}
