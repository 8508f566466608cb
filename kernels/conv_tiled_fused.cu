// Tiled direct convolution in plain fp32 FFMA (no tensor cores), bias + Mish^MISH_COUNT in registers, coalesced stores.
// Versus conv_naive_fused: input and weights staged in shared memory (cp.async, STAGES deep), RKxRHxRW outputs/thread,
// and (PIPE) each input row of the thread's window reloaded with the next channel as soon as its last tap is done.
// Any N, C, H, W, K, padding; filter size, stride and Mish count compiled in; RW 4 or 8, RK % 4 == 0.
//
// Issue slots (SASS for sm_90, seed, 64x4x64 CTA tile, 8x2x4 outputs a thread, 8-channel chunks, fast Mish): the
// FFMA loop is 576 FFMA + 26 LDS + ~8 others per channel; what used to cost more was around it. Per thread and tile
// (36,864 FFMA), before -> now: staging 1,350 -> ~180 instructions a chunk, epilogue ~3,800 -> ~1,800, in all
// ~54,000 -> ~42,500 instructions (FFMA 68 % -> 87 % of them).
// - Staging: full chunks (all but a last partial one) take fast paths: input rows as 16-byte cp.async when
//   W % 4 == 0, pad % 4 == 0 and x is 16-byte aligned (else 4-byte copies), weights as 4-byte copies from one base
//   pointer per k quad with compile-time offsets. The general per-element path (~50 instructions an element) is
//   kept for a last partial chunk and for odd shapes.
// - Epilogue: Mish count and form compiled in (form fast on ex2/rcp.approx.ftz), stores through one pointer a pixel.
#include "common.cuh"
#include "cp_async.cuh"
#ifndef CM_MISH_FAST_FTZ
#define CM_MISH_FAST_FTZ 1  // the fast Mish form on ex2/rcp.approx.ftz (kernels/mish.cuh)
#endif
#include "mish.cuh"

// ---- configuration (all set by the variant; defaults only so that the file compiles on its own) -------------
#ifndef TILE_K
#define TILE_K 64  // output channels per CTA
#endif
#ifndef TILE_H
#define TILE_H 8  // output rows per CTA
#endif
#ifndef TILE_W
#define TILE_W 32  // output columns per CTA
#endif
#ifndef RK
#define RK 8  // output channels per thread (consecutive)
#endif
#ifndef RW
#define RW 8  // output columns per thread: RW/4 groups of 4 consecutive, TILE_W/(RW/4) apart
#endif
#ifndef RH
#define RH 1  // output rows per thread (consecutive)
#endif
#ifndef C_CHUNK
#define C_CHUNK 8  // input channels staged per step
#endif
#ifndef STAGES
#define STAGES 2  // staging buffers: 1 = load, wait, compute; 2+ = cp.async prefetch STAGES-1 chunks ahead
#endif
#ifndef PIPE
#define PIPE 1  // 0: each channel loads its window, then uses it; 1: rolling window; 2: the same, 2 channels per loop
#endif
#ifndef FILTER_R
#define FILTER_R 3  // filter rows (R of the problem; the name R is a field of ConvMishArgs)
#endif
#ifndef FILTER_S
#define FILTER_S 3  // filter columns
#endif
#ifndef STRIDE
#define STRIDE 1
#endif
#ifndef IN_PITCH
#define IN_PITCH 48  // floats per staged input row (>= IW, multiple of 4, chosen against bank conflicts)
#endif
#ifndef W_PITCH
#define W_PITCH (TILE_K + 4)  // floats per staged weight row [c][r][s][k]
#endif
#ifndef OUT_PITCH
#define OUT_PITCH 48  // floats per row of the epilogue's transpose buffer
#endif
#ifndef SMEM_FLOATS
#define SMEM_FLOATS 24576
#endif
#ifndef MIN_BLOCKS
#define MIN_BLOCKS 2
#endif
#ifndef MISH_FORM
#define MISH_FORM CM_MISH_FAST_ACCURATE
#endif
// Mish applications, fixed at compile time (a.mish_count is ignored), so that the epilogue unrolls.
#ifndef MISH_COUNT
#define MISH_COUNT 2
#endif

namespace tiled {

constexpr int kTpx = TILE_W / RW;                   // threads along a tile row
constexpr int kTpy = TILE_H / RH;                   // threads along the tile's rows
constexpr int kThreads = (TILE_K / RK) * kTpy * kTpx;
constexpr int kGroups = RW / 4;                     // column groups of 4 per thread
constexpr int kSeg = TILE_W / kGroups;              // distance between a thread's column groups
constexpr int kIh = (TILE_H - 1) * STRIDE + FILTER_R;  // staged input rows (with halo)
constexpr int kIw = (TILE_W - 1) * STRIDE + FILTER_S;  // staged input columns (with halo)
constexpr int kIwV = (kIw + 3) / 4;                 // 16-byte pieces per staged input row (fast path)
constexpr int kWin = 3 * STRIDE + FILTER_S;         // input columns one group of 4 outputs reads
constexpr int kRows = (RH - 1) * STRIDE + FILTER_R; // input rows one thread reads per channel
constexpr int kRS = FILTER_R * FILTER_S;
constexpr int kInStage = C_CHUNK * kIh * IN_PITCH;
constexpr int kWStage = C_CHUNK * kRS * W_PITCH;
constexpr int kStage = kInStage + kWStage;
constexpr int kInElems = C_CHUNK * kIh * kIw;
constexpr int kCrs = C_CHUNK * kRS;                 // weight rows (c, r, s) per stage
constexpr int kCrsPad = (kCrs + 7) / 8 * 8;
constexpr int kWElems = TILE_K * kCrsPad;           // staged in groups of 4 k x 8 (c,r,s): see load_weights
constexpr int kKq = TILE_K / 4;                     // k quads of the weight tile
constexpr int kWarps = kThreads / 32;
constexpr int kPix = TILE_H * TILE_W;                // output pixels per CTA
constexpr int kOutPerThread = RK * RH * RW;         // outputs per thread (the epilogue's share)
#ifndef EPI_BATCH
#define EPI_BATCH 16
#endif
constexpr int kEpiBatch = EPI_BATCH;                // Mish chains in flight per thread in the epilogue

static_assert(RW == 4 || RW == 8, "RW must be 4 or 8");
static_assert(RK % 4 == 0 && TILE_K % RK == 0 && TILE_K % 4 == 0, "RK and TILE_K must be multiples of 4");
static_assert(TILE_H % RH == 0 && TILE_W % RW == 0, "tile must divide into thread blocks");
static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "thread count");
static_assert(IN_PITCH % 4 == 0 && IN_PITCH >= 4 * kIwV, "IN_PITCH: >= staged width, multiple of 4");
static_assert(W_PITCH % 4 == 0 && W_PITCH >= TILE_K, "W_PITCH: >= TILE_K, multiple of 4");
static_assert(OUT_PITCH % 4 == 0 && OUT_PITCH >= TILE_W, "OUT_PITCH: >= TILE_W, multiple of 4");
static_assert(STAGES >= 1 && STAGES * kStage <= SMEM_FLOATS, "staging exceeds the dynamic shared memory");
static_assert(TILE_K * TILE_H * OUT_PITCH <= SMEM_FLOATS, "epilogue buffer exceeds the shared memory");
static_assert(kOutPerThread % kEpiBatch == 0, "epilogue batches");
static_assert(MISH_COUNT >= 0, "Mish count");

// The last filter row r (taps run r-major, ascending) that reads window row ir (ir = i*STRIDE + r, i < RH); -1: none.
__device__ constexpr int last_tap_row(int ir) {
  int last = -1;
  for (int i = 0; i < RH; ++i)
    if (ir - i * STRIDE >= 0 && ir - i * STRIDE < FILTER_R && ir - i * STRIDE > last) last = ir - i * STRIDE;
  return last;
}

// Mish MISH_COUNT times over a batch of independent values (independent chains keep the MUFU pipe busy).
template <int B>
__device__ __forceinline__ void mish_batch(float (&v)[B]) {
#pragma unroll
  for (int m = 0; m < MISH_COUNT; ++m)
#pragma unroll
    for (int b = 0; b < B; ++b) v[b] = m == 0 ? cm::mish<MISH_FORM>(v[b]) : cm::mish_again<MISH_FORM>(v[b]);
}

// N consecutive floats from 16-byte aligned shared memory, in float4 / float2 / float pieces.
template <int N>
__device__ __forceinline__ void load_row(float (&v)[N], const float* p) {
#pragma unroll
  for (int m = 0; m + 4 <= N; m += 4) {
    const float4 t = *reinterpret_cast<const float4*>(p + m);
    v[m] = t.x, v[m + 1] = t.y, v[m + 2] = t.z, v[m + 3] = t.w;
  }
  constexpr int m2 = N / 4 * 4;
  if constexpr (N - m2 >= 2) {
    const float2 t = *reinterpret_cast<const float2*>(p + m2);
    v[m2] = t.x, v[m2 + 1] = t.y;
  }
  if constexpr (N % 2 == 1) v[N - 1] = p[N - 1];
}

// One window row of the thread: kGroups pieces of kWin columns, kSeg*STRIDE apart.
__device__ __forceinline__ void load_window_row(float (&v)[kGroups][kWin], const float* p) {
#pragma unroll
  for (int g = 0; g < kGroups; ++g) load_row(v[g], p + g * kSeg * STRIDE);
}

// Input, general path: element (c, ih, iw) of the chunk, consecutive threads on consecutive columns (coalesced
// reads, conflict-free writes); zero-fill outside the image and past C.
__device__ __forceinline__ void load_input_scalar(float* s_in, const ConvMishArgs& a, const float* xn, int c0,
                                                  int hb, int wb, int tid) {
  const int cvalid = min(C_CHUNK, a.C - c0);
  const long long hw = (long long)a.H * a.W;
  const float* xc = xn + c0 * hw;
#pragma unroll 4
  for (int it = 0; it < (kInElems + kThreads - 1) / kThreads; ++it) {
    const int e = tid + it * kThreads;
    if (kInElems % kThreads == 0 || e < kInElems) {
      const int c = e / (kIh * kIw);
      const int rem = e - c * (kIh * kIw);
      const int ih = rem / kIw;
      const int iw = rem - ih * kIw;
      const int h = hb + ih, w = wb + iw;
      const bool ok = c < cvalid && (unsigned)h < (unsigned)a.H && (unsigned)w < (unsigned)a.W;
      const float* src = ok ? xc + c * hw + (h * a.W + w) : a.x;
      cp_async4(s_in + (c * kIh + ih) * IN_PITCH + iw, src, ok);
    }
  }
}

// Input, fast path for a full chunk with W % 4 == 0, wb % 4 == 0 and x 16-byte aligned: 16-byte pieces of the
// staged rows, each wholly inside or wholly outside the image (zero-filled); reads up to 4*kIwV - kIw columns past
// the halo. Thread t copies piece t % kIwV of rows t / kIwV + j*kRowStep: no per-element division by the row
// length. Every piece has exactly one writer (compute-sanitizer racecheck reports two threads writing the same bytes,
// even the same values, as a hazard): the threads past the last whole row of pieces (t >= kRowStep*kIwV) copy
// nothing, and the last pass stops at the last row. Those copies are predicated off rather than branched around: a
// branch here made ptxas reorder the FFMA loop and cost 5 % (H100, 2026-12-05). Offsets from xn in 32 bits: inside
// a full chunk they are below C*H*W <= 2^31 (x has at most 2^31-1 elements).
__device__ __forceinline__ void load_input_vec(float* s_in, const ConvMishArgs& a, const float* xn, int c0, int hb,
                                               int wb, int tid) {
  constexpr int kRowStep = kThreads / kIwV;  // rows covered by one pass of the CTA
  constexpr int kRowsAll = C_CHUNK * kIh;
  static_assert(kRowStep >= 1, "a CTA must cover one staged row");
  const unsigned hw = unsigned(a.H) * unsigned(a.W);
  const int row0 = tid / kIwV, iv = tid - row0 * kIwV;
  const bool copies = kThreads % kIwV == 0 || row0 < kRowStep;
  const bool w_ok = unsigned(wb + 4 * iv) < unsigned(a.W);
  // Wraps (modulo 2^32) for hb, wb < 0; only used where ok, and then the sum is the element's true offset.
  const unsigned base = unsigned(c0) * hw + unsigned(hb) * unsigned(a.W) + unsigned(wb + 4 * iv);
  float* dst = s_in + 4 * iv;
#pragma unroll
  for (int j = 0; j < (kRowsAll + kRowStep - 1) / kRowStep; ++j) {
    // Issued only for a true row (tested in the last pass only); the clamp keeps the addresses inside the stage.
    const int row = min(row0 + j * kRowStep, kRowsAll - 1);
    const bool issue = copies && ((j + 1) * kRowStep <= kRowsAll || row0 + j * kRowStep < kRowsAll);
    const int c = row / kIh, ih = row - c * kIh;
    const bool ok = w_ok && unsigned(hb + ih) < unsigned(a.H);
    const unsigned off = ok ? base + unsigned(c) * hw + unsigned(ih) * unsigned(a.W) : 0u;
    cp_async16_if(issue, dst + row * IN_PITCH, xn + off, ok);
  }
}

// Weights, transposed to [c][r][s][k] (pitch W_PITCH): a warp takes 4 k x 8 consecutive (c,r,s), i.e. 4 runs of 32
// bytes in global memory and 32 distinct banks (W_PITCH = 4 mod 32). kFull (c0 + C_CHUNK <= C): every (c,r,s) of the
// chunk exists, so a thread needs one base pointer per k quad (a row past K reads row k0 and zero-fills) and
// compile-time offsets; otherwise each element is checked.
template <bool kFull>
__device__ __forceinline__ void load_weights(float* s_w, const ConvMishArgs& a, int c0, int k0, int tid) {
  const int crs_valid = min(C_CHUNK, a.C - c0) * kRS;
  const int crs_all = a.C * kRS;
  const int lane = tid & 31, warp = tid >> 5;
  if constexpr (kKq % kWarps == 0) {  // every warp's k offset and crs block are compile-time steps from its own
    const int k_t = warp * 4 + (lane & 3), crs_t = lane >> 2;
#pragma unroll 1  // one base pointer live at a time (fully unrolled, 128-channel tiles spilled at 16-channel chunks)
    for (int kq = 0; kq < kKq / kWarps; ++kq) {
      const int k = k0 + k_t + kq * kWarps * 4;
      const bool kok = k < a.K;
      const float* src = a.w + (long long)(kok ? k : k0) * crs_all + c0 * kRS + crs_t;
      float* dst = s_w + crs_t * W_PITCH + k_t + kq * kWarps * 4;
#pragma unroll
      for (int cb = 0; cb < kCrsPad / 8; ++cb) {
        const int crs = cb * 8 + crs_t;
        if (kCrs % 8 == 0 || cb < kCrs / 8 || crs < kCrs) {
          if constexpr (kFull) {
            cp_async4(dst + cb * 8 * W_PITCH, src + cb * 8, kok);
          } else {
            const bool ok = kok && crs < crs_valid;
            cp_async4(dst + cb * 8 * W_PITCH, ok ? src + cb * 8 : a.w, ok);
          }
        }
      }
    }
  } else {  // general mapping: element e = lane + 32 * rest, rest = k-quad fastest, then crs block
#pragma unroll 4
    for (int it = 0; it < (kWElems + kThreads - 1) / kThreads; ++it) {
      const int rest = warp + it * kWarps;
      const int k = rest % kKq * 4 + (lane & 3);
      const int crs = rest / kKq * 8 + (lane >> 2);
      if ((kWElems % kThreads == 0 || rest < kWElems / 32) && crs < kCrs) {
        const bool ok = crs < crs_valid && k0 + k < a.K;
        cp_async4(s_w + crs * W_PITCH + k, ok ? a.w + (long long)(k0 + k) * crs_all + c0 * kRS + crs : a.w, ok);
      }
    }
  }
}

// threadIdx.x through a volatile asm: what the staging derives from it (element coordinates, offsets, predicates)
// is recomputed for every chunk instead of being hoisted out of the chunk loop, where it would stay live across the
// FFMA loop and spill at the 128-register cap of two CTAs per SM.
__device__ __forceinline__ int opaque_tid() {
#if defined(__CUDA_ARCH__)
  int t;
  asm volatile("mov.u32 %0, %%tid.x;" : "=r"(t));
  return t;
#else
  return int(threadIdx.x);
#endif
}

// Stage channels [c0, c0 + C_CHUNK) of image xn and filters [k0, k0 + TILE_K) into `buf`, zero-filling whatever
// lies outside the image, past C or past K. `vec`: the 16-byte input path is allowed (see load_input_vec).
__device__ __forceinline__ void load_chunk(float* buf, const ConvMishArgs& a, const float* xn, int c0, int k0,
                                           int hb, int wb, bool vec) {
  const int tid = opaque_tid();
  if (c0 + C_CHUNK <= a.C) {
    if (vec) load_input_vec(buf, a, xn, c0, hb, wb, tid);
    else load_input_scalar(buf, a, xn, c0, hb, wb, tid);
    load_weights<true>(buf + kInStage, a, c0, k0, tid);
  } else {
    load_input_scalar(buf, a, xn, c0, hb, wb, tid);
    load_weights<false>(buf + kInStage, a, c0, k0, tid);
  }
}

// acc[i][g*4+j][kk] += x(row i*STRIDE + r, column j*STRIDE + s of group g) * w(kk) for one tap (r, s).
__device__ __forceinline__ void fma_tap(float (&acc)[RH][RW][RK], const float (&xv)[kRows][kGroups][kWin],
                                        const float (&wv)[RK], int r, int s) {
#pragma unroll
  for (int i = 0; i < RH; ++i)
#pragma unroll
    for (int g = 0; g < kGroups; ++g)
#pragma unroll
      for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int kk = 0; kk < RK; ++kk)
          acc[i][g * 4 + j][kk] = fmaf(xv[i * STRIDE + r][g][j * STRIDE + s], wv[kk], acc[i][g * 4 + j][kk]);
}

// acc += sum over the staged channels, r, s of x(row i, col) * w(kk). `in` points at the thread's first input row
// and column, `wt` at its first filter column (k = kg*RK). Each tap's weights are loaded right before its FFMAs
// (the compiler hoists them a tap or two ahead).
__device__ __forceinline__ void compute_chunk(float (&acc)[RH][RW][RK], const float* in, const float* wt) {
#if PIPE
  // Rolling window, no extra registers: once filter row r is done, the window rows it read for the last time load
  // channel c+1's values (the last channel reloads its own rows, so the reads stay inside the stage). ptxas sinks
  // the loads whose only use is in the next iteration to the end of the loop body, so with one channel per
  // iteration each channel still starts on a fresh load; PIPE=2 takes two channels per iteration, and the second
  // one's rows load under the first one's FFMAs.
  constexpr int kUnrollC = PIPE == 2 ? 2 : 1;  // (a macro is not expanded inside #pragma unroll)
  float xv[kRows][kGroups][kWin];
#pragma unroll
  for (int ir = 0; ir < kRows; ++ir) load_window_row(xv[ir], in + ir * IN_PITCH);
#pragma unroll kUnrollC
  for (int c = 0; c < C_CHUNK; ++c) {
    const float* in_next = in + min(c + 1, C_CHUNK - 1) * (kIh * IN_PITCH);
#pragma unroll
    for (int r = 0; r < FILTER_R; ++r) {
#pragma unroll
      for (int s = 0; s < FILTER_S; ++s) {
        float wv[RK];
        load_row(wv, wt + (c * kRS + r * FILTER_S + s) * W_PITCH);
        fma_tap(acc, xv, wv, r, s);
      }
#pragma unroll
      for (int ir = 0; ir < kRows; ++ir)
        if (last_tap_row(ir) == r) load_window_row(xv[ir], in_next + ir * IN_PITCH);
    }
  }
#else
  // Each channel: its whole window, then the taps.
#pragma unroll 1
  for (int c = 0; c < C_CHUNK; ++c) {
    float xv[kRows][kGroups][kWin];
#pragma unroll
    for (int ir = 0; ir < kRows; ++ir) load_window_row(xv[ir], in + (c * kIh + ir) * IN_PITCH);
#pragma unroll
    for (int r = 0; r < FILTER_R; ++r)
#pragma unroll
      for (int s = 0; s < FILTER_S; ++s) {
        float wv[RK];
        load_row(wv, wt + (c * kRS + r * FILTER_S + s) * W_PITCH);
        fma_tap(acc, xv, wv, r, s);
      }
  }
#endif
}

}  // namespace tiled

// Grid: x = (row tile * column tiles + column tile) * K tiles + K tile (K tiles fastest: CTAs sharing an input
// patch run together), y + 65535 z = image. Block: kThreads. Dynamic shared memory: SMEM_FLOATS floats.
extern "C" __global__ void __launch_bounds__(tiled::kThreads, MIN_BLOCKS) conv_tiled_fused(ConvMishArgs a) {
  using namespace tiled;
  extern __shared__ __align__(16) float smem[];
  const long long n = blockIdx.y + 65535LL * blockIdx.z;
  if (n >= a.N) return;  // whole CTA leaves together, before any barrier
  const int tid = threadIdx.x;
  const int k_tiles = (a.K + TILE_K - 1) / TILE_K;
  const int q_tiles = (a.Q + TILE_W - 1) / TILE_W;
  const int kt = blockIdx.x % k_tiles;
  const int pq = blockIdx.x / k_tiles;
  const int k0 = kt * TILE_K;
  const int oh0 = (pq / q_tiles) * TILE_H, ow0 = (pq % q_tiles) * TILE_W;
  const int hb = oh0 * STRIDE - a.pad, wb = ow0 * STRIDE - a.pad;
  const float* xn = a.x + n * a.C * ((long long)a.H * a.W);
  // 16-byte input staging: rows start 16-byte aligned (W % 4 == 0, x aligned) and so does every tile's first
  // staged column (wb = ow0*STRIDE - pad with TILE_W*STRIDE % 4 == 0 and pad % 4 == 0).
  const bool vec = (TILE_W * STRIDE) % 4 == 0 && ((a.W | a.pad) & 3) == 0 &&
                   (reinterpret_cast<unsigned long long>(a.x) & 15) == 0;

  // This thread: channels kg*RK + [0,RK), rows py*RH + [0,RH), columns g*kSeg + px*4 + [0,4) for g < kGroups.
  const int px = tid % kTpx;
  const int py = (tid / kTpx) % kTpy;
  const int kg = tid / (kTpx * kTpy);
  const int in_off = (py * RH * STRIDE) * IN_PITCH + px * 4 * STRIDE;
  const int w_off = kInStage + kg * RK;

  float acc[RH][RW][RK];
#pragma unroll
  for (int i = 0; i < RH; ++i)
#pragma unroll
    for (int j = 0; j < RW; ++j)
#pragma unroll
      for (int kk = 0; kk < RK; ++kk) acc[i][j][kk] = 0.f;

  const int chunks = (a.C + C_CHUNK - 1) / C_CHUNK;
#if STAGES == 1
  for (int ch = 0; ch < chunks; ++ch) {
    load_chunk(smem, a, xn, ch * C_CHUNK, k0, hb, wb, vec);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    compute_chunk(acc, smem + in_off, smem + w_off);
    __syncthreads();  // everyone done reading before the next chunk overwrites the buffer
  }
#else
#pragma unroll
  for (int st = 0; st < STAGES - 1; ++st) {
    if (st < chunks) load_chunk(smem + st * kStage, a, xn, st * C_CHUNK, k0, hb, wb, vec);
    cp_async_commit();  // always commit (possibly empty) so that group counting stays uniform
  }
  for (int ch = 0; ch < chunks; ++ch) {
    cp_async_wait<STAGES - 2>();  // this thread's copies of chunk ch have landed
    __syncthreads();              // everyone's have, and everyone has finished computing chunk ch - 1
    const int next = ch + STAGES - 1;
    if (next < chunks) load_chunk(smem + (next % STAGES) * kStage, a, xn, next * C_CHUNK, k0, hb, wb, vec);
    cp_async_commit();
    const float* buf = smem + (ch % STAGES) * kStage;
    compute_chunk(acc, buf + in_off, buf + w_off);
  }
  cp_async_wait<0>();
  __syncthreads();  // the staging buffers become the epilogue's transpose buffer
#endif

  // Epilogue: bias in registers, transpose the whole tile through shared memory ([TILE_K][TILE_H][OUT_PITCH]), then
  // threads take consecutive columns of one channel row: Mish there (the accumulators are dead by then, leaving
  // registers for kEpiBatch independent Mish chains) and coalesced stores.
#pragma unroll
  for (int kk = 0; kk < RK; ++kk) {
    const int k = k0 + kg * RK + kk;
    const float bias = (a.b != nullptr && k < a.K) ? __ldg(a.b + k) : 0.f;
#pragma unroll
    for (int i = 0; i < RH; ++i)
#pragma unroll
      for (int g = 0; g < kGroups; ++g)
        *reinterpret_cast<float4*>(smem + ((kg * RK + kk) * TILE_H + py * RH + i) * OUT_PITCH + g * kSeg + px * 4) =
            make_float4(acc[i][g * 4][kk] + bias, acc[i][g * 4 + 1][kk] + bias, acc[i][g * 4 + 2][kk] + bias,
                        acc[i][g * 4 + 3][kk] + bias);
  }
  __syncthreads();
  const long long pq_size = (long long)a.P * a.Q;
  float* yn = a.y + n * a.K * pq_size;
  if constexpr (kThreads % kPix == 0 || (kPix % kThreads == 0 && kThreads % TILE_W == 0)) {
    // Each thread owns pixel tid % kPix of the tile (and, with fewer threads than pixels, the kSub - 1 pixels
    // kSubRows rows below it at steps of kThreads) for every kStep-th channel: fixed store predicates, a channel
    // count, and one pointer per pixel that advances by kStep channel planes.
    constexpr int kStep = kThreads >= kPix ? kThreads / kPix : 1;
    constexpr int kSub = kThreads >= kPix ? 1 : kPix / kThreads;
    constexpr int kSubRows = kThreads / TILE_W;
    static_assert(kEpiBatch % kSub == 0, "epilogue batches");
    const int pix = tid % kPix, kl0 = tid / kPix;
    const int ohl = pix / TILE_W, owl = pix % TILE_W;
    int nk[kSub];  // pixel m stores its output of channel kl0 + j*kStep if j*kStep < nk[m]
    float* dst[kSub];
#pragma unroll
    for (int m = 0; m < kSub; ++m) {
      const int oh = oh0 + ohl + m * kSubRows, ow = ow0 + owl;
      nk[m] = oh < a.P && ow < a.Q ? a.K - (k0 + kl0) : 0;
      dst[m] = yn + (long long)(k0 + kl0) * pq_size + ((long long)oh * a.Q + ow);
    }
    const float* src = smem + (kl0 * TILE_H + ohl) * OUT_PITCH + owl;
    const long long dstep = kStep * pq_size;
#pragma unroll 1
    for (int jt = 0; jt < kOutPerThread / kSub; jt += kEpiBatch / kSub) {
      float v[kEpiBatch];
#pragma unroll
      for (int b = 0; b < kEpiBatch; ++b)
        v[b] = src[(b / kSub) * kStep * TILE_H * OUT_PITCH + (b % kSub) * kSubRows * OUT_PITCH];
      mish_batch(v);
#pragma unroll
      for (int j = 0; j < kEpiBatch / kSub; ++j)
#pragma unroll
        for (int m = 0; m < kSub; ++m) {
          if ((jt + j) * kStep < nk[m]) *dst[m] = v[j * kSub + m];
          dst[m] += dstep;
        }
      src += (kEpiBatch / kSub) * kStep * TILE_H * OUT_PITCH;
    }
  } else {  // general: element e = tid + j * kThreads of the [TILE_K][TILE_H][TILE_W] tile
#pragma unroll 1
    for (int it = 0; it < kOutPerThread; it += kEpiBatch) {
      float v[kEpiBatch];
      long long dst[kEpiBatch];
#pragma unroll
      for (int b = 0; b < kEpiBatch; ++b) {
        const int e = tid + (it + b) * kThreads;
        const int kl = e / kPix;
        const int pix = e - kl * kPix;
        const int ohl = pix / TILE_W, owl = pix - ohl * TILE_W;
        const int ko = k0 + kl, oh = oh0 + ohl, ow = ow0 + owl;
        v[b] = smem[(kl * TILE_H + ohl) * OUT_PITCH + owl];
        dst[b] = (ko < a.K && oh < a.P && ow < a.Q) ? ko * pq_size + ((long long)oh * a.Q + ow) : -1;
      }
      mish_batch(v);
#pragma unroll
      for (int b = 0; b < kEpiBatch; ++b)
        if (dst[b] >= 0) yn[dst[b]] = v[b];
    }
  }
}
