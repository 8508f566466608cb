// Hopper warpgroup MMA helpers (sm_90a), shared by conv_wgmma.cu and conv_igemm_mma.cu (WGMMA=1).
#pragma once

namespace cm_wgmma {

// Shared-memory matrix descriptor, no swizzle: start address, leading (between K-adjacent core matrices) and stride
// (between M- or N-adjacent 8-row core matrices) byte offsets, in 16-byte units; base offset 0.
__device__ __forceinline__ unsigned long long smem_desc(const void* p, unsigned lbo, unsigned sbo) {
  const unsigned addr = (unsigned)__cvta_generic_to_shared(p);
  return (unsigned long long)((addr & 0x3FFFF) >> 4) | ((unsigned long long)(lbo >> 4) << 16) |
         ((unsigned long long)(sbo >> 4) << 32);
}
// Makes this thread's earlier shared-memory writes (generic proxy: stores, cp.async) visible to the wgmmas that read
// that memory through the async proxy.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
// Orders this thread's register and shared-memory accesses before the wgmmas that follow.
__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most N committed groups of this warpgroup are pending.
template <int N>
__device__ __forceinline__ void wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

// Ties registers that asynchronous wgmmas write (accumulators) to this point: asm operands the compiler must treat as
// read and rewritten here, so that no access to them is moved across the wgmma.wait_group (or the wgmmas) beside it;
// the wgmma asm statements alone tell the compiler the values are final as soon as they are issued. Any array of
// floats, nested to any depth.
__device__ __forceinline__ void fence_operands(float& x) { asm volatile("" : "+f"(x)::"memory"); }
template <typename T, int N>
__device__ __forceinline__ void fence_operands(T (&x)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) fence_operands(x[i]);
}

}  // namespace cm_wgmma
