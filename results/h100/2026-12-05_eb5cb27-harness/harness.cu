// Diagnostic harness (session 5): times conv_igemm_mma (built with -D... as the tuner would, plus sed-made
// diagnostic copies of the kernel) on the seed shape, without validation. KZERO=1 passes K=0 so no output is stored.
#include <cstdio>
#include <cuda_runtime.h>
#include "conv_igemm_mma.cu"
#ifndef KZERO
#define KZERO 0
#endif
int main() {
  const int N = 64, C = 64, H = 256, W = 256, K = 128, R = 3, S = 3, P = 254, Q = 254;
  float *x, *w, *b, *y, *wt;
  cudaMalloc(&x, sizeof(float) * N * C * H * W); cudaMemset(x, 0, sizeof(float) * N * C * H * W);
  cudaMalloc(&w, sizeof(float) * K * C * R * S); cudaMemset(w, 0, sizeof(float) * K * C * R * S);
  cudaMalloc(&b, sizeof(float) * K); cudaMemset(b, 0, sizeof(float) * K);
  cudaMalloc(&y, sizeof(float) * (size_t)N * K * P * Q);
  const int kblocks = K / BN;
  cudaMalloc(&wt, sizeof(float) * kblocks * B_FLOATS);
  igemm_weights<<<(kblocks * B_FLOATS + 255) / 256, 256>>>(w, wt, K, C, kblocks);
  ConvMishArgs a{x, w, b, y, N, C, H, W, KZERO ? 0 : K, R, S, P, Q, 1, 0, 2};
  const int smem = 4 * (B_FLOATS + GROUPS * STAGES * A_STAGE + BN);
  cudaFuncSetAttribute(conv_igemm_mma, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  const int grid = sms / kblocks * kblocks;
  cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
  float best = 1e9;
  for (int rep = 0; rep < 12; ++rep) {
    cudaEventRecord(e0);
    conv_igemm_mma<<<grid, THREADS, smem>>>(a, wt, kblocks);
    cudaEventRecord(e1); cudaEventSynchronize(e1);
    float ms; cudaEventElapsedTime(&ms, e0, e1);
    if (rep > 1 && ms < best) best = ms;
  }
  printf("%-40s best of 10: %.3f ms  %s\n", TAG, best, cudaGetErrorString(cudaGetLastError()));
}
