// Micro-benchmark (session 16, from session 9's composite_floor.cu in results/h100/2026-12-06_d1203a4-composite):
// the composite floor with the seed's own output layout. Session 9 wrote the outputs into rows padded to 256
// columns, which a TMA store box or a 16-byte store can always start on; the seed's output rows are 254 floats
// (1016 bytes), so every odd row starts 8 bytes off a 16-byte boundary, where neither can start (a TMA box's
// innermost coordinate must be 16-byte aligned in global memory). Data path 4 writes the seed's real layout from
// registers: 16-byte stores on even rows, 8-byte stores on odd rows. Changes from session 9's file: the bulk kernel
// is a template on its data path (each path compiled alone, so the Mish loop is fully unrolled in every one, as in
// session 9's call 3, without spills); data path 4; Mish form 4 then the fast form (the fp32-class kernels' epilogue)
// for the 3xTF32 modes (mish 2); the modes list.
//
// Session 9's description follows.
// Micro-benchmark (session 9): a composite floor for the seed problem on one board under its power limit.
// Two warpgroups per SM issue nothing but the seed's tensor-core work (its 608.8 GFLOP, or three times that for
// 3xTF32), from registers and shared memory as in power_floor.cu, while up to two more warpgroups move the seed's
// data and run its epilogue: for each of the fused kernels' 32768 tile tasks (64 output channels x 4 rows x 64
// pixels of one image, two channel blocks per tile) they read the tile's input patch (64 channels x 6 rows x 68
// columns, 16-byte loads, the two channel blocks' CTAs reading the same patch at about the same time as the fused
// kernels' do) and write its 16384 outputs after bias-free Mish twice (the fused kernels' fast form, from
// kernels/mish.cuh) with 16-byte stores into a row-padded output (Q 254 padded to 256: 0.8 % more bytes).
// Nothing else: no staging of the input into shared memory, no fragment loads, no 3xTF32 splits or folds, operands
// that never change, and the widest SIMT loads and stores. A real kernel does all of this and more, so the time
// of a mode is a practical lower bound for a kernel of that kind on this board (a TMA loader issues fewer
// instructions for its loads than the 16-byte loads here: that part of the bound is not strict).
// Output per mode: median launch time (events), and NVML's energy counter over about 1 s in a power-steady state.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>
#include <dlfcn.h>
#include <cuda.h>  // CUtensorMap and its enums (no libcuda: the encoder comes from cudaGetDriverEntryPointByVersion)
#include <cuda_runtime.h>
#define CM_MISH_FAST_FTZ 1
#ifndef MISH_UNROLL
#define MISH_UNROLL 16
#endif
constexpr int kMishUnroll = MISH_UNROLL;  // the Mish loop: 16 (fully unrolled, as session 9's call 3) unless built otherwise
#include "mish.cuh"

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e_)); exit(1); } } while (0)

constexpr int kN = 64, kC = 64, kH = 256, kW = 256, kK = 128, kP = 254, kQp = 256;
constexpr int kTilesW = 4, kTilesH = 64, kTiles = kTilesW * kTilesH * kN;  // 64-pixel x 4-row tiles per image
constexpr int kLoadItems = kC * 6 * 17;   // 16-byte loads of a tile's patch: 64 channels x 6 rows x 68 columns
constexpr int kStoreItems = 64 * 4 * 16;  // 16-byte stores of a tile's outputs: 64 channels x 4 rows x 64 pixels
constexpr double kSeedFlop = 2.0 * 64 * 254 * 254 * 128 * 576.0;

__device__ __forceinline__ unsigned long long desc(const void* p, unsigned lbo, unsigned sbo) {
  unsigned a = (unsigned)__cvta_generic_to_shared(p);
  return (unsigned long long)((a & 0x3FFFF) >> 4) | ((unsigned long long)(lbo >> 4) << 16) | ((unsigned long long)(sbo >> 4) << 32);
}
#define R8(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
__device__ __forceinline__ void rs64(float* d, const unsigned* a, unsigned long long b) {
  asm volatile("wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, 1, 1, 1;\n"
               : R8(0), R8(8), R8(16), R8(24) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
__device__ __forceinline__ void mma(float* c, const unsigned* a, const unsigned* b) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// The tensor-core part, by warpgroups 0 and 1: `iters` x 8 wgmma m64n64k8 (A from registers, B from the 8 tiles in
// `sm`, two accumulator sets) per warpgroup, or x 16 mma.sync m16n8k8 per warp. Returns the accumulators' sum.
__device__ __forceinline__ float tc_work(const float* sm, const float* __restrict__ src, int tc, int iters) {
  float s = 0.f;
  if (tc == 1) {
    const unsigned long long b0 = desc(sm, 1024, 128);
    float acc[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) acc[i] = 0.f;
    unsigned a[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) a[i][j] = __float_as_uint(src[(threadIdx.x % 128) * 16 + i * 4 + j]);
    for (int it = 0; it < iters; ++it) {
      asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
      for (int k = 0; k < 8; ++k) rs64(acc + 32 * (k % 2), a[k % 4], b0 + k * 128);  // B tile k: 2048 B apart
      asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
      asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
    }
    asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
#pragma unroll
    for (int i = 0; i < 64; ++i) s += acc[i];
  } else if (tc == 2) {
    const int lane = threadIdx.x % 32;
    unsigned a[2][4], b[8][2];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) a[i][j] = __float_as_uint(src[lane * 16 + i * 4 + j]);
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) b[i][j] = __float_as_uint(sm[lane * 16 + i * 2 + j]);
    float acc[2][8][4] = {};
    for (int it = 0; it < iters; ++it) {
#pragma unroll
      for (int mi = 0; mi < 2; ++mi)
#pragma unroll
        for (int ni = 0; ni < 8; ++ni) mma(acc[mi][ni], a[mi], b[ni]);
    }
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int ni = 0; ni < 8; ++ni)
#pragma unroll
        for (int k = 0; k < 4; ++k) s += acc[mi][ni][k];
  }
  return s;
}

struct Mode {
  const char* name;
  int path;    // 0 16-byte loads and stores by `epi` warpgroups (composite); composite_bulk: 1 bulk copies of rows,
               // 2 TMA boxes in and out, 3 TMA boxes in, 16-byte stores out (both into rows padded to 256),
               // 4 TMA boxes in, the seed's 254-float rows out from registers (16 B on even rows, 8 B on odd)
  int tc;      // 0 none, 1 wgmma m64n64k8 (2 warpgroups), 2 mma.sync m16n8k8 (8 warps), 3 idle for 2 ms
  int mult;    // tensor work: 1 (TF32) or 3 (3xTF32's three products)
  int epi;     // path 0: warpgroups moving data and running Mish, 0, 1 or 2; path 1: 0 or 1 (data moved or not)
  int mish;    // 1 Mish twice on every output (fast form), 2 form 4 then the fast form, 0 the value stored as it is
};

// src: 16384 floats: A operands from its first 4096 (random input bits, TF32-rounded), B (weights) from the rest.
__global__ void __launch_bounds__(512, 1) composite(const float* __restrict__ src, const float4* __restrict__ x,
                                                    float4* __restrict__ y, float* __restrict__ sink, int tc, int iters,
                                                    int epi, int mish) {
  __shared__ __align__(128) float sm[8 * 512];
  const int wgi = threadIdx.x / 128;
  for (int i = threadIdx.x; i < 8 * 512; i += blockDim.x) sm[i] = src[4096 + i];
  __syncthreads();
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  float s = 0.f;
  if (wgi < 2) {
    s = tc_work(sm, src, tc, iters);
  } else if (wgi >= 2 && wgi - 2 < epi) {
    // Tile tasks: the CTAs of a pair (channel blocks kb 0 and 1) walk the same tiles.
    const int E = 128 * epi, u = threadIdx.x - 256;
    const int kb = blockIdx.x % 2, pairs = gridDim.x / 2, pair = blockIdx.x / 2;
    const int nl = (kLoadItems + E - 1) / E, ns = (kStoreItems + E - 1) / E;
    for (int t = pair; t < kTiles; t += pairs) {
      const int tw = t % kTilesW, th = (t / kTilesW) % kTilesH, n = t / (kTilesW * kTilesH);
      auto ld = [&](float4 (&d)[4], int j0) {
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          const int L = u + E * (j0 + q);
          if (j0 + q < nl && L < kLoadItems) {
            const int col4 = L % 17, r = (L / 17) % 6, c = L / 102;
            const int ih = min(4 * th + r, kH - 1), iw4 = min(16 * tw + col4, kW / 4 - 1);
            d[q] = __ldg(x + ((long long)(n * kC + c) * kH + ih) * (kW / 4) + iw4);
          } else {
            d[q] = make_float4(0.f, 0.f, 0.f, 0.f);
          }
        }
      };
      float4 cur[4], nxt[4];
      ld(cur, 0);
      for (int j0 = 0; j0 < nl; j0 += 4) {
        if (j0 + 4 < nl) ld(nxt, j0 + 4);
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          const int j = j0 + q, S = u + E * j;
          const float4 v = cur[q];
          if (j < ns && S < kStoreItems) {
            const int ow4 = S % 16, r = (S / 16) % 4, c = S / 64, oh = 4 * th + r;
            if (oh < kP) {
              float4 o = make_float4(v.x - 0.5f, v.y - 0.5f, v.z - 0.5f, v.w - 0.5f);
              if (mish) {
                o.x = cm::mish_repeat<CM_MISH_FAST>(o.x, 2), o.y = cm::mish_repeat<CM_MISH_FAST>(o.y, 2);
                o.z = cm::mish_repeat<CM_MISH_FAST>(o.z, 2), o.w = cm::mish_repeat<CM_MISH_FAST>(o.w, 2);
              }
              y[((long long)(n * kK + kb * 64 + c) * kP + oh) * (kQp / 4) + 16 * tw + ow4] = o;
            }
          } else {
            s += v.x + v.y + v.z + v.w;
          }
        }
#pragma unroll
        for (int q = 0; q < 4; ++q) cur[q] = nxt[q];
      }
    }
  }
  sink[blockIdx.x * blockDim.x + threadIdx.x] = s;
}

// ---- The bulk-copy path (cp.async.bulk, the TMA engine in its 1D mode): the least the SM can spend moving data ----
// Minimal traffic: each tile's patch is read once (one CTA per tile, all 128 output channels), in chunks of 16
// input channels (96 rows of 272 B: 16 channels x 6 rows x 68 columns, 256 B at the right edge) into one of 3
// buffers, completing on an mbarrier; warpgroup 2 reads each chunk (16-byte shared loads), runs Mish twice on
// 32 output channels x 4 rows x 64 pixels of it (channels c and c + 64 from input channel c), writes them to one of
// 2 output stages (16-byte shared stores) and its first warp sends them out with bulk stores of 256-byte rows.
// Warp 12 is the loader. Warpgroups 0 and 1 do the tensor work as in `composite`.
constexpr int kCC = 16, kRowF = 68, kInBufs = 3, kOutBufs = 2;
constexpr int kInFloats = kCC * 6 * kRowF, kOutFloats = 2 * kCC * 4 * 64;
constexpr int kBulkSmem = 4 * (4096 + kInBufs * kInFloats + kOutBufs * kOutFloats) + 8 * 2 * kInBufs;

__device__ __forceinline__ unsigned smem_u32(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_wait(unsigned bar, unsigned parity) {
  unsigned ok = 0;
  while (!ok)
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(ok) : "r"(bar), "r"(parity) : "memory");
}

template <int data>
__global__ void __launch_bounds__(512, 1) composite_bulk(const float* __restrict__ src, const float* __restrict__ x,
                                                         float* __restrict__ y, float* __restrict__ sink, int tc,
                                                         int iters, int mish,
                                                         const __grid_constant__ CUtensorMap tx,
                                                         const __grid_constant__ CUtensorMap ty) {
  extern __shared__ __align__(128) float smb[];
  float* inb = smb + 4096;
  float* outb = inb + kInBufs * kInFloats;
  const unsigned bar0 = smem_u32(outb + kOutBufs * kOutFloats);  // full[0..2], then empty[0..2]: 8 bytes each
  auto full = [&](int b) { return bar0 + 8 * b; };
  auto empty = [&](int b) { return bar0 + 8 * (kInBufs + b); };
  const int wgi = threadIdx.x / 128, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int i = threadIdx.x; i < 4096; i += blockDim.x) smb[i] = src[4096 + i];
  if (threadIdx.x == 0) {
    for (int b = 0; b < kInBufs; ++b) {
      asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(full(b)) : "memory");
      asm volatile("mbarrier.init.shared::cta.b64 [%0], 128;" ::"r"(empty(b)) : "memory");
    }
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  }
  __syncthreads();
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  float s = 0.f;
  if (wgi == 0 && tc == 3) {  // idle: SMs held by a kernel that only reads the clock, for `iters` microseconds
    unsigned long long t0, t1;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do { __nanosleep(1000); asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t1)); } while (t1 - t0 < 1000ull * iters);
  } else if (wgi < 2 && tc != 3) {
    s = tc_work(smb, src, tc, iters);
  } else if (data && warp == 12) {  // the loader
    int g = 0;
    for (int t = blockIdx.x; t < kTiles; t += gridDim.x)
      for (int q = 0; q < kC / kCC; ++q, ++g) {
        const int b = g % kInBufs;
        if (g >= kInBufs) mbar_wait(empty(b), ((g / kInBufs) - 1) & 1);
        const int tw = t % kTilesW, th = (t / kTilesW) % kTilesH, n = t / (kTilesW * kTilesH);
        if (data >= 2) {  // one box: 68 columns x 6 rows x 16 channels of image n (zeros outside the image)
          if (lane == 0) {
            asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(full(b)), "r"(kInFloats * 4) : "memory");
            asm volatile("cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], [%6];"
                         ::"r"(smem_u32(inb + b * kInFloats)), "l"(&tx), "r"(64 * tw), "r"(4 * th), "r"(q * kCC), "r"(n), "r"(full(b))
                         : "memory");
          }
          continue;
        }
        const unsigned len = (tw == kTilesW - 1 ? 64 : kRowF) * 4;
        if (lane == 0)
          asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(full(b)), "r"(len * kCC * 6) : "memory");
        __syncwarp();
        for (int i = lane; i < kCC * 6; i += 32) {
          const int c = i / 6, r = i % 6, ih = min(4 * th + r, kH - 1);
          const float* gsrc = x + ((long long)(n * kC + q * kCC + c) * kH + ih) * kW + 64 * tw;
          asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                       ::"r"(smem_u32(inb + b * kInFloats + (c * 6 + r) * kRowF)), "l"(gsrc), "r"(len), "r"(full(b))
                       : "memory");
        }
      }
  } else if (data && wgi == 2) {  // Mish and stores
    const int u = threadIdx.x - 256;
    int g = 0;
    for (int t = blockIdx.x; t < kTiles; t += gridDim.x)
      for (int q = 0; q < kC / kCC; ++q, ++g) {
        const int b = g % kInBufs, st = g % kOutBufs;
        const int tw = t % kTilesW, th = (t / kTilesW) % kTilesH, n = t / (kTilesW * kTilesH);
        // output stage st: the bulk stores sent from it two chunks ago have read it (those of the last may not have)
        if (u < 32) asm volatile("cp.async.bulk.wait_group.read 1;" ::: "memory");
        asm volatile("bar.sync 1, 128;" ::: "memory");
        mbar_wait(full(b), (g / kInBufs) & 1);
        const float* in = inb + b * kInFloats;
        float* out = outb + st * kOutFloats;
#pragma unroll kMishUnroll
        for (int m = 0; m < 16; ++m) {
          const int idx = u + 128 * m, px4 = idx % 16, r = (idx / 16) % 4, kl = idx / 64;
          const float4 v = *reinterpret_cast<const float4*>(in + ((kl % kCC) * 6 + r) * kRowF + px4 * 4);
          const float sg = kl < kCC ? 1.f : -1.f;
          float4 o = make_float4(sg * (v.x - 0.5f), sg * (v.y - 0.5f), sg * (v.z - 0.5f), sg * (v.w - 0.5f));
          if (mish == 1) {
            o.x = cm::mish_repeat<CM_MISH_FAST>(o.x, 2), o.y = cm::mish_repeat<CM_MISH_FAST>(o.y, 2);
            o.z = cm::mish_repeat<CM_MISH_FAST>(o.z, 2), o.w = cm::mish_repeat<CM_MISH_FAST>(o.w, 2);
          } else if (mish == 2) {
            o.x = cm::mish_repeat<CM_MISH_FAST_ACCURATE>(o.x, 2), o.y = cm::mish_repeat<CM_MISH_FAST_ACCURATE>(o.y, 2);
            o.z = cm::mish_repeat<CM_MISH_FAST_ACCURATE>(o.z, 2), o.w = cm::mish_repeat<CM_MISH_FAST_ACCURATE>(o.w, 2);
          }
          if constexpr (data == 3) {  // straight to global memory, 16-byte stores from registers
            const int k = kl < kCC ? q * kCC + kl : 64 + q * kCC + kl - kCC, oh = 4 * th + r;
            if (oh < kP) *reinterpret_cast<float4*>(y + ((long long)(n * kK + k) * kP + oh) * kQp + 64 * tw + px4 * 4) = o;
          } else if constexpr (data == 4) {  // the seed's layout: rows of kP = 254 floats, no padding
            const int k = kl < kCC ? q * kCC + kl : 64 + q * kCC + kl - kCC, oh = 4 * th + r, ow = 64 * tw + px4 * 4;
            float* p = y + ((long long)(n * kK + k) * kP + oh) * kP + ow;
            if (oh < kP && ow < kP) {
              if (ow + 4 > kP) {  // columns 252 and 253: the row's last two
                *reinterpret_cast<float2*>(p) = make_float2(o.x, o.y);
              } else if (oh % 2 == 0) {  // even rows start on 16 bytes (254 * 4 * oh)
                *reinterpret_cast<float4*>(p) = o;
              } else {
                *reinterpret_cast<float2*>(p) = make_float2(o.x, o.y);
                *reinterpret_cast<float2*>(p + 2) = make_float2(o.z, o.w);
              }
            }
          } else {
            *reinterpret_cast<float4*>(out + (kl * 4 + r) * 64 + px4 * 4) = o;
          }
        }
        asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(empty(b)) : "memory");
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        asm volatile("bar.sync 1, 128;" ::: "memory");
        if constexpr (data >= 3) {
        } else if constexpr (data == 2) {  // two boxes of 64 pixels x 4 rows x 16 channels (rows past P clipped)
          if (u == 0) {
#pragma unroll
            for (int h = 0; h < 2; ++h)
              asm volatile("cp.async.bulk.tensor.3d.global.shared::cta.bulk_group [%0, {%1, %2, %3}], [%4];"
                           ::"l"(&ty), "r"(64 * tw), "r"(4 * th), "r"(n * kK + h * 64 + q * kCC), "r"(smem_u32(out + h * kCC * 4 * 64))
                           : "memory");
            asm volatile("cp.async.bulk.commit_group;" ::: "memory");
          }
        } else if (u < 32) {  // 128 rows of 256 B, 4 per lane
#pragma unroll
          for (int i = u; i < 2 * kCC * 4; i += 32) {
            const int kl = i / 4, r = i % 4, oh = 4 * th + r;
            const int k = kl < kCC ? q * kCC + kl : 64 + q * kCC + kl - kCC;
            if (oh < kP)
              asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], 256;"
                           ::"l"(y + ((long long)(n * kK + k) * kP + oh) * kQp + 64 * tw), "r"(smem_u32(out + (kl * 4 + r) * 64))
                           : "memory");
          }
          asm volatile("cp.async.bulk.commit_group;" ::: "memory");
        }
      }
    if (u < 32) asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
  }
  sink[blockIdx.x * blockDim.x + threadIdx.x] = s;
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

int main(int argc, char** argv) {
  int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int grid = sms / 2 * 2;
  float *src, *sink; float4 *x, *y;
  const long long nx = (long long)kN * kC * kH * kW, ny = (long long)kN * kK * kP * kQp;
  CK(cudaMalloc(&src, 16384 * 4)); CK(cudaMalloc(&sink, grid * 512 * 4));
  CK(cudaMalloc(&x, nx * 4)); CK(cudaMalloc(&y, ny * 4));
  {  // operands: A random in [0, 1) TF32-rounded (as the kernels round them), weights random in +-1/24 TF32-rounded
    std::vector<float> host(16384);
    uint32_t r = 12345;
    for (int i = 0; i < 16384; ++i) {
      r = r * 1664525u + 1013904223u;
      float v = float(r >> 8) / 16777216.0f;
      if (i >= 4096) v = (v - 0.5f) / 12.f;
      uint32_t b; memcpy(&b, &v, 4); b = (b + 0x1000u) & 0xffffe000u; memcpy(&v, &b, 4);
      host[i] = v;
    }
    CK(cudaMemcpy(src, host.data(), 16384 * 4, cudaMemcpyHostToDevice));
    std::vector<float> hx(1 << 24);  // the input: uniform [0, 1) like torch.rand, 64 MiB pattern repeated
    for (size_t i = 0; i < hx.size(); ++i) { r = r * 1664525u + 1013904223u; hx[i] = float(r >> 8) / 16777216.0f; }
    for (long long o = 0; o < nx; o += (long long)hx.size())
      CK(cudaMemcpy(reinterpret_cast<float*>(x) + o, hx.data(), std::min<long long>(hx.size(), nx - o) * 4, cudaMemcpyHostToDevice));
  }
  CK(cudaFuncSetAttribute(composite, cudaFuncAttributePreferredSharedMemoryCarveout, 100));
  CK(cudaFuncSetAttribute(composite_bulk<0>, cudaFuncAttributeMaxDynamicSharedMemorySize, kBulkSmem));
  CK(cudaFuncSetAttribute(composite_bulk<2>, cudaFuncAttributeMaxDynamicSharedMemorySize, kBulkSmem));
  CK(cudaFuncSetAttribute(composite_bulk<3>, cudaFuncAttributeMaxDynamicSharedMemorySize, kBulkSmem));
  CK(cudaFuncSetAttribute(composite_bulk<4>, cudaFuncAttributeMaxDynamicSharedMemorySize, kBulkSmem));
  const Mode modes[] = {
      {"idle (SMs held 2 ms)", 1, 3, 1, 0, 1},
      {"wgmma x1 alone", 1, 1, 1, 0, 1},
      {"wgmma x1 + tma in+out, padded", 2, 1, 1, 1, 1},
      {"wgmma x1 + tma in, st.128 padded", 3, 1, 1, 1, 1},
      {"wgmma x1 + tma in, seed rows", 4, 1, 1, 1, 1},
      {"tma in, seed rows: data+Mish alone", 4, 0, 1, 1, 1},
      {"mma.sync x1 + tma in+out, padded", 2, 2, 1, 1, 1},
      {"mma.sync x1 + tma in, seed rows", 4, 2, 1, 1, 1},
      {"wgmma x3 + tma in+out, padded, f4", 2, 1, 3, 1, 2},
      {"wgmma x3 + tma in, seed rows, f4", 4, 1, 3, 1, 2},
      {"mma.sync x3 + tma in, seed rows, f4", 4, 2, 3, 1, 2},
      {"wgmma x1 + tma in+out, padded (2)", 2, 1, 1, 1, 1},
      {"wgmma x1 + tma in, seed rows (2)", 4, 1, 1, 1, 1},
      {"idle (SMs held 2 ms, again)", 1, 3, 1, 0, 1},
  };
  // Tensor maps: x as [N][C][H][W] in boxes of 68 x 6 x 16 x 1; y as [N*K][P][Qp] in boxes of 64 x 4 x 16.
  CUtensorMap tmx{}, tmy{};
  {
    using Encode = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*, const cuuint64_t*,
                                const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave, CUtensorMapSwizzle,
                                CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult q;
    CK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &q));
    if (!fn || q != cudaDriverEntryPointSuccess) { printf("cuTensorMapEncodeTiled not found\n"); return 1; }
    const Encode encode = reinterpret_cast<Encode>(fn);
    const cuuint64_t xd[4] = {kW, kH, kC, kN}, xs[3] = {kW * 4ull, kW * kH * 4ull, (cuuint64_t)kW * kH * kC * 4};
    const cuuint32_t xb[4] = {kRowF, 6, kCC, 1}, es[4] = {1, 1, 1, 1};
    const cuuint64_t yd[3] = {kQp, kP, (cuuint64_t)kN * kK}, ys[2] = {kQp * 4ull, (cuuint64_t)kQp * kP * 4};
    const cuuint32_t yb[3] = {64, 4, kCC};
    CUresult r1 = encode(&tmx, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 4, x, xd, xs, xb, es, CU_TENSOR_MAP_INTERLEAVE_NONE,
                         CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    CUresult r2 = encode(&tmy, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 3, y, yd, ys, yb, es, CU_TENSOR_MAP_INTERLEAVE_NONE,
                         CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_NONE, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r1 != CUDA_SUCCESS || r2 != CUDA_SUCCESS) { printf("tensor map encode: %d %d\n", (int)r1, (int)r2); return 1; }
  }
  const char* only = argc > 1 ? argv[1] : nullptr;
  Nvml nvml;
  printf("NVML %s; %d SMs, grid %d x 512; seed %.1f GFLOP; tile tasks %d x 2 channel blocks\n", nvml.dev ? "open" : "not available",
         sms, grid, kSeedFlop / 1e9, kTiles);
  for (const Mode& m : modes) {
    if (only && !strstr(m.name, only)) continue;
    // Per CTA and iteration: wgmma 2 warpgroups x 8 x m64n64k8; mma.sync 8 warps x 16 x m16n8k8.
    const double flop_it = m.tc == 1 ? 2.0 * 8 * 2 * 64 * 64 * 8 : m.tc == 2 ? 8.0 * 16 * 2 * 16 * 8 * 8 : 1;
    const int iters = m.tc == 3 ? 2000 : m.tc ? int(kSeedFlop * m.mult / grid / flop_it + 0.5) : 0;
    auto launch = [&] {
      if (m.path == 0) composite<<<grid, 512>>>(src, x, y, sink, m.tc, iters, m.epi, m.mish);
      else {
        const float* xf = reinterpret_cast<const float*>(x);
        float* yf = reinterpret_cast<float*>(y);
        switch (m.epi ? m.path : 0) {  // path 1 (row copies) is not run here
          case 2: composite_bulk<2><<<grid, 512, kBulkSmem>>>(src, xf, yf, sink, m.tc, iters, m.mish, tmx, tmy); break;
          case 3: composite_bulk<3><<<grid, 512, kBulkSmem>>>(src, xf, yf, sink, m.tc, iters, m.mish, tmx, tmy); break;
          case 4: composite_bulk<4><<<grid, 512, kBulkSmem>>>(src, xf, yf, sink, m.tc, iters, m.mish, tmx, tmy); break;
          default: composite_bulk<0><<<grid, 512, kBulkSmem>>>(src, xf, yf, sink, m.tc, iters, m.mish, tmx, tmy); break;
        }
      }
    };
    launch();
    CK(cudaDeviceSynchronize());
    cudaEvent_t w0, w1; CK(cudaEventCreate(&w0)); CK(cudaEventCreate(&w1));
    CK(cudaEventRecord(w0)); launch(); CK(cudaEventRecord(w1)); CK(cudaEventSynchronize(w1));
    float first; CK(cudaEventElapsedTime(&first, w0, w1));
    const int warm = std::max(20, int(500 / first)), n = std::max(60, int(1500 / first)), e0 = n / 3;  // ~0.5 s, ~1.5 s
    for (int i = 0; i < warm; ++i) launch();
    std::vector<cudaEvent_t> ev(n + 1);
    for (auto& e : ev) CK(cudaEventCreate(&e));
    CK(cudaEventRecord(ev[0]));
    for (int i = 0; i < n; ++i) { launch(); CK(cudaEventRecord(ev[i + 1])); }
    auto energy_mj = [&] { unsigned long long e = 0; if (nvml.dev && nvml.energy) nvml.energy(nvml.dev, &e); return e; };
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
    CK(cudaEventSynchronize(ev[n]));
    CK(cudaGetLastError());
    std::vector<float> ms(n - e0);
    double window = 0;
    for (int i = e0; i < n; ++i) { CK(cudaEventElapsedTime(&ms[i - e0], ev[i], ev[i + 1])); window += ms[i - e0]; }
    for (auto& e : ev) cudaEventDestroy(e);
    std::sort(ms.begin(), ms.end());
    const double med = ms[ms.size() / 2], joules = (E1 - E0) * 1e-3 / (n - e0);
    const double tflops = m.tc == 1 || m.tc == 2 ? flop_it * iters * grid / (med * 1e-3) / 1e12 : 0;
    printf("%-34s median %.3f ms (min %.3f, first %.3f) | %6.1f TFLOP/s | counter %4.0f W, %.3f J a launch | %3d samples %4.0f W %4.0f MHz\n",
           m.name, med, ms[0], first, tflops, (E1 - E0) * 1e-3 / (window * 1e-3), joules, samples, samples ? watts / samples : 0,
           samples ? mhz / samples : 0);
    fflush(stdout);
  }
}
