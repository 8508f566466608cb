// Implicit-GEMM convolution on tensor cores (mma.sync m16n8k8 TF32; THREEX=1: error-compensated 3xTF32) fused
// with bias + Mish. GEMM M = output pixels (TH x TW of one image per tile), N = BN output channels, K = C x R x S.
//
// Design (why it is shaped this way, measured on the H100):
// - Weights stay resident: a persistent CTA owns one block of BN output channels, loads its C x R x S x BN weights
//   into shared memory once, then walks its share of the pixel tiles. Streaming the weights with every tile made
//   L2 -> SM traffic (weights re-read per tile) the limit.
// - The input is read straight from NCHW with 16-byte cp.async (VEC=1, W % 4 == 0) into a per-channel patch
//   [CK][PH][PWS] (pixels innermost, as they lie in memory), STAGES deep; the pipeline runs across tile boundaries,
//   so the next tile's first chunks load while the current tile's epilogue runs. Each thread owns fixed patch
//   positions and copies them for all CK channels (one address add per copy); the tile is decoded once per tile.
//   (Decoding every copy's channel, row and column cost 24 % of the kernel's instructions.)
// - Fragments: A (pixels x channels) with 32-bit loads from the patch, the channel stride CSA = 4 (mod 16) so the
//   32 lanes hit 32 banks (PAIRS=0: rows g, g+8 are pixels g, g+8; PAIRS=1: adjacent pixels, one 64-bit load at
//   stride 1 on the taps where the pair is 8-byte aligned); B (channels x output channels) with one 64-bit load of a channel pair, rows XOR-swizzled
//   (or padded) so a half warp hits 32 banks, or (BFRAG=1) from weights stored in fragment order, one 128-bit load
//   per two n fragments. Logical k = t holds channel 2t and k = t + 4 channel 2t + 1, for A and B alike.
// - Warp tiles of (MI*16) x (NI*8), 64 x 64 by default: 32 independent MMAs per 8-channel step and 128 bytes of
//   shared-memory fragment traffic per MMA, under the 128 B/clk an SM delivers.
// - Epilogue: bias (from shared memory) + Mish on the accumulators, stores that cover whole 32-byte sectors.
// - GROUPS warp groups share the resident weights but walk their own tiles with their own input stages and named
//   barrier, so one group's epilogue overlaps another's MMAs, as two CTAs per SM would if the weights fitted
//   twice. (On the H100 the Mish epilogue is hidden: the seed takes as long with 0, 1 or 2 Mish.)
// - 3xTF32 (THREEX=1): each operand split into big + small in integer ops (SPLIT), three MMAs per product, the
//   tensor core's partial sums added into IEEE fp32 accumulators after each step, tap or filter row (FOLD).
// - WGMMA=1 (Hopper, sm_90a): the same loader, patch and A fragments (pixels, from registers), but the products
//   run on warpgroup MMA, wgmma.mma_async m64nBNk8 with B (the weights) read by the tensor core straight from shared
//   memory: no B fragment loads, and wgmma's dense TF32 rate. A warpgroup (4 warps) owns TH output rows of 64
//   pixels (warp w: columns 16w..16w+15 of each row); wgmma mi computes row mi. An A fragment of input row i and
//   tap column s serves every output row h = i - r (r = 0..KR-1): loaded once, used by up to KR wgmmas. NF register
//   sets of A fragments rotate, each reused only when the wgmmas that read it have completed (wgmma.wait_group).
//   3xTF32: the weights' big and small parts are both resident (twice the shared memory: bn 32 for the seed), the
//   A fragments are split in registers, and the tensor core's sums are added into IEEE fp32 accumulators after at
//   most 27 of its own (truncating) adds: after each chunk, column group or step (kFoldAt). SUMS=2 keeps the two
//   small terms' sums (at most 2^-10 of the big products') in registers of their own, so that only the big products
//   count towards the 27: the seed's sums then run over 3 chunks between folds (at th 3: 48 more registers).
// - TMA=1 (sm_90, W % 4 == 0; wgmma or mma.sync): each stage's patch is one TMA box of the input (a tensor map passed
//   as a __grid_constant__ argument) issued by one thread of the group and completing on an mbarrier per stage, in
//   place of every thread's cp.async copies; the box lands dense, so the A fragments take channels t and t + 4 (see
//   CSA) and the weights are stored in that order. On the H100 seed it made both wgmma_rs defaults 3-10 % faster
//   (README, "TMA input loads").
// - MC > 1 (with TMA): clusters of MC CTAs, MC consecutive channel blocks that walk the same tiles in the same order;
//   rank 0 loads each stage's box once and multicasts it into all MC CTAs (the input is read from L2 once per MC
//   channel blocks instead of once per block). Each CTA's group arrives on rank 0's `empty` mbarrier of a stage
//   when it has finished with it, and rank 0 waits for all MC before it overwrites the stage; every CTA expects the
//   box's bytes on its own `full` mbarrier. On the H100 seed it was not faster (README, "Thread block clusters").
// - TSTORE=1 (WGMMA with TMA; the host sets it only where Q >= 64 and Q % 4 == 0, since a TMA store must start on
//   16 bytes in global memory: the H100 faults with an illegal instruction otherwise): the outputs leave by TMA
//   store boxes instead of each thread's stores. Row by row, the epilogue runs Mish on the row's accumulators in
//   place, then writes its 64 pixels x 8 channels at a time (a unit: two 32-pixel boxes of 1 KB, 128-byte rows of
//   one channel whose 16-byte chunks are XOR-swizzled by the channel, as the tensor map's SWIZZLE_128B reads them:
//   the 32 lanes' writes hit 32 banks) into the group's input stage that the tile's last chunk used, which no load
//   refills before the next tile starts; ST_NB units rotate there, and thread 0 sends each out once the group has
//   written it. The
//   output is a 3-D tensor [N][K][P x Q] (rows flattened), so a box must not cross a row: tile columns start at
//   min(64 tw, Q - 64), the last tile of a row overlapping its neighbour (both write the same values there). On the
//   H100 it was slower than the threads' stores (seed's work with padding 1: TF32 +24 %, 3xTF32 +2 %; README,
//   "TMA store boxes"): a barrier per unit, on the critical path when the two groups' epilogues alternate.
// - WPRE=1 (mma.sync 3xTF32 and tf32f16, BFRAG): igemm_weights stores each weight's big and small parts (tf32f16: the
//   big part and the f16 pair) in fragment order, both resident, and the kernel loads both instead of splitting the
//   weights at every use: twice the weights' shared memory, so the seed's default 16-channel stages no longer fit.
// - UNIFORM_GRP=1 (WGMMA): the group index is broadcast from lane 0, so that the wgmma descriptors are warp-uniform.
// Weights are pre-arranged by igemm_weights (same file) in exactly the shared layout.
#ifndef CM_MISH_FAST_FTZ
#define CM_MISH_FAST_FTZ 1  // the fast Mish form on ex2/rcp.approx.ftz (kernels/mish.cuh)
#endif
#include "common.cuh"
#include "cp_async.cuh"
#include "mish.cuh"
#if WGMMA || TMA
#include "wgmma.cuh"  // (TMA: the tensor map, mbarrier and bulk-copy helpers)
#endif

#ifndef TH
#define TH 8
#endif
#ifndef TW
#define TW 32
#endif
#ifndef BN
#define BN 64
#endif
#ifndef CK
#define CK 8
#endif
#ifndef WM
#define WM 4
#endif
#ifndef WN
#define WN 1
#endif
#ifndef STAGES
#define STAGES 3
#endif
#ifndef GROUPS
#define GROUPS 2  // independent warp groups per CTA, each with its own tiles and input pipeline
#endif
#ifndef UNROLL_TAPS
#define UNROLL_TAPS 1
#endif
#ifndef STAGGER
#define STAGGER 0  // 1: group 1 starts its MMAs half a tile after group 0, so that their epilogues alternate
#endif
#ifndef ORDER
#define ORDER 0  // 2 groups: turns at issuing a tile's wgmmas (1, WGMMA) or at running a tile's epilogue (2)
#endif
#ifndef ROUND_A
#define ROUND_A 1
#endif
#ifndef THREEX
#define THREEX 0
#endif
// 3xTF32: how long the tensor core sums before an IEEE add into the accumulators (its own adds round toward zero):
// 0 each 8-channel step (three MMAs), 1 each tap (CK/8 steps), 2 each filter row (KS taps; more registers).
#ifndef FOLD
#define FOLD 0
#endif
#ifndef SPLIT
#define SPLIT 0  // 3xTF32 operand split: 0 round to nearest, 1 truncate (see split_tf32)
#endif
#ifndef WGMMA
#define WGMMA 0  // 1: warpgroup MMA (sm_90a), A fragments from registers, B (weights) from shared memory
#endif
#ifndef NF
#define NF 3  // WGMMA: A fragment register sets in rotation (input rows whose wgmmas may still be running)
#endif
#ifndef LA
#define LA 0  // WGMMA: steps by which the A fragment loads run ahead of their wgmmas (NF > LA)
#endif
#ifndef TMA
#define TMA 0  // 1 (sm_90): the input patches arrive as one TMA box per stage (issued by one thread of the group,
               // completing on an mbarrier), 0 by 16-byte cp.async from every thread
#endif
#ifndef MC
#define MC 1  // TMA: CTAs per cluster, MC channel blocks of the same tiles; rank 0 multicasts each box to all MC
#endif
#ifndef UNIFORM_GRP
#define UNIFORM_GRP 0  // WGMMA: 1 the group index broadcast from lane 0 (see the kernel's start)
#endif
#ifndef TSTORE
#define TSTORE 0  // 1 (WGMMA, TMA): outputs by TMA store boxes from shared memory (see the header)
#endif
#ifndef SUMS
#define SUMS 1  // WGMMA 3xTF32: tensor-core sum sets per row: 1 all three products', 2 the small terms' apart
#endif
#ifndef FOLD_ADDS
#define FOLD_ADDS 27  // WGMMA 3xTF32: the most tensor-core adds into a sum between IEEE folds (see kFoldAt)
#endif
#ifndef XF16
#define XF16 0  // 3xTF32: 1: the two small terms in one f16 MMA (k16) instead of two TF32 ones (see below)
#endif
// XF16's scale exponents: the f16 operands are the input's big part and its small part times 2^11, and the weights'
// small part times 2^(11 + XB) and big part times 2^XB, so that both cross products carry 2^(11 + XB) and the f16
// values stay near the operands' magnitudes; the big TF32 weights carry 2^(11 + XB) too (exact: powers of two), and
// the epilogue takes it back out. XB = 6 keeps weights from ~2^-20 to 2^9 (f16's range shifted) at full accuracy.
#define XB 6
#define XSCALE 131072.f  // 2^(11 + XB)
#ifndef WIDE
#define WIDE 0  // WGMMA: 1: a step loads an input row's fragments for every tap column (else for one)
#endif
#define SG (WIDE ? KS : 1)  // tap columns per step
#ifndef MISH_FORM
#define MISH_FORM CM_MISH_FAST
#endif
#ifndef VEC
#define VEC 1
#endif
#ifndef EPI_PRED
#define EPI_PRED 0  // epilogue stores: 0 a branch around each pair, 1 predicated (see the epilogue)
#endif
#ifndef PAIRS
#define PAIRS 1  // fragment rows g, g + 8 are adjacent pixels (1) or pixels 8 apart (0); see a_off below
#endif
// Mish applications, fixed at compile time (a.mish_count is ignored): a run-time count made the compiler emit
// several unrolled copies of Mish for each of the 128 accumulators, ~570 KB of epilogue code per kernel.
#ifndef MISH_COUNT
#define MISH_COUNT 2
#endif
#ifndef KR
#define KR 3
#endif
#ifndef KS
#define KS 3
#endif
#ifndef STRIDE
#define STRIDE 1
#endif
#ifndef PAD
#define PAD 0
#endif
#ifndef CPAD
#define CPAD 64  // input channels rounded up to CK
#endif

#define GTHREADS (WM * WN * 32)  // threads of one group
#define THREADS (GROUPS * GTHREADS)
#define BM (TH * TW)
#define MI (BM / WM / 16)
#define NI (BN / WN / 8)
#define RS (KR * KS)
#define PH ((TH - 1) * STRIDE + KR)
#define PW ((TW - 1) * STRIDE + KS)
// Columns are loaded from a 4-aligned start SH floats left of the patch: tile starts are multiples of 4 (TW % 16
// == 0), so SH depends only on the padding.
#define SH (((PAD % 4) == 0) ? 0 : 4 - (PAD % 4))
#define PWS (((SH + PW) + 3) / 4 * 4)
#define PLANE (PH * PWS)
// Channel planes of a patch: CSA floats apart. cp.async pads them to 4 (mod 16), so that the A fragments' 32 lanes
// (8 pixels x channels 2t, CSA*2 apart) hit 32 banks. A TMA box lands dense (CSA = PLANE), and the fragments take
// channel t for k = t and t + 4 for k = t + 4 instead (KT = 1, K4 = 4): lanes t are then PLANE apart, which is
// conflict-free when PLANE = 8 (mod 16), as on the seed (6 rows x 68 = 408); other shapes may see 2-way conflicts.
#if TMA
#define CSA PLANE
#define KT 1  // channel step between lanes t of an A fragment
#define K4 4  // channel offset of k + 4 from k
#else
#define CSA (PLANE + ((4 - PLANE % 16) + 16) % 16)  // = 4 (mod 16)
#define KT 2
#define K4 1
#endif
#define A_STAGE (CK * CSA)
// Weight rows: CPAD channels, padded by 8 when CPAD = 16 (mod 32), XOR-swizzled when CPAD = 0 (mod 32).
#ifndef BFRAG
#define BFRAG 0  // 1: weights in fragment order, one 128-bit load per two n fragments (see igemm_weights)
#endif
#define CPS ((CPAD % 32 == 16 && !BFRAG && !WGMMA) ? CPAD + 8 : CPAD)
static_assert(!BFRAG || (BN / WN) % 16 == 0, "BFRAG: a warp's output channels come in whole 16-channel blocks");
#ifndef WPRE
#define WPRE 0  // mma.sync 3xTF32 (BFRAG): 1 the weights' big and small parts both resident, split by igemm_weights
#endif
static_assert(!WPRE || (THREEX && BFRAG && !WGMMA), "WPRE: the mma.sync 3xTF32 kernels with bfrag 1");
#define WPARTS ((WGMMA || WPRE) && THREEX ? 2 : 1)  // 3xTF32 (wgmma, or WPRE): big and small parts, both resident
#define B_FLOATS (RS * BN * CPS * WPARTS)
#if WGMMA
static_assert(WM == 4 && WN == 1 && TW == 64 && PAIRS == 0 && STRIDE == 1 && !BFRAG,
              "WGMMA: one warpgroup (wm 4, wn 1) per group, 64-pixel rows (tw 64), pairs 0, stride 1");
static_assert(BN == 32 || BN == 64 || BN == 128, "WGMMA: bn (the wgmma N) 32, 64 or 128");
static_assert(NF >= 2 && NF <= 8, "WGMMA: NF 2..8 A fragment sets");
static_assert(LA >= 0 && LA < NF, "WGMMA: the look-ahead LA below NF");
#endif
static_assert(SUMS == 1 || (SUMS == 2 && WGMMA && THREEX), "SUMS 2: the wgmma 3xTF32 kernel");
static_assert(!XF16 || (THREEX && SUMS == 1), "XF16: the 3xTF32 kernels (wgmma: with one sum set)");
static_assert(!TMA || VEC, "TMA: W % 4 == 0 (the tensor map's 16-byte strides)");
static_assert(MC == 1 || (TMA && (MC == 2 || MC == 4)), "MC: clusters of 2 or 4 CTAs share TMA boxes");
static_assert(!TSTORE || (WGMMA && TMA), "TSTORE: the wgmma kernels with TMA input boxes");
// TSTORE: staging units of 2 KB in a stage buffer whose start is rounded up to 1024 bytes (SWIZZLE_128B's period)
#define ST_NB ((A_STAGE * 4 - 1008) / 2048 < 6 ? (A_STAGE * 4 - 1008) / 2048 : 6)
static_assert(!TSTORE || ST_NB >= 2, "TSTORE: two staging units in an input stage");
static_assert(!ORDER || (GROUPS == 2 && (WGMMA || ORDER == 2)),
              "ORDER: turns between two groups (1: at the wgmmas, WGMMA only; 2: at the epilogues)");
#define SWZ(n) ((CPS % 32 == 0) ? (((n)&3) << 3) : 0)

__device__ __forceinline__ unsigned tf32_bits(float x) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}
// The same rounding (to nearest, ties away from zero) in two integer instructions: half a TF32 ulp added to the
// magnitude bits, the 13 low bits cleared. cvt.rna.tf32.f32 compiles to four on sm_90 (it guards Inf and NaN; here a
// NaN whose payload lies only in the low 13 bits reads as Inf, and its split's small part, NaN - Inf, stays NaN).
__device__ __forceinline__ unsigned tf32_round(float x) { return (__float_as_uint(x) + 0x1000u) & 0xffffe000u; }
// For an operand only: the add alone, since the tensor core ignores the low 13 bits (one instruction).
__device__ __forceinline__ unsigned tf32_round_op(float x) { return __float_as_uint(x) + 0x1000u; }
// 3xTF32 split x = big + small. SPLIT=0: big rounded to nearest, small = x - big (exact) rounded as an operand
// (4 instructions). SPLIT=1: big truncated, small = x - big left to the tensor core's truncation (2 instructions;
// small then carries up to 2^-10 of x instead of 2^-11, and loses up to 2^-10 of itself instead of 2^-11).
__device__ __forceinline__ void split_tf32(float x, unsigned& big, unsigned& small) {
#if SPLIT
  big = __float_as_uint(x) & 0xffffe000u;
  small = __float_as_uint(x - __uint_as_float(big));
#else
  big = tf32_round(x);
  small = tf32_round_op(x - __uint_as_float(big));
#endif
}

// XF16's pair (big, small * 2^scale) as f16x2 (big in the low half, k = 2j), rounded to nearest, saturated at
// +-65504 instead of overflowing: an operand beyond f16's range then loses its cross terms' accuracy (they fall to
// TF32's) instead of making Inf or NaN.
__device__ __forceinline__ unsigned f16_pair(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.satfinite.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
// The split as split_tf32, the small part exact (x - big) for XF16's f16 rounding.
__device__ __forceinline__ float split_big(float x) {
  return __uint_as_float(SPLIT ? __float_as_uint(x) & 0xffffe000u : tf32_round(x));
}
// 3xTF32 operands: the big part as a TF32 operand, and the small part as one (split_tf32) or, with XF16, the f16
// pair that the cross terms' MMA takes: (big, small * 2^11) for the input (A), (small, big * 2^-11) for weights
// stored times 2^(11 + XB) (B; igemm_weights), so that both cross products carry 2^(11 + XB).
__device__ __forceinline__ void split_a(float x, unsigned& big, unsigned& small) {
#if XF16
  const float b = split_big(x);
  big = __float_as_uint(b);
  small = f16_pair(b, (x - b) * 2048.f);
#else
  split_tf32(x, big, small);
#endif
}
__device__ __forceinline__ void split_b(float w, unsigned& big, unsigned& small) {
#if XF16
  const float b = split_big(w);
  big = __float_as_uint(b);
  small = f16_pair(w - b, b * (1.f / 2048.f));
#else
  split_tf32(w, big, small);
#endif
}

__device__ __forceinline__ void mma_tf32(float* c, const unsigned* a, const unsigned* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
// XF16: m16n8k16 f16 with the same registers, each holding the f16 pair (k = 2j, 2j + 1) of TF32 element k = j
// (A rows g, g + 8 and B column g alike).
__device__ __forceinline__ void mma_f16(float* c, const unsigned* a, const unsigned* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
// 3xTF32's three products into c, small terms first: two TF32 MMAs, or with XF16 one f16 MMA; then the big product.
__device__ __forceinline__ void mma_3x(float* c, const unsigned* a, const unsigned* as, const unsigned* b,
                                      const unsigned* bs) {
#if XF16
  mma_f16(c, as, bs);
#else
  mma_tf32(c, as, b);
  mma_tf32(c, a, bs);
#endif
  mma_tf32(c, a, b);
}

#if WGMMA
// Warpgroup MMA helpers (sm_90a).
namespace wgrs {
using cm_wgmma::commit;
using cm_wgmma::fence;
using cm_wgmma::smem_desc;
using cm_wgmma::wait;
// d (a thread's BN/2 accumulators of one m64 block, as [NI][4]: the mma.sync layout per 8 columns) += a (its A
// fragment: rows g, g+8 of its warp's 16, k = t, t+4) x B (descriptor); scale_d == 0 overwrites d.
// F16 (XF16): wgmma m64nBNk16 f16 x f16 instead, a and B holding f16 pairs (k = 2j, 2j + 1) where the TF32 form
// holds one 32-bit element (k = j): the same registers, the same bytes of shared memory and the same descriptor.
#define CM_WG_D32                                                                                                  \
  "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]),         \
      "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]),     \
      "+f"(d[3][2]), "+f"(d[3][3])
#define CM_WG_D64                                                                                                  \
  CM_WG_D32, "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]),             \
      "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]),     \
      "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
#define CM_WG_D128                                                                                                 \
  CM_WG_D64, "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]), "+f"(d[9][0]), "+f"(d[9][1]),             \
      "+f"(d[9][2]), "+f"(d[9][3]), "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]), "+f"(d[11][0]), \
      "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]), "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]),              \
      "+f"(d[12][3]), "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]), "+f"(d[14][0]),              \
      "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]), "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])
#define CM_WG_R16 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15"
#define CM_WG_R32                                                                                                  \
  CM_WG_R16 ", %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
#define CM_WG_R64                                                                                                  \
  CM_WG_R32 ", %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, "    \
            "%51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
// One wgmma m64nN: its accumulator registers (R, the D operands), then the A registers, descriptor and scale_d as
// operands A0 .. A0 + 5; TF32 k8, or (F16) f16 k16 with B not transposed (K-major, imm-trans-b 0).
#define CM_WG_ASM(shape, R, A0, A1, A2, A3, DB, SD, TAIL, ...)                                                     \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %" SD ", 0;\nwgmma.mma_async.sync.aligned.m64n" shape " {" R     \
               "}, {%" A0 ", %" A1 ", %" A2 ", %" A3 "}, %" DB ", p, 1, 1" TAIL ";\n}\n"                           \
               : __VA_ARGS__                                                                                      \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(scale_d))
// (the D operands last, as they hold commas)
#define CM_WG_MMA(N, R, A0, A1, A2, A3, DB, SD, ...)                                                               \
  if constexpr (F16)                                                                                               \
    CM_WG_ASM(N "k16.f32.f16.f16", R, A0, A1, A2, A3, DB, SD, ", 0", __VA_ARGS__);                                 \
  else                                                                                                             \
    CM_WG_ASM(N "k8.f32.tf32.tf32", R, A0, A1, A2, A3, DB, SD, "", __VA_ARGS__)
template <bool F16 = false>
__device__ __forceinline__ void mma(float (&d)[NI][4], const unsigned (&a)[4], unsigned long long db, int scale_d) {
#if BN == 32
  CM_WG_MMA("32", CM_WG_R16, "16", "17", "18", "19", "20", "21", CM_WG_D32);
#endif
#if BN == 64
  CM_WG_MMA("64", CM_WG_R32, "32", "33", "34", "35", "36", "37", CM_WG_D64);
#endif
#if BN == 128
  CM_WG_MMA("128", CM_WG_R64, "64", "65", "66", "67", "68", "69", CM_WG_D128);
#endif
}
}  // namespace wgrs
#endif

// Zeroes a thread's accumulator tile (the tile's accumulators, or 3xTF32's partial sums).
__device__ __forceinline__ void zero_tile(float (&x)[MI][NI][4]) {
#pragma unroll
  for (int mi = 0; mi < MI; ++mi)
#pragma unroll
    for (int ni = 0; ni < NI; ++ni)
#pragma unroll
      for (int j = 0; j < 4; ++j) x[mi][ni][j] = 0.f;
}

// BFRAG=0: wt[((kb*RS + rs)*BN + n)*CPS + (c ^ SWZ(n))] = w[kb*BN + n][c][rs] (0 outside K and C).
// BFRAG=1, fragment order: for each (kb, rs, 8-channel step c8, 16 output channels n16) 128 floats, lane
// (g, t)'s four at lane*4: channels 8 c8 + 2t + {0, 1} of output channels 16 n16 + g and 16 n16 + 8 + g, i.e. the
// B fragments of two adjacent n fragments (one 512-byte, conflict-free 128-bit load per warp).
// Rounded to TF32 for the plain TF32 kernel. Covers kblocks*RS*BN*CPS elements (padding columns included, as 0).
extern "C" __global__ void igemm_weights(const float* __restrict__ w, float* __restrict__ wt, int K, int C,
                                         int kblocks) {
  const long long i = (long long)blockIdx.x * 256 + threadIdx.x;
  if (i >= (long long)kblocks * B_FLOATS) return;
#if WGMMA
  // WGMMA: per (kb, rs, 8-channel step c8) and part (3xTF32: big, small) two no-swizzle K-major core-matrix
  // columns [kq][BN][4]: element e of output channel n's 16-byte row in column kq is channel 8 c8 + 2e + kq
  // (logical k = e + 4 kq, as the A fragments hold it: k = t channel 2t, k = t + 4 channel 2t + 1; TMA: t, t + 4).
  const int e = (int)(i % 4), n = (int)((i / 4) % BN), kq = (int)((i / (4 * BN)) % 2);
  const int part = (int)((i / (8LL * BN)) % WPARTS);  // (always 0 for TF32)
  (void)part;
  const int c8 = (int)((i / (8LL * BN * WPARTS)) % (CPAD / 8));
  const long long rest = i / ((long long)BN * CPAD * WPARTS);
  const int rs = (int)(rest % RS), kb = (int)(rest / RS);
  const int c = c8 * 8 + (TMA ? 4 * kq + e : 2 * e + kq), cp = c;  // logical k = e + 4 kq (see KT, K4)
#elif BFRAG
  // (WPRE: the big part's 128 floats of a block, then the small part's)
  const int e = (int)(i % 2), h = (int)((i / 2) % 2), t = (int)((i / 4) % 4), g = (int)((i / 16) % 8);
  const int part = (int)((i / 128) % WPARTS);
  (void)part;
  const int n16 = (int)((i / (128 * WPARTS)) % (BN / 16)), c8 = (int)((i / (8LL * BN * WPARTS)) % (CPAD / 8));
  const long long rest = i / ((long long)BN * CPAD * WPARTS);
  const int rs = (int)(rest % RS), kb = (int)(rest / RS);
  // (TMA: lane t's pair holds channels t and t + 4, as its A fragments do; see CSA)
  const int n = n16 * 16 + h * 8 + g, c = c8 * 8 + (TMA ? t + 4 * e : 2 * t + e), cp = c;
#else
  const int cp = (int)(i % CPS);
  const long long rest = i / CPS;
  const int n = (int)(rest % BN);
  const int rs = (int)((rest / BN) % RS);
  const int kb = (int)(rest / ((long long)BN * RS));
  const int cs = cp ^ SWZ(n);  // the stored column; TMA: column 2t + e of each 8 holds channel t + 4e (see CSA)
  const int c = TMA ? (cs & ~7) | ((cs & 7) >> 1) | ((cs & 1) << 2) : cs;
#endif
  const int k = kb * BN + n;
  float v = (k < K && c < C && cp < CPAD) ? w[((long long)k * C + c) * RS + rs] : 0.f;
#if !THREEX
  v = __uint_as_float(tf32_bits(v));
#elif XF16 && WPARTS == 1
  v *= XSCALE;  // split in the kernel (split_b): the big part times 2^(11 + XB), the pair's parts as for WGMMA
#elif XF16
  // Part 0 the big part times 2^(11 + XB) (TF32); part 1 the f16 pair (small * 2^(11 + XB), big * 2^XB): element k
  // = 2j multiplies the input's big part, k = 2j + 1 its small part times 2^11 (see XB).
  const float big = split_big(v);
  v = part ? __uint_as_float(f16_pair((v - big) * XSCALE, big * (XSCALE / 2048.f))) : big * XSCALE;
#elif WPARTS == 2  // 3xTF32 with both parts resident (WGMMA, WPRE); else split in the kernel
  unsigned big, small;
  split_tf32(v, big, small);
  v = __uint_as_float(part ? small : big);
#endif
  wt[i] = v;
}

// TMA=1: `xmap` is the input as a 4-D tensor [N][C][H][W] in boxes of PWS x PH x CK x 1 (tuner/tensor_map.cpp).
extern "C" __global__ void __launch_bounds__(THREADS, 1) conv_igemm_mma(ConvMishArgs a, const float* __restrict__ wt,
                                                                    int kblocks
#if TMA
                                                                    ,
                                                                    const __grid_constant__ cm_wgmma::TensorMap xmap
#endif
#if TSTORE
                                                                    ,
                                                                    const __grid_constant__ cm_wgmma::TensorMap ymap
#endif
) {
  extern __shared__ float4 smem4[];
  float* smem = reinterpret_cast<float*>(smem4);
  float* Bs = smem;                     // resident weights of this CTA's channel block
  // UNIFORM_GRP=1 (WGMMA): the group, broadcast from lane 0 so that the compiler knows it is the same in every lane
  // of a warp (as CUTLASS does for its warp group index): then the group's tile and chunk counters, and the wgmma
  // descriptors derived from them, are warp-uniform and live in uniform registers. Without it every wgmma takes two
  // R2UR moves of its descriptor from per-thread registers (the seed's TF32 default: 72 a chunk beside 36 wgmmas;
  // 3xTF32: 216). (mma.sync gains nothing from it: its 3xTF32 default then spills.)
  const int tid_all = threadIdx.x;
  const int grp = UNIFORM_GRP ? __shfl_sync(0xffffffffu, tid_all / GTHREADS, 0) : tid_all / GTHREADS;
  float* As0 = smem + B_FLOATS + grp * STAGES * A_STAGE;  // this group's STAGES input patches
  float* bias_s = smem + B_FLOATS + GROUPS * STAGES * A_STAGE;  // BN floats
#if TMA
  // After the bias: GROUPS x STAGES mbarriers (8 bytes each), one per input stage, completed by its TMA box; with
  // MC > 1 another GROUPS x STAGES after them, each completed when the MC CTAs' groups have finished with the stage
  // (used in rank 0).
  const unsigned full0 = cm_wgmma::smem_u32(bias_s + BN) + 8 * grp * STAGES;
#if MC > 1
  const unsigned empty0 = full0 + 8 * GROUPS * STAGES;
  const bool leader = cm_wgmma::cluster_rank() == 0;
#endif
  if (tid_all == 0) {
    for (int i = 0; i < GROUPS * STAGES; ++i) cm_wgmma::mbar_init(cm_wgmma::smem_u32(bias_s + BN) + 8 * i, 1);
#if MC > 1
    for (int i = 0; i < GROUPS * STAGES; ++i)
      cm_wgmma::mbar_init(cm_wgmma::smem_u32(bias_s + BN) + 8 * (GROUPS * STAGES + i), MC);
#endif
    cm_wgmma::mbar_init_fence();
  }
#endif
  const int tiles_w = (a.Q + TW - 1) / TW, tiles_h = (a.P + TH - 1) / TH;
  // The first output column of tile column tw_i (TSTORE: the last one of a row ends at Q, see the header)
  auto tile_col = [&](int tw_i) { return TSTORE ? min(tw_i * TW, a.Q - TW) : tw_i * TW; };
  const int total_tiles = tiles_w * tiles_h * a.N;
  const int kb = blockIdx.x % kblocks;
  const int tile0 = (blockIdx.x / kblocks) * GROUPS + grp, tile_step = (gridDim.x / kblocks) * GROUPS;
  // The tiles of the group whose first tile is `first`: first, first + tile_step, ...
  auto tiles_from = [&](int first) {
    return first < total_tiles ? (total_tiles - first + tile_step - 1) / tile_step : 0;
  };
  const int my_tiles = tiles_from(tile0);
  const int nchunks = CPAD / CK;
  const int total_it = my_tiles * nchunks;
  const int k0 = kb * BN;
  const int tid = tid_all % GTHREADS, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const int wm = warp % WM, wn = warp / WM;
  const long long img = (long long)a.C * a.H * a.W;

  // Weights: a straight copy of this block's pre-arranged rows, by all threads, before the pipelines start.
  {
    const float* src = wt + (long long)kb * B_FLOATS;
    for (int i = tid_all * 4; i < B_FLOATS; i += THREADS * 4) cp_async16(Bs + i, src + i, true);
    // The block's bias, beside the input stages: the epilogue reads it from shared memory (a global load there
    // made every tile's first Mish wait on L2).
    for (int i = tid_all; i < BN; i += THREADS) bias_s[i] = (a.b && k0 + i < a.K) ? a.b[k0 + i] : 0.f;
    cp_async_commit();
    cp_async_wait<0>();
#if WGMMA
    cm_wgmma::fence_proxy_async();  // the weights, written by cp.async, are read by wgmma (the async proxy)
#endif
#if MC > 1
    cm_wgmma::cluster_sync();  // (also the mbarriers initialised, for the other CTAs' arrivals and multicasts)
#else
    __syncthreads();  // every group reads what all threads copied; from here on each group syncs on its own
#endif
  }

  // The loader's tile: decoded when its first chunk is loaded (loads are issued in iteration order, from 0).
  int ld_ih0 = 0, ld_iw0 = 0;
#if TMA
  int ld_n = 0;  // TMA: the loads are issued by thread 0 of the group alone
#endif
  const float* ld_xn = a.x;
  const long long cstride = (long long)a.H * a.W;
  auto load_stage = [&](int it) {
    const int chunk = it % nchunks;
    if (chunk == 0) {
      int r = tile0 + (it / nchunks) * tile_step;
      const int tw_i = r % tiles_w;
      r /= tiles_w;
      const int th_i = r % tiles_h;
      ld_xn = a.x + (r / tiles_h) * img;
      ld_ih0 = th_i * TH * STRIDE - PAD, ld_iw0 = tile_col(tw_i) * STRIDE - PAD - SH;
#if TMA
      ld_n = r / tiles_h;
#endif
    }
    float* As = As0 + (it % STAGES) * A_STAGE;
#if TMA
    // One box: PWS columns x PH rows x CK channels of image ld_n, dense (CSA = PLANE); outside the image and past C
    // the copy engine writes zeros, as the cp.async path does. The stage's last readers passed the group barrier
    // before this; the proxy fence orders their reads before the copy engine's writes.
    cm_wgmma::fence_proxy_async();
    const unsigned bar = full0 + 8 * (it % STAGES);
    cm_wgmma::mbar_arrive_expect_tx(bar, A_STAGE * 4);
#if MC > 1
    // Rank 0 alone: once every CTA of the cluster has finished with this buffer's last stage (it - STAGES), one box
    // into all of them. (The others' bytes may land before their expect_tx: the phase needs that arrival too.)
    if (leader) {
      if (it >= STAGES) cm_wgmma::mbar_wait(empty0 + 8 * (it % STAGES), (it / STAGES - 1) & 1);
      cm_wgmma::tma_load_4d_multicast(cm_wgmma::smem_u32(As), &xmap, ld_iw0, ld_ih0, chunk * CK, ld_n, bar,
                                      (unsigned short)((1u << MC) - 1));
    }
#else
    cm_wgmma::tma_load_4d(cm_wgmma::smem_u32(As), &xmap, ld_iw0, ld_ih0, chunk * CK, ld_n, bar);
#endif
    (void)cstride;
#else
    const int c0 = chunk * CK, cleft = a.C - c0;
    // Each thread owns fixed patch positions (row ph, column group v) and copies them for all CK channels: the
    // position arithmetic and bounds checks run once per position, then one address add per copy.
#if VEC
    constexpr int kCols = PWS / 4, kWidth = 4;  // 16-byte copies (W % 4 == 0: a group is all in or all out)
#else
    constexpr int kCols = PWS, kWidth = 1;
#endif
#pragma unroll
    for (int pos = tid; pos < PH * kCols; pos += GTHREADS) {
      const int v = pos % kCols, ph = pos / kCols;
      const int ih = ld_ih0 + ph, iw = ld_iw0 + v * kWidth;
      const bool in = ih >= 0 && ih < a.H && iw >= 0 && iw < a.W;
      const float* src = ld_xn + c0 * cstride + (long long)ih * a.W + iw;
      float* dst = As + ph * PWS + v * kWidth;
#pragma unroll
      for (int kk = 0; kk < CK; ++kk, src += cstride) {
        const bool ok = in && kk < cleft;
#if VEC
        cp_async16(dst + kk * CSA, ok ? src : a.x, ok);
#else
        cp_async4(dst + kk * CSA, ok ? src : a.x, ok);
#endif
      }
    }
#endif  // TMA
  };

  // Fragment rows g and g + 8 of an m fragment (TW % 16 == 0: one tile row) are, with PAIRS=1, pixels 2g and 2g + 1
  // of its 16: adjacent, so one 64-bit load on the taps where the pair is 8-byte aligned and one 64-bit store per
  // channel in the epilogue; the odd taps' fragments take 32-bit loads, or are rebuilt by the compiler from the
  // even taps' registers with MOVs. With PAIRS=0 they are pixels g and g + 8: 32-bit loads on every tap, the 32
  // lanes (8 pixels x 4 channels 2t, CSA = 4 mod 16 apart) in 32 banks, and no register shuffling.
  // Per-thread offsets: A rows (the first pixel of each m fragment), channel 2t; B rows (output channel g of each
  // n fragment).
  constexpr int kPix1 = PAIRS ? 1 : 8;  // the pixel of fragment row g + 8, relative to that of row g
  // The tile pixel of fragment row g of m fragment mi (WGMMA: wgmma mi is tile row mi, warp wm its columns
  // 16 wm .. 16 wm + 15).
  auto pix = [&](int mi) { return WGMMA ? mi * TW + wm * 16 + g : wm * (BM / WM) + mi * 16 + (PAIRS ? 2 * g : g); };
  // (WGMMA reads only a_off[0], a step's input row i adding i * PWS; computing the rest unused keeps the measured
  // SASS: without them NVRTC schedules the kernel differently.)
  int a_off[MI];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi) {
    const int m = pix(mi);
    a_off[mi] = (m / TW) * STRIDE * PWS + (m % TW) * STRIDE + SH + KT * t * CSA;
  }
#if !BFRAG && !WGMMA
  int b_row[NI];
#pragma unroll
  for (int ni = 0; ni < NI; ++ni) b_row[ni] = (wn * (BN / WN) + ni * 8 + g) * CPS;
#endif

  float acc[MI][NI][4];
#if WGMMA
  unsigned afr[NF][SG][4];  // A fragment register sets in rotation
#if THREEX
  unsigned afs[NF][SG][4];  // their small parts
  float pacc[MI][NI][4];    // the tensor core's sums since the last fold (kFoldAt), added into acc in IEEE fp32
#if SUMS == 2
  float psm[MI][NI][4];  // the small terms' sums (pacc: the big products' alone)
#endif
#endif
  const unsigned long long b_desc0 = wgrs::smem_desc(Bs, BN * 16, 128);  // K-adjacent core matrices BN*16 B apart
#endif
#if THREEX && FOLD
  float part[MI][NI][4];  // the tensor core's sums over one tap (FOLD 1) or filter row (FOLD 2), added in IEEE fp32
#endif
  zero_tile(acc);

#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < total_it && (!TMA || tid == 0)) load_stage(s);
    cp_async_commit();
  }
  // STAGGER: group 0 signals named barrier 15 half-way through its first tile (or when it has no more work); group 1
  // waits for it once, after its first loads are in flight, so that the groups' epilogues need not coincide. (On the
  // H100 seed it gained nothing: 3.449 against 3.402 ms.)
  const int stagger_it = STAGGER && GROUPS > 1 ? (nchunks / 2 < total_it ? nchunks / 2 : total_it) : -1;
  if (STAGGER && GROUPS > 1 && grp == 1) asm volatile("bar.sync 15, %0;" ::"n"(2 * GTHREADS));
  // ORDER: the two groups take turns, on named barriers 13 + grp (bar.sync by the group waiting for its turn,
  // bar.arrive by the one passing it, 2 x GTHREADS threads). Group 0 starts; group 1 waits before each of its tiles,
  // group 0 before each but its first; a turn is passed only to a group that has a tile left, so that every arrival
  // meets its wait (group 0 has as many tiles as group 1 or one more).
  // ORDER=1, turns at issuing a tile's wgmmas (as CUTLASS's ping-pong kernels order their math warpgroups): a group
  // passes the turn once it has issued the tile's last wgmma, so that its epilogue runs beside the other group's
  // MMAs instead of both groups sharing the tensor core and then both leaving it idle in their epilogues.
  // ORDER=2, turns at the epilogue only (WGMMA or mma.sync): the MMAs of both groups overlap freely, but their
  // epilogues alternate, which pushes the groups half a tile apart instead of letting them fall into step.
  const int other_tiles = ORDER ? tiles_from(tile0 + 1 - 2 * grp) : 0;  // the other group's
  auto take_turn = [&](int tile_j) {
    if (grp == 1 || tile_j > 0) asm volatile("bar.sync %0, %1;" ::"r"(13 + grp), "n"(2 * GTHREADS));
  };
  auto pass_turn = [&](int tile_j) {
    if (grp == 0 ? tile_j < other_tiles : tile_j + 1 < other_tiles)
      asm volatile("bar.arrive %0, %1;" ::"r"(14 - grp), "n"(2 * GTHREADS));
  };
#if WGMMA
  // Tiles in an outer loop, chunks in an inner one, the epilogue after the inner loop once all the tile's wgmmas have
  // completed: with the epilogue inside the chunk loop behind a branch, ptxas serialized every wgmma (C7517/C7518).
  for (int it = 0; it < total_it;) {
  const int tile_j = it / nchunks;  // this group's tile
  if (ORDER == 1) take_turn(tile_j);
#pragma unroll 1
  for (int chunk = 0; chunk < nchunks; ++chunk, ++it) {
#else
  for (int it = 0; it < total_it; ++it) {
#endif
    if (STAGGER && GROUPS > 1 && grp == 0 && it == stagger_it) asm volatile("bar.arrive 15, %0;" ::"n"(2 * GTHREADS));
#if TMA
    // Every thread of the group is done with stage it - 1 (its buffer takes stage it + STAGES - 1), then stage it's
    // box has arrived (the k-th use of a buffer completes its barrier's phase k, parity k & 1).
    asm volatile("bar.sync %0, %1;" ::"r"(1 + grp), "n"(GTHREADS));
#if TSTORE
    // A tile's first chunk: the last tile's store boxes staged in stage it - 1's buffer have been read out of it.
    if (tid == 0 && it > 0 && it % nchunks == 0) cm_wgmma::bulk_wait_read<0>();
#endif
#if MC > 1
    // The group is done with stage it - 1: tell rank 0, if a later stage goes into its buffer.
    if (tid == 0 && it >= 1 && it - 1 + STAGES < total_it) {
      cm_wgmma::fence_proxy_async();  // the group's reads of the buffer before the copy engine's next writes
      cm_wgmma::mbar_arrive_cluster(empty0 + 8 * ((it - 1) % STAGES), 0);
    }
#endif
    if (tid == 0 && it + STAGES - 1 < total_it) load_stage(it + STAGES - 1);
    cm_wgmma::mbar_wait(full0 + 8 * (it % STAGES), (it / STAGES) & 1);
#else
    cp_async_wait<STAGES - 2>();
    asm volatile("bar.sync %0, %1;" ::"r"(1 + grp), "n"(GTHREADS));
    if (it + STAGES - 1 < total_it) load_stage(it + STAGES - 1);
    cp_async_commit();
#endif

    const float* As = As0 + (it % STAGES) * A_STAGE;
    const int cbase = (it % nchunks) * CK;
#if WGMMA
    {
      // Step (k8, s, i): one wgmma per output row h = i - r that the A fragment of input row i, tap column s and
      // channels cbase + k8 .. + 7 serves; with WIDE=1 a step covers every tap column s of the row (SG = KS fragments,
      // up to KR * KS wgmmas a step, so that the step's fixed latency - wait, loads, fence - is shared by more MMAs).
      // A step's fragments go into register set step % NF, LA steps ahead of their wgmmas (their shared-memory loads'
      // latency hidden behind the wgmmas in flight). Before a set is overwritten, the wgmmas of the step that last
      // used it (NF steps back) must have completed: at most NF - LA - 1 commit groups may still be pending. When a
      // chunk's steps are not a multiple of NF the rotation restarts each chunk, after all its wgmmas have completed;
      // the first LA steps' fragments load at the chunk's start.
      constexpr int kGroups = KS / SG, kSteps = (CK / 8) * kGroups * PH;
#if THREEX
      // The tensor core's own adds round toward zero: its sums go into acc with IEEE adds after at most 27 of them
      // per accumulator (the seed's chunk with ck 8, measured in the fp32 class: rel. L2 1.1e-6): after the chunk
      // (kFoldAt 0), after each column group of PH steps (1), or after each step (2). kFoldAt 0 may span kFoldChunks
      // chunks: SUMS 2 counts only the big products' adds (the seed's chunk: 9). FOLD_ADDS sets the 27.
      constexpr int kPerStep = SUMS == 2 ? 1 : XF16 ? 2 : 3;  // adds into pacc per wgmma step of a row
      constexpr int kAddsChunk = kPerStep * KR * KS * (CK / 8), kAddsGroup = kPerStep * KR * SG;
      constexpr int kFoldAt = kAddsChunk <= FOLD_ADDS ? 0 : kAddsGroup <= FOLD_ADDS ? 1 : 2;
      constexpr int kFoldChunks = kFoldAt == 0 ? FOLD_ADDS / kAddsChunk : 1;
      const int cidx = it % nchunks;  // the chunk of the tile
      const bool fold_fresh = cidx % kFoldChunks == 0;  // this chunk's first wgmma of a row overwrites its sums
      const bool fold_end = (cidx + 1) % kFoldChunks == 0 || cidx == nchunks - 1;  // a fold after this chunk
      auto fence_sums = [&] {
        cm_wgmma::fence_operands(pacc);
#if SUMS == 2
        cm_wgmma::fence_operands(psm);
#endif
      };
      auto fold_row = [&](int h) {
#pragma unroll
        for (int ni = 0; ni < NI; ++ni)
#pragma unroll
          for (int j = 0; j < 4; ++j) {
#if SUMS == 2
            acc[h][ni][j] += pacc[h][ni][j] + psm[h][ni][j];
#else
            acc[h][ni][j] += pacc[h][ni][j];
#endif
          }
      };
#endif
      auto load_frag = [&](const int step) {
        const int k8 = step / (kGroups * PH), sg = (step / PH) % kGroups, i = step % PH;
#pragma unroll
        for (int q = 0; q < SG; ++q) {
          const float* p = As + a_off[0] + i * PWS + sg * SG + q + k8 * 8 * CSA;
          const float v[4] = {p[0], p[kPix1], p[K4 * CSA], p[K4 * CSA + kPix1]};
#pragma unroll
          for (int j = 0; j < 4; ++j) {
#if THREEX
            split_a(v[j], afr[step % NF][q][j], afs[step % NF][q][j]);
#else
            afr[step % NF][q][j] = ROUND_A ? tf32_round_op(v[j]) : __float_as_uint(v[j]);
#endif
          }
        }
      };
      if (kSteps % NF != 0) {
        wgrs::wait<0>();
      } else if (LA > 0) {
        wgrs::wait<NF - LA>();
      }
#pragma unroll
      for (int step = 0; step < LA; ++step) load_frag(step);
      const int first = (it % nchunks) == 0;  // the tile's first chunk: the first wgmma of each row overwrites
      (void)first;  // (3xTF32: the sums start afresh after each fold)
      const unsigned long long bd_chunk = b_desc0 + (unsigned)((cbase / 8) * 2 * BN * WPARTS);  // 16-byte units
#pragma unroll
      for (int step = 0; step < kSteps; ++step) {
        const int k8 = step / (kGroups * PH), sg = (step / PH) % kGroups, i = step % PH;
        if (step + LA < kSteps) {
          wgrs::wait<NF - LA - 1>();
          load_frag(step + LA);
        }
        wgrs::fence();
#pragma unroll
        for (int q = 0; q < SG; ++q) {
          const int s = sg * SG + q;
#pragma unroll
          for (int r = 0; r < KR; ++r) {
            const int h = i - r;
            if (h < 0 || h >= TH) continue;
            const unsigned long long bd =
                bd_chunk + (unsigned)(((r * KS + s) * (CPAD / 8) + k8) * 2 * BN * WPARTS);
#if THREEX
            // Small terms first, then the big product; a row's first product after a fold overwrites its sums.
            const bool fresh = kFoldAt == 0 ? (fold_fresh && k8 == 0 && sg == 0 && r == 0 && q == 0)
                                            : kFoldAt == 1 ? (r == 0 && q == 0) : q == 0;
#if XF16
            // The cross terms a_big w_small + a_small w_big in one f16 wgmma (B: the f16 pairs), then the big product.
            wgrs::mma<true>(pacc[h], afs[step % NF][q], bd + 2 * BN, fresh ? 0 : 1);
            wgrs::mma(pacc[h], afr[step % NF][q], bd, 1);
#elif SUMS == 2
            wgrs::mma(psm[h], afs[step % NF][q], bd, fresh ? 0 : 1);
            wgrs::mma(psm[h], afr[step % NF][q], bd + 2 * BN, 1);
            wgrs::mma(pacc[h], afr[step % NF][q], bd, fresh ? 0 : 1);
#else
            wgrs::mma(pacc[h], afs[step % NF][q], bd, fresh ? 0 : 1);
            wgrs::mma(pacc[h], afr[step % NF][q], bd + 2 * BN, 1);
            wgrs::mma(pacc[h], afr[step % NF][q], bd, 1);
#endif
#else
            wgrs::mma(acc[h], afr[step % NF][q], bd, (first && k8 == 0 && s == 0 && r == 0) ? 0 : 1);
#endif
          }
        }
        wgrs::commit();
#if THREEX
        // Fold after a column group (all rows have new sums) or after a step (the rows it touched).
        if (kFoldAt == 2 || (kFoldAt == 1 && i == PH - 1)) {
          wgrs::wait<0>();
          fence_sums();
#pragma unroll
          for (int h = 0; h < TH; ++h)
            if (kFoldAt == 1 || (i - h >= 0 && i - h < KR)) fold_row(h);
        }
#endif
      }
#if THREEX
      if (kFoldAt == 0 && fold_end) {
        wgrs::wait<0>();
        fence_sums();
#pragma unroll
        for (int h = 0; h < TH; ++h) fold_row(h);
      }
#endif
    }
#else
#if UNROLL_TAPS
#pragma unroll
#else
#pragma unroll 1
#endif
    for (int rs = 0; rs < RS; ++rs) {
      const float* a_tap = As + (rs / KS) * PWS + (rs % KS);
#if !BFRAG
      const float* b_tap = Bs + rs * BN * CPS;
#endif
#if THREEX && FOLD
      if (FOLD == 1 || rs % KS == 0) zero_tile(part);
#endif
#pragma unroll
      for (int k8 = 0; k8 < CK; k8 += 8) {
        unsigned af[MI][4], bf[NI][2];
#if THREEX
        unsigned as[MI][4], bs[NI][2];
#endif
#pragma unroll
        for (int mi = 0; mi < MI; ++mi) {
          const float* p = a_tap + a_off[mi] + k8 * CSA;
          // a0/a1: the row pixels of channel 2t; a2/a3: the same of channel 2t+1 (TMA: t and t + 4, K4 planes on).
          // With pairs and stride 1 the pair is 8-byte aligned when the tap column plus the shift SH is even (tile
          // columns, 2g, rows and CSA are even).
          float v[4];
          if (PAIRS && STRIDE == 1 && ((rs % KS) + SH) % 2 == 0) {
            const float2 lo = *reinterpret_cast<const float2*>(p);
            const float2 hi = *reinterpret_cast<const float2*>(p + K4 * CSA);
            v[0] = lo.x, v[1] = lo.y, v[2] = hi.x, v[3] = hi.y;
          } else {
            v[0] = p[0], v[1] = p[kPix1 * STRIDE], v[2] = p[K4 * CSA], v[3] = p[K4 * CSA + kPix1 * STRIDE];
          }
#pragma unroll
          for (int j = 0; j < 4; ++j) {
#if THREEX
            split_a(v[j], af[mi][j], as[mi][j]);
#elif ROUND_A
            af[mi][j] = tf32_round_op(v[j]);
#else
            af[mi][j] = __float_as_uint(v[j]);  // the tensor core ignores the low 13 bits: truncation
#endif
          }
        }
#if BFRAG
#pragma unroll
        for (int nj = 0; nj < NI / 2; ++nj) {
          const float* bp =
              Bs + ((rs * (CPAD / 8) + (cbase + k8) / 8) * (BN / 16) + wn * (BN / WN / 16) + nj) * 128 * WPARTS +
              lane * 4;
          const float4 bv = *reinterpret_cast<const float4*>(bp);
#if THREEX && !WPRE
          split_b(bv.x, bf[2 * nj][0], bs[2 * nj][0]);
          split_b(bv.y, bf[2 * nj][1], bs[2 * nj][1]);
          split_b(bv.z, bf[2 * nj + 1][0], bs[2 * nj + 1][0]);
          split_b(bv.w, bf[2 * nj + 1][1], bs[2 * nj + 1][1]);
#else
          bf[2 * nj][0] = __float_as_uint(bv.x), bf[2 * nj][1] = __float_as_uint(bv.y);
          bf[2 * nj + 1][0] = __float_as_uint(bv.z), bf[2 * nj + 1][1] = __float_as_uint(bv.w);
#endif
#if WPRE
          // The small parts as igemm_weights split them (XF16: the f16 pairs): a second load instead of the split.
          const float4 bw = *reinterpret_cast<const float4*>(bp + 128);
          bs[2 * nj][0] = __float_as_uint(bw.x), bs[2 * nj][1] = __float_as_uint(bw.y);
          bs[2 * nj + 1][0] = __float_as_uint(bw.z), bs[2 * nj + 1][1] = __float_as_uint(bw.w);
#endif
        }
#else
#pragma unroll
        for (int ni = 0; ni < NI; ++ni) {
          // Fragment rows start at multiples of 8, so n & 3 == g & 3 and the swizzle is SWZ(g).
          const float2 bv = *reinterpret_cast<const float2*>(b_tap + b_row[ni] + ((cbase + k8) ^ SWZ(g)) + 2 * t);
#if THREEX
          split_b(bv.x, bf[ni][0], bs[ni][0]);
          split_b(bv.y, bf[ni][1], bs[ni][1]);
#else
          bf[ni][0] = __float_as_uint(bv.x);  // already TF32 (igemm_weights)
          bf[ni][1] = __float_as_uint(bv.y);
#endif
        }
#endif
#pragma unroll
        for (int mi = 0; mi < MI; ++mi)
#pragma unroll
          for (int ni = 0; ni < NI; ++ni) {
#if THREEX && FOLD
            mma_3x(part[mi][ni], af[mi], as[mi], bf[ni], bs[ni]);  // small terms first, then the big product
#elif THREEX
            // The tensor core's fp32 accumulation does not round to nearest; summing each 8-channel step's three
            // products apart and adding that with an IEEE add keeps the error at fp32 level.
            float part[4] = {0.f, 0.f, 0.f, 0.f};
            mma_3x(part, af[mi], as[mi], bf[ni], bs[ni]);  // small terms first, then the big product
#pragma unroll
            for (int j = 0; j < 4; ++j) acc[mi][ni][j] += part[j];
#else
            mma_tf32(acc[mi][ni], af[mi], bf[ni]);
#endif
          }
      }
#if THREEX && FOLD
      if (FOLD == 1 || rs % KS == KS - 1) {
#pragma unroll
        for (int mi = 0; mi < MI; ++mi)
#pragma unroll
          for (int ni = 0; ni < NI; ++ni)
#pragma unroll
            for (int j = 0; j < 4; ++j) acc[mi][ni][j] += part[mi][ni][j];
      }
#endif
    }
#endif  // WGMMA

#if WGMMA
  }  // chunk loop
    if (ORDER == 1) pass_turn(tile_j);  // the other group's MMAs
    wgrs::wait<0>();  // the tile's accumulators, final
    cm_wgmma::fence_operands(acc);
    {
      const int it_last = it - 1;
#else
    if (it % nchunks == nchunks - 1) {
      const int it_last = it;
#endif
      if (ORDER == 2) take_turn(it_last / nchunks);
      // Epilogue of this tile: bias + Mish on the accumulators, stores guarded by the image and channel bounds
      // (rows g / g+8: pixels; cols 2t, 2t+1: output channels), then fresh accumulators for the next tile.
      int r = tile0 + (it_last / nchunks) * tile_step;
      const int tw_i = r % tiles_w;
      r /= tiles_w;
      const int th_i = r % tiles_h;
      const int n = r / tiles_h;
      const int kt = k0 + wn * (BN / WN) + 2 * t;  // this thread's first output channel
#if !TSTORE
      const long long plane = (long long)a.P * a.Q;
      const int kleft = a.K - kt;
      float* yb = a.y + ((long long)n * a.K + kt) * plane;
#endif
      float bias[NI][2];
#pragma unroll
      for (int ni = 0; ni < NI; ++ni)
#pragma unroll
        for (int j = 0; j < 2; ++j) bias[ni][j] = bias_s[kt - k0 + ni * 8 + j];  // 0 beyond K
      // (XF16: the products carry 2^(11 + XB), an exact scale taken out in the add of the bias)
      auto biased = [&](float v, float b) { return XF16 ? fmaf(v, 1.f / XSCALE, b) : v + b; };
#if TSTORE
      // Row by row, Mish on the row's accumulators in place, then unit by unit (channels 8 ni .. 8 ni + 7): written
      // into staging unit u % ST_NB (see the header), the writes made visible to the copy engine, and once the group
      // has passed its barrier, sent out by thread 0 as two boxes (rows past P not at all). Before that barrier
      // thread 0 waits until unit u + 1 - ST_NB's boxes have been read, so that unit u + 1 may overwrite them.
      const unsigned stg = (cm_wgmma::smem_u32(As0 + (it_last % STAGES) * A_STAGE) + 1023u) & ~1023u;
      asm volatile("bar.sync %0, %1;" ::"r"(1 + grp), "n"(GTHREADS));  // the group's reads of that stage are done
      const int ow0 = tile_col(tw_i);
#pragma unroll
      for (int mi = 0; mi < MI; ++mi) {
        const int oh = th_i * TH + mi;
#pragma unroll
        for (int ni = 0; ni < NI; ++ni)
#pragma unroll
          for (int j = 0; j < 4; ++j)
            acc[mi][ni][j] = cm::mish_repeat<MISH_FORM>(biased(acc[mi][ni][j], bias[ni][j % 2]), MISH_COUNT);
#pragma unroll
        for (int ni = 0; ni < NI; ++ni) {
          const unsigned ub = stg + ((mi * NI + ni) % ST_NB) * 2048;
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int m = wm * 16 + g + 8 * e, mm = m & 31;  // the pixel (rows g, g + 8) and its place in a box
#pragma unroll
            for (int j = 0; j < 2; ++j) {
              const int c = 2 * t + j;  // the channel: row c of the box, its 16-byte chunks XORed with c
              cm_wgmma::st_shared(ub + (m >> 5) * 1024 + c * 128 + (((mm >> 2) ^ c) << 4) + (mm & 3) * 4,
                                  acc[mi][ni][2 * e + j]);
            }
          }
          cm_wgmma::fence_proxy_async();
          if (tid == 0) cm_wgmma::bulk_wait_read<ST_NB - 2>();
          asm volatile("bar.sync %0, %1;" ::"r"(1 + grp), "n"(GTHREADS));
          if (tid == 0) {
            if (oh < a.P) {
              const int p0 = oh * a.Q + ow0, kc = k0 + ni * 8;
              cm_wgmma::tma_store_3d(&ymap, p0, kc, n, ub);
              cm_wgmma::tma_store_3d(&ymap, p0 + 32, kc, n, ub + 1024);
            }
            cm_wgmma::bulk_commit();
          }
        }
      }
#if THREEX
      zero_tile(acc);
#endif
#else
      const bool pairs_aligned = PAIRS && a.Q % 2 == 0;  // then every pixel pair (2g, 2g+1) starts 8-byte aligned
#pragma unroll
      for (int mi = 0; mi < MI; ++mi) {
        // Accumulators: [0], [1] = the pixel of row g, channels 2t, 2t+1; [2], [3] = that of row g+8 (pixels 2g,
        // 2g+1 or g, g+8). A store instruction covers whole 32-byte sectors: 8 consecutive pixels of 4 channels,
        // or 16 of 4 with pairs.
        const int m = pix(mi);
        const int oh = th_i * TH + m / TW, ow = tile_col(tw_i) + m % TW;
        const bool in0 = oh < a.P && ow < a.Q, in1 = oh < a.P && ow + kPix1 < a.Q;
        float* yp = yb + (oh * a.Q + ow);
#pragma unroll
        for (int ni = 0; ni < NI; ++ni)
#pragma unroll
          for (int j = 0; j < 2; ++j) {
            // Mish on every accumulator, only the stores predicated: no branches around the math.
            float v0 = biased(acc[mi][ni][j], bias[ni][j]), v1 = biased(acc[mi][ni][2 + j], bias[ni][j]);
            v0 = cm::mish_repeat<MISH_FORM>(v0, MISH_COUNT), v1 = cm::mish_repeat<MISH_FORM>(v1, MISH_COUNT);
            float* q = yp + (ni * 8 + j) * plane;
            const bool kin = ni * 8 + j < kleft;
#if EPI_PRED
            // Predicated stores, no branch: one basic block, which the compiler interleaves across many values.
            if (PAIRS && in1 && pairs_aligned) {
              if (kin) *reinterpret_cast<float2*>(q) = make_float2(v0, v1);
            } else {
              if (in0 && kin) q[0] = v0;
              if (in1 && kin) q[kPix1] = v1;
            }
#else
            // A branch around each pair's stores: the epilogue runs a pair at a time (on the H100, 1-4 % slower
            // than EPI_PRED=1 in the same call).
            if (kin) {
              if (PAIRS && in1 && pairs_aligned) {
                *reinterpret_cast<float2*>(q) = make_float2(v0, v1);
              } else {
                if (in0) q[0] = v0;
                if (in1) q[kPix1] = v1;
              }
            }
#endif
#if !WGMMA || THREEX  // (TF32 wgmma: the next tile's first wgmma overwrites them)
            acc[mi][ni][j] = 0.f;
            acc[mi][ni][2 + j] = 0.f;
#endif
          }
      }
#endif  // TSTORE
      if (ORDER == 2) pass_turn(it_last / nchunks);  // the other group's epilogue
    }
  }
  if (STAGGER && GROUPS > 1 && grp == 0 && stagger_it == total_it) asm volatile("bar.arrive 15, %0;" ::"n"(2 * GTHREADS));
  cp_async_wait<0>();
#if TSTORE
  if (tid == 0) cm_wgmma::bulk_wait_all();  // the last boxes written before the CTA (and its shared memory) ends
#endif
#if MC > 1
  cm_wgmma::cluster_sync();  // no CTA leaves while another may still write its shared memory or arrive on it
#endif
}
