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

// The bulk tensor copy engine (TMA) and the mbarriers its loads complete on.
// A tensor map as the kernel receives it (a __grid_constant__ parameter): the driver's CUtensorMap, 128 opaque bytes
// aligned to 64, filled on the host (tuner/tensor_map.cpp); kernels only pass its address to the copy instruction.
struct alignas(64) TensorMap {
  unsigned long long opaque[16];
};
__device__ __forceinline__ unsigned smem_u32(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_init(unsigned bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count) : "memory");
}
// Makes mbarrier.init visible to the other threads and to the copy engine (then a block-wide barrier).
__device__ __forceinline__ void mbar_init_fence() { asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory"); }
// Arrives (this thread) and expects `bytes` more from copies that complete on the barrier.
__device__ __forceinline__ void mbar_arrive_expect_tx(unsigned bar, unsigned bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes) : "memory");
}
// Waits until the barrier's phase of the given parity (the k-th completion has parity k & 1) has completed.
__device__ __forceinline__ void mbar_wait(unsigned bar, unsigned parity) {
  unsigned done = 0;
  while (!done)
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(done)
                 : "r"(bar), "r"(parity)
                 : "memory");
}
// One 4-D box of the tensor `map` at coordinates (c0 innermost .. c3) into shared memory at `dst` (128-byte aligned),
// completing on `bar`; elements outside the tensor (negative coordinates included) arrive as zeros.
__device__ __forceinline__ void tma_load_4d(unsigned dst, const TensorMap* map, int c0, int c1, int c2, int c3,
                                            unsigned bar) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], [%6];"
      ::"r"(dst), "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
      : "memory");
}

// TMA stores (TSTORE in conv_igemm_mma.cu): one 3-D box from shared memory at `src` (laid out as the map's swizzle
// reads it; 1024-byte aligned for SWIZZLE_128B) to the tensor at coordinates (c0 innermost, c1, c2); elements outside
// the tensor are not written. The copies complete in bulk groups of the issuing thread: commit closes a group,
// wait_read<N> waits until at most N of its groups may still read their shared memory, wait_all until every write
// has been made.
__device__ __forceinline__ void tma_store_3d(const TensorMap* map, int c0, int c1, int c2, unsigned src) {
  asm volatile("cp.async.bulk.tensor.3d.global.shared::cta.bulk_group [%0, {%1, %2, %3}], [%4];" ::"l"(map), "r"(c0),
               "r"(c1), "r"(c2), "r"(src)
               : "memory");
}
__device__ __forceinline__ void bulk_commit() { asm volatile("cp.async.bulk.commit_group;" ::: "memory"); }
template <int N>
__device__ __forceinline__ void bulk_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read %0;" ::"n"(N) : "memory");
}
__device__ __forceinline__ void bulk_wait_all() { asm volatile("cp.async.bulk.wait_group 0;" ::: "memory"); }
__device__ __forceinline__ void st_shared(unsigned addr, float v) {
  asm volatile("st.shared.f32 [%0], %1;" ::"r"(addr), "f"(v) : "memory");
}

// Thread block clusters (MC > 1 in conv_igemm_mma.cu): the CTA's rank in its cluster, a barrier of every thread of
// every CTA of the cluster (release / acquire: earlier shared-memory writes and mbarrier.init visible cluster-wide),
// an arrive on the mbarrier at the same shared offset in CTA `rank` of the cluster, and one 4-D box multicast into
// shared memory at the same offset in every CTA of `mask` (bit i: rank i), each completing on its own mbarrier at
// offset `bar`. The arrive has the default (CTA-scope) semantics, as CUTLASS's cluster barriers do: it tells that
// reads have completed (their values used by finished MMAs), and .release.cluster costs a MEMBAR.ALL.GPU (SASS), which
// waits for the thread's global stores too.
__device__ __forceinline__ unsigned cluster_rank() {
  unsigned r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
  return r;
}
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory");
}
__device__ __forceinline__ void mbar_arrive_cluster(unsigned bar, unsigned rank) {
  asm volatile(
      "{\n.reg .b32 ra;\nmapa.shared::cluster.u32 ra, %0, %1;\n"
      "mbarrier.arrive.shared::cluster.b64 _, [ra];\n}" ::"r"(bar),
      "r"(rank)
      : "memory");
}
__device__ __forceinline__ void tma_load_4d_multicast(unsigned dst, const TensorMap* map, int c0, int c1, int c2,
                                                      int c3, unsigned bar, unsigned short mask) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1, {%2, %3, %4, %5}], [%6], %7;" ::"r"(dst),
      "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar), "h"(mask)
      : "memory");
}

}  // namespace cm_wgmma
