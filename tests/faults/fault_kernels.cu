// Test only (built into tuner_faults, never into the tuner): kernels that fail the way real bugs do, so that the
// isolation tests see a faulting kernel and a hanging one in a real sweep. Nothing here computes anything; both
// take the fused kernels' arguments (ConvMishArgs) so that they launch like them.
#include "common.cuh"

// Writes far outside every allocation: at the start of the address space, below any mapping (y minus its own
// address), so the store faults (cudaErrorIllegalAddress) and the context is lost: a sticky error.
extern "C" __global__ void test_oob_write(ConvMishArgs a) {
  volatile float* far = a.y - ((unsigned long long)a.y / sizeof(float)) + 16;
  far[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f;
}

// Never finishes: spins on a flag in device memory that nothing ever sets (the launch zeroes it), then would
// write the output.
extern "C" __global__ void test_spin(ConvMishArgs a, const volatile int* flag) {
  while (*flag == 0) {
  }
  const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < (long long)a.N * a.K * a.P * a.Q) a.y[idx] = 0.0f;
}
