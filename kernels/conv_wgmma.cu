// Implicit-GEMM convolution on Hopper's warpgroup MMA (wgmma.mma_async m64nNk8 TF32, sm_90a) fused with bias + Mish.
// GEMM M = 64 output channels (the resident weights), N = TW output pixels of one output row, K = C x R x S.
//
// Design:
// - Weights stay resident: a persistent CTA owns one block of 64 output channels and keeps their C x R x S x 64
//   weights in shared memory, pre-arranged by wgmma_weights as [R*S][C/4][64][4] (TF32-rounded): for each tap and
//   channel quad, 8 channels x 4 k of 16-byte rows form one 128-byte core matrix, the no-swizzle K-major layout
//   wgmma reads for 32-bit types (A operand: leading offset 1024 B between channel quads, stride 128 B).
// - The input is transposed on the way in: 16-byte loads of 4 columns from 4 channels, a 4x4 transpose in
//   registers and 16-byte shared stores write a channels-inner patch [CK/4][PH][PWS][4] (a pixel's 4 channels in one
//   16-byte row), so that the B operand of tap (r, s) for an output row is simply patch row r shifted by s pixels:
//   start address + 16 s, stride 128 B between 8-pixel core matrices, leading offset PH*PWS*16 B between channel
//   quads. (4-byte cp.async copies did the same transpose with 16x the instructions: issue-bound at 7.8 ms.)
//   Loads run DEPTH stages ahead in registers; the stores go into the other of two patch buffers while the tensor
//   core works on the current one.
// - GROUPS warpgroups per CTA share the weights but walk their own tiles with their own patch buffers and named
//   barrier, so one group's loads and epilogue overlap the other's MMAs.
// - EPI=1: the epilogue of a tile (bias + Mish, special-function bound) runs in slices while the next tile's
//   wgmmas are in flight (they are asynchronous: the warp issues them, then does Mish on the previous tile's
//   accumulators, then waits), at the price of a second accumulator set in registers.
// - The tensor core reads fp32 input bits as TF32 (the low 13 bits ignored: truncation); weights are rounded.
#ifndef CM_MISH_FAST_FTZ
#define CM_MISH_FAST_FTZ 1
#endif
#include "common.cuh"
#include "cp_async.cuh"  // the one-time copy of the weights
#include "mish.cuh"
#include "wgmma.cuh"

#ifndef TH
#define TH 1  // output rows per tile: one wgmma per row and tap
#endif
#ifndef TW
#define TW 128  // output columns per tile = wgmma N (64 or 128)
#endif
#ifndef CK
#define CK 8  // input channels per pipeline stage (multiple of 8: one k8 step per tap)
#endif
#ifndef DEPTH
#define DEPTH 2  // register stages of the input loader: loads run DEPTH iterations ahead of their use
#endif
#ifndef NBUF
#define NBUF 2  // input patch buffers per warpgroup: 2, or 3 to keep one stage of MMAs queued across iterations
#endif
#ifndef VEC
#define VEC 1  // W % 4 == 0 and PAD % 4 == 0: 16-byte input loads
#endif
#ifndef GROUPS
#define GROUPS 2
#endif
#ifndef EPI
#define EPI 1
#endif
#ifndef MISH_FORM
#define MISH_FORM CM_MISH_FAST
#endif
#ifndef MISH_COUNT
#define MISH_COUNT 2
#endif
#ifndef KR
#define KR 3
#endif
#ifndef KS
#define KS 3
#endif
#ifndef PAD
#define PAD 0
#endif
#ifndef CPAD
#define CPAD 64  // input channels rounded up to CK
#endif

#ifndef BN
#define BN 64  // output channels per CTA (wgmma M)
#endif
#define GTHREADS 128
#define THREADS (GROUPS * GTHREADS)
#define RS (KR * KS)
#define C4 (CPAD / 4)
#define PH (TH + KR - 1)
#define PW (TW + KS - 1)
#define NCG ((PW + 3) / 4)  // 4-column groups of a patch row
#define PWS (4 * NCG + 1)     // pixels per patch row: odd, so that patch rows start in different bank groups
#define LITEMS (((CK / 4) * PH * NCG + GTHREADS - 1) / GTHREADS)  // loader items per thread per stage
#define A_STAGE ((CK / 4) * PH * PWS * 4)  // floats of one input patch
#define W_FLOATS (RS * CPAD * BN)
#define NJ (TW / 8)          // 8-pixel column blocks of a row's accumulators
#define NACC (TW / 2)        // accumulators per thread per output row
#define NCHUNK (CPAD / CK)   // pipeline stages per tile
// Epilogue slices (EPI=1): a power of two <= min(NCHUNK, NJ, 8), one per stage of the next tile.
#define ES_MAX (NCHUNK < NJ ? NCHUNK : NJ)
#define ESLICES (ES_MAX >= 8 ? 8 : ES_MAX >= 4 ? 4 : ES_MAX >= 2 ? 2 : 1)

static_assert(BN == 64, "BN is the wgmma M: 64");
static_assert(DEPTH == 1 || DEPTH == 2, "DEPTH: 1 or 2 register stages");
static_assert(NBUF == 2 || NBUF == 3, "NBUF: 2 or 3 patch buffers");
static_assert(TW == 64 || TW == 128, "TW is the wgmma N: 64 or 128");
static_assert(CK % 8 == 0 && CPAD % CK == 0, "CK: a multiple of 8 dividing CPAD");

namespace wg {

__device__ __forceinline__ void wgmma_m64n64k8(float (&d)[32], unsigned long long da, unsigned long long db,
                                               int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 {"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, "
      "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
      "}, %32, %33, p, 1, 1;\n}\n"
      :
        "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]),
        "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]),
        "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]),
        "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "l"(da), "l"(db), "r"(accumulate));
}

__device__ __forceinline__ void wgmma_m64n128k8(float (&d)[64], unsigned long long da, unsigned long long db,
                                               int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, "
      "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, "
      "%38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, "
      "%56, %57, %58, %59, %60, %61, %62, %63"
      "}, %64, %65, p, 1, 1;\n}\n"
      :
        "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]),
        "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]),
        "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]),
        "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
        "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]),
        "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]),
        "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]),
        "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(da), "l"(db), "r"(accumulate));
}

template <int N>
__device__ __forceinline__ void wgmma_tf32(float (&d)[N], unsigned long long da, unsigned long long db, int acc) {
  if constexpr (N == 32) wgmma_m64n64k8(d, da, db, acc);
  else wgmma_m64n128k8(d, da, db, acc);
}

__device__ __forceinline__ unsigned tf32_rna(float x) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}

// Where a tile's outputs go and what a thread adds to them.
struct TileOut {
  float* y;          // output of (image, channel ch0), row 0, column 0
  long long plane;   // P*Q
  int oh0, ow0, P, Q;
  bool ch0_ok, ch1_ok;  // channels ch0 and ch0 + 8 exist (K may not be a multiple of 64)
};

// Bias + Mish on column blocks [J0, J1) of a thread's accumulators for every row of the tile, predicated stores.
// Accumulator 4j + {0,1}: channel ch0 (= 16 warp + g), pixels 8j + 2t + {0,1}; 4j + {2,3}: channel ch0 + 8.
template <int J0, int J1>
__device__ __forceinline__ void epilogue(const float (&v)[TH][NACC], const TileOut& o, float b0, float b1, int t) {
  const bool pairs = (o.Q % 2) == 0;
#pragma unroll
  for (int h = 0; h < TH; ++h) {
    const int oh = o.oh0 + h;
    const bool row_ok = oh < o.P;
#pragma unroll
    for (int j = J0; j < J1; ++j) {
      const int ow = o.ow0 + 8 * j + 2 * t;
      float r[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        r[i] = cm::mish_repeat<MISH_FORM>(v[h][4 * j + i] + (i < 2 ? b0 : b1), MISH_COUNT);
      }
      float* p0 = o.y + (long long)oh * o.Q + ow;
      float* p1 = p0 + 8 * o.plane;
      const bool in0 = row_ok && ow < o.Q, in1 = row_ok && ow + 1 < o.Q;
      if (in1 && pairs) {
        if (o.ch0_ok) *reinterpret_cast<float2*>(p0) = make_float2(r[0], r[1]);
        if (o.ch1_ok) *reinterpret_cast<float2*>(p1) = make_float2(r[2], r[3]);
      } else {
        if (in0 && o.ch0_ok) p0[0] = r[0];
        if (in1 && o.ch0_ok) p0[1] = r[1];
        if (in0 && o.ch1_ok) p1[0] = r[2];
        if (in1 && o.ch1_ok) p1[1] = r[3];
      }
    }
  }
}

// Slice `s` (run time) of ESLICES equal slices of the column blocks, dispatched to compile-time bounds.
template <int S>
__device__ __forceinline__ void epilogue_slice(int s, const float (&v)[TH][NACC], const TileOut& o, float b0, float b1,
                                               int t) {
  if (s == S) epilogue<S * NJ / ESLICES, (S + 1) * NJ / ESLICES>(v, o, b0, b1, t);
  if constexpr (S + 1 < ESLICES) epilogue_slice<S + 1>(s, v, o, b0, b1, t);
}

}  // namespace wg

// wt[(((kb*RS + rs)*C4 + c4)*64 + n)*4 + cq] = tf32(w[kb*64 + n][4 c4 + cq][rs]), 0 outside K and C.
extern "C" __global__ void wgmma_weights(const float* __restrict__ w, float* __restrict__ wt, int K, int C,
                                         int kblocks) {
  const long long i = (long long)blockIdx.x * 256 + threadIdx.x;
  if (i >= (long long)kblocks * W_FLOATS) return;
  const int cq = (int)(i % 4), n = (int)((i / 4) % BN), c4 = (int)((i / (4 * BN)) % C4);
  const int rs = (int)((i / (4LL * BN * C4)) % RS);
  const int kb = (int)(i / W_FLOATS);
  const int c = 4 * c4 + cq, k = kb * BN + n;
  const float v = (k < K && c < C) ? w[((long long)k * C + c) * RS + rs] : 0.f;
  wt[i] = __uint_as_float(wg::tf32_rna(v));
}

extern "C" __global__ void __launch_bounds__(THREADS, 1) conv_wgmma(ConvMishArgs a, const float* __restrict__ wt,
                                                                  int kblocks) {
  extern __shared__ __align__(128) float smem[];
  float* Ws = smem;
  const int tid_all = threadIdx.x, grp = tid_all / GTHREADS;
  float* As0 = smem + W_FLOATS + grp * NBUF * A_STAGE;  // this group's NBUF input patches
  const int tiles_w = (a.Q + TW - 1) / TW, tiles_h = (a.P + TH - 1) / TH;
  const int total_tiles = tiles_w * tiles_h * a.N;
  const int kb = blockIdx.x % kblocks;
  const int tile0 = (blockIdx.x / kblocks) * GROUPS + grp, tile_step = (gridDim.x / kblocks) * GROUPS;
  const int my_tiles = tile0 < total_tiles ? (total_tiles - tile0 + tile_step - 1) / tile_step : 0;
  const int total_it = my_tiles * NCHUNK;
  const int tid = tid_all % GTHREADS, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const long long hw = (long long)a.H * a.W;

  // The block's bias in shared memory: the epilogue reads it there (kept in registers at the register cap, the
  // compiler reloaded it from global memory in every epilogue, a long-scoreboard stall measured by ncu).
  float* bias_s = smem + W_FLOATS + GROUPS * NBUF * A_STAGE;
  if (tid_all < BN) bias_s[tid_all] = (a.b && kb * BN + tid_all < a.K) ? a.b[kb * BN + tid_all] : 0.f;
  {  // Weights: a straight copy of this block's pre-arranged rows, by all threads.
    const float* src = wt + (long long)kb * W_FLOATS;
    for (int i = tid_all * 4; i < W_FLOATS; i += THREADS * 4) cp_async16(Ws + i, src + i, true);
    cp_async_commit();
    cp_async_wait<0>();
    cm_wgmma::fence_proxy_async();
    __syncthreads();
  }

  // The loader: item u = tid + GTHREADS i of a stage is (patch row R = channel quad x patch row, 4-column group
  // cg); the thread loads 4 channels x 4 columns (four 16-byte loads when VEC) and stores 4 pixels x 4 channels
  // (four 16-byte stores). Items are the same for every stage: offsets computed once. Lane pairs rotate the order
  // of their 4 stores so that the 8 lanes of a quarter warp hit 8 different 16-byte bank groups.
  const int rot = (lane >> 1) & 3;
  int it_c4[LITEMS], it_ph[LITEMS], it_col[LITEMS], it_sm[LITEMS];
  bool it_on[LITEMS];
#pragma unroll
  for (int i = 0; i < LITEMS; ++i) {
    const int u = tid + GTHREADS * i;
    const int R = u / NCG, cg = u - R * NCG;
    it_on[i] = u < (CK / 4) * PH * NCG;
    it_c4[i] = R / PH, it_ph[i] = R % PH, it_col[i] = 4 * cg;
    it_sm[i] = (R * PWS + 4 * cg) * 4;
  }
  float4 stg[DEPTH][LITEMS][4];  // [register stage][item][channel]: 4 columns each

  auto tile_origin = [&](int tile, int& n, int& oh0, int& ow0) {
    const int tw_i = tile % tiles_w;
    const int rest = tile / tiles_w;
    oh0 = (rest % tiles_h) * TH;
    n = rest / tiles_h;
    ow0 = tw_i * TW;
  };
  // Global -> registers for stage `it` (zeros outside the image, past C and past the patch).
  // S, the register stage, is a constant at every call site: after inlining the stage arrays stay in registers.
  // Stages are loaded in order, so the tile's origin (three divisions) is worked out once per tile.
  int ld_tile = -1, ih0 = 0, iw0 = 0;
  const float* xn = a.x;
  auto load_regs = [&](const int S, int it) {
    if (it / NCHUNK != ld_tile) {
      ld_tile = it / NCHUNK;
      int n, oh0, ow0;
      tile_origin(tile0 + ld_tile * tile_step, n, oh0, ow0);
      ih0 = oh0 - PAD, iw0 = ow0 - PAD;
      xn = a.x + (long long)n * a.C * hw;
    }
    const int c0 = (it % NCHUNK) * CK;
    const float* xt = xn + (long long)c0 * hw;
#pragma unroll
    for (int i = 0; i < LITEMS; ++i) {
      const int ih = ih0 + it_ph[i], iw = iw0 + it_col[i], cb = c0 + 4 * it_c4[i];
      const bool row_ok = it_on[i] && (unsigned)ih < (unsigned)a.H && it_col[i] < PW;
      const float* p = xt + (long long)(4 * it_c4[i]) * hw + (long long)ih * a.W + iw;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
#if VEC
        // W and the column origin are multiples of 4: a group of 4 columns lies wholly inside or outside.
        const bool ok = row_ok && cb + q < a.C && (unsigned)iw < (unsigned)a.W;
        stg[S][i][q] = ok ? __ldg(reinterpret_cast<const float4*>(p + q * hw)) : make_float4(0.f, 0.f, 0.f, 0.f);
#else
        float v[4];
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const bool ok = row_ok && cb + q < a.C && (unsigned)(iw + e) < (unsigned)a.W && it_col[i] + e < PW;
          v[e] = ok ? __ldg(p + q * hw + e) : 0.f;
        }
        stg[S][i][q] = make_float4(v[0], v[1], v[2], v[3]);
#endif
      }
    }
  };
  // Registers -> the patch buffer `buf`: pixel j of an item gets its 4 channels as one 16-byte row.
  auto store_regs = [&](const int S, float* buf) {
#pragma unroll
    for (int i = 0; i < LITEMS; ++i) {
      if (!it_on[i]) continue;
      const float4(&v)[4] = stg[S][i];
      float4 px[4] = {make_float4(v[0].x, v[1].x, v[2].x, v[3].x), make_float4(v[0].y, v[1].y, v[2].y, v[3].y),
                      make_float4(v[0].z, v[1].z, v[2].z, v[3].z), make_float4(v[0].w, v[1].w, v[2].w, v[3].w)};
      // Rotate by rot (two conditional rotations, branch-free) so that store jj writes pixel (jj + rot) & 3.
      if (rot & 1) {
        const float4 t0 = px[0];
        px[0] = px[1], px[1] = px[2], px[2] = px[3], px[3] = t0;
      }
      if (rot & 2) {
        const float4 t0 = px[0], t1 = px[1];
        px[0] = px[2], px[1] = px[3], px[2] = t0, px[3] = t1;
      }
      float* row = buf + it_sm[i];
#pragma unroll
      for (int jj = 0; jj < 4; ++jj) *reinterpret_cast<float4*>(row + ((jj + rot) & 3) * 4) = px[jj];
    }
  };

  // This thread's output channels, fixed for the whole kernel.
  const int ch0 = kb * BN + 16 * warp + g;
  const float* bias_t = bias_s + 16 * warp + g;  // this thread's two channels: bias_t[0], bias_t[8]
  auto tile_out = [&](int tile) {
    int n, oh0, ow0;
    tile_origin(tile, n, oh0, ow0);
    wg::TileOut o;
    o.plane = (long long)a.P * a.Q;
    o.y = a.y + ((long long)n * a.K + ch0) * o.plane;
    o.oh0 = oh0, o.ow0 = ow0, o.P = a.P, o.Q = a.Q;
    o.ch0_ok = ch0 < a.K, o.ch1_ok = ch0 + 8 < a.K;
    return o;
  };

  const unsigned a_lbo = BN * 16, b_lbo = PH * PWS * 16;
  float acc[TH][NACC];
#if EPI
  float prev[TH][NACC];
  int prev_tile = -1;
  wg::TileOut prev_out{};
#endif

  // Pipeline: NBUF patch buffers and DEPTH register stages. Iteration it computes stage it from buffer it % NBUF
  // while it stores stage it + 1 (loaded into registers DEPTH iterations earlier) into buffer (it + 1) % NBUF,
  // whose MMAs (stage it + 1 - NBUF) have completed, and loads stage it + 1 + DEPTH into the registers just freed.
  // NBUF = 3 waits only for the previous stage's MMAs (wgmma.wait_group 1), so that a warpgroup keeps MMAs queued
  // while it loads and stores; the last stage of a tile waits for all of them before its epilogue. The loop body is
  // unrolled DEPTH times so that every register stage has a constant index.
  // Descriptors: start addresses advance in 16-byte units, so a stage's descriptors are a base plus constants.
  const unsigned long long a_desc0 = cm_wgmma::smem_desc(Ws, a_lbo, 128), b_desc0 = cm_wgmma::smem_desc(As0, b_lbo, 128);
  auto step = [&](const int P, int it) {  // P = it % DEPTH, a constant at both call sites
    cm_wgmma::fence_proxy_async();  // this thread's shared stores, visible to the tensor core's (async proxy) reads
    asm volatile("bar.sync %0, %1;" ::"r"(1 + grp), "n"(GTHREADS));

    const int chunk = it % NCHUNK;
    const unsigned long long a_desc = a_desc0 + (unsigned)(chunk * (CK / 4) * BN * 4 * 4 / 16);
    const unsigned long long b_desc = b_desc0 + (unsigned)((it % NBUF) * A_STAGE * 4 / 16);
#pragma unroll
    for (int h = 0; h < TH; ++h) cm_wgmma::fence_operands(acc[h]);
    cm_wgmma::fence();
#pragma unroll
    for (int rs = 0; rs < RS; ++rs)
#pragma unroll
      for (int k8 = 0; k8 < CK / 8; ++k8) {
        const unsigned long long da = a_desc + (rs * C4 + 2 * k8) * BN * 4 * 4 / 16;
        const int accumulate = (rs | k8) ? 1 : (chunk != 0);
#pragma unroll
        for (int h = 0; h < TH; ++h)
          wg::wgmma_tf32(acc[h], da, b_desc + ((2 * k8 * PH + h + rs / KS) * PWS + rs % KS) * 4 * 4 / 16, accumulate);
      }
    cm_wgmma::commit();
    const int kNext = (P + 1) % DEPTH;  // the register stage holding stage it + 1
    if (it + 1 < total_it) store_regs(kNext, As0 + ((it + 1) % NBUF) * A_STAGE);
    if (it + 1 + DEPTH < total_it) load_regs(kNext, it + 1 + DEPTH);
#if EPI
    if (prev_tile >= 0 && chunk < ESLICES) wg::epilogue_slice<0>(chunk, prev, prev_out, bias_t[0], bias_t[8], t);
#endif
    if (NBUF == 3 && chunk != NCHUNK - 1) {
      cm_wgmma::wait<1>();  // stage it - 1 done: its buffer takes stage it + 2 in the next iteration
    } else {
      cm_wgmma::wait<0>();
    }
#pragma unroll
    for (int h = 0; h < TH; ++h) cm_wgmma::fence_operands(acc[h]);

    if (chunk == NCHUNK - 1) {
      const int tile = tile0 + (it / NCHUNK) * tile_step;
#if EPI
#pragma unroll
      for (int h = 0; h < TH; ++h)
#pragma unroll
        for (int i = 0; i < NACC; ++i) prev[h][i] = acc[h][i];
      prev_tile = tile;
      prev_out = tile_out(tile);
#else
      wg::epilogue<0, NJ>(acc, tile_out(tile), bias_t[0], bias_t[8], t);
#endif
    }
  };

  // Prologue: stage 0 into buffer 0; stages 1 .. DEPTH into register stages 1 % DEPTH .. DEPTH % DEPTH.
  if (total_it > 0) {
    load_regs(0, 0);
    store_regs(0, As0);
    if (total_it > 1) load_regs(1 % DEPTH, 1);
#if DEPTH == 2
    if (total_it > 2) load_regs(0, 2);
#endif
  }
  for (int it = 0; it < total_it; it += DEPTH) {
    step(0, it);
#if DEPTH == 2
    if (it + 1 < total_it) step(1, it + 1);
#endif
  }
#if EPI
  if (prev_tile >= 0) wg::epilogue<0, NJ>(prev, prev_out, bias_t[0], bias_t[8], t);
#endif
}
