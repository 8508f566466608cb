// Tiled direct convolution in plain fp32 FFMA (no tensor cores), bias + Mish^mish_count in registers, coalesced stores.
// Versus conv_naive_fused: input and weights staged in shared memory (cp.async, STAGES deep), RKxRHxRW outputs/thread.
// Any N, C, H, W, K, padding; filter size and stride compiled in (FILTER_R, FILTER_S, STRIDE); RW 4 or 8, RK % 4 == 0.
#include "common.cuh"
#include "cp_async.cuh"
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
#define MISH_FORM CM_MISH_ONEEXP
#endif

namespace tiled {

constexpr int kTpx = TILE_W / RW;                   // threads along a tile row
constexpr int kTpy = TILE_H / RH;                   // threads along the tile's rows
constexpr int kThreads = (TILE_K / RK) * kTpy * kTpx;
constexpr int kGroups = RW / 4;                     // column groups of 4 per thread
constexpr int kSeg = TILE_W / kGroups;              // distance between a thread's column groups
constexpr int kIh = (TILE_H - 1) * STRIDE + FILTER_R;  // staged input rows (with halo)
constexpr int kIw = (TILE_W - 1) * STRIDE + FILTER_S;  // staged input columns (with halo)
constexpr int kWin = 3 * STRIDE + FILTER_S;         // input columns one group of 4 outputs reads
constexpr int kRows = (RH - 1) * STRIDE + FILTER_R; // input rows one thread reads per channel
constexpr int kRS = FILTER_R * FILTER_S;
constexpr int kInStage = C_CHUNK * kIh * IN_PITCH;
constexpr int kWStage = C_CHUNK * kRS * W_PITCH;
constexpr int kStage = kInStage + kWStage;
constexpr int kInElems = C_CHUNK * kIh * kIw;
constexpr int kCrs = C_CHUNK * kRS;                 // weight rows (c, r, s) per stage
constexpr int kCrsPad = (kCrs + 7) / 8 * 8;
constexpr int kWElems = TILE_K * kCrsPad;           // staged in groups of 4 k x 8 (c,r,s): see load_chunk
constexpr int kKq = TILE_K / 4;                     // k quads of the weight tile
constexpr int kWarps = kThreads / 32;
constexpr int kPix = TILE_H * TILE_W;                // output pixels per CTA
constexpr int kOutPerThread = RK * RH * RW;         // outputs per thread (the epilogue's share)
constexpr int kEpiBatch = 8;                        // Mish chains in flight per thread in the epilogue

static_assert(RW == 4 || RW == 8, "RW must be 4 or 8");
static_assert(RK % 4 == 0 && TILE_K % RK == 0 && TILE_K % 4 == 0, "RK and TILE_K must be multiples of 4");
static_assert(TILE_H % RH == 0 && TILE_W % RW == 0, "tile must divide into thread blocks");
static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "thread count");
static_assert(IN_PITCH % 4 == 0 && IN_PITCH >= kIw, "IN_PITCH: >= staged width, multiple of 4");
static_assert(W_PITCH % 4 == 0 && W_PITCH >= TILE_K, "W_PITCH: >= TILE_K, multiple of 4");
static_assert(OUT_PITCH % 4 == 0 && OUT_PITCH >= TILE_W, "OUT_PITCH: >= TILE_W, multiple of 4");
static_assert(STAGES >= 1 && STAGES * kStage <= SMEM_FLOATS, "staging exceeds the dynamic shared memory");
static_assert(TILE_K * TILE_H * OUT_PITCH <= SMEM_FLOATS, "epilogue buffer exceeds the shared memory");
static_assert(kOutPerThread % kEpiBatch == 0, "epilogue batches");


// Mish `count` times over a batch of independent values (independent chains keep the MUFU pipe busy).
template <int B>
__device__ __forceinline__ void mish_batch(float (&v)[B], int count) {
#pragma unroll 1
  for (int m = 0; m < count; ++m)
#pragma unroll
    for (int b = 0; b < B; ++b) v[b] = cm::mish<MISH_FORM>(v[b]);
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

// Stage channels [c0, c0 + C_CHUNK) of image xn and filters [k0, k0 + TILE_K) into `buf`, zero-filling whatever
// lies outside the image, past C or past K. Input: [c][ih][iw] with pitch IN_PITCH, consecutive threads take
// consecutive columns (coalesced reads, conflict-free writes). Weights: transposed to [c][r][s][k] (pitch W_PITCH);
// a warp takes 4 k x 8 consecutive (c,r,s), i.e. 4 runs of 32 bytes in global memory and 32 distinct banks
// (W_PITCH = 4 mod 32).
__device__ __forceinline__ void load_chunk(float* buf, const ConvMishArgs& a, const float* xn, int c0, int k0,
                                           int hb, int wb, int tid) {
  float* s_in = buf;
  float* s_w = buf + kInStage;
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
  // Weights: element (k, crs) of the chunk; a warp covers 4 k x 8 crs, warp w of kWarps starts at k = 4 w.
  const int crs_valid = cvalid * kRS;
  const int crs_all = a.C * kRS;
  const int lane = tid & 31, warp = tid >> 5;
  const int k_t = warp % kKq * 4 + (lane & 3), crs_t = warp / kKq * 8 + (lane >> 2);
  if constexpr (kKq % kWarps == 0) {  // every warp's k offset and crs block are compile-time steps from its own
    const float* wt = a.w + (long long)(k0 + k_t) * crs_all + c0 * kRS + crs_t;
    const long long kstep = (long long)kWarps * 4 * crs_all;  // k + 4 kWarps: this many floats further in w
#pragma unroll 2
    for (int cb = 0; cb < kCrsPad / 8; ++cb) {
      const int crs = cb * 8 + crs_t;
#pragma unroll
      for (int kq = 0; kq < kKq / kWarps; ++kq) {
        const int k = k_t + kq * kWarps * 4;
        const bool ok = crs < crs_valid && k0 + k < a.K;
        if (crs < kCrs) cp_async4(s_w + crs * W_PITCH + k, ok ? wt + kq * kstep + cb * 8 : a.w, ok);
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

// acc[i][col][kk] += sum over the staged channels, r, s of x(row i, col) * w(kk). `in` points at the thread's first
// input row and column, `wt` at its first filter column (k = kg*RK).
__device__ __forceinline__ void compute_chunk(float (&acc)[RH][RW][RK], const float* in, const float* wt) {
#pragma unroll 1
  for (int c = 0; c < C_CHUNK; ++c) {
    float xv[kRows][kGroups][kWin];
#pragma unroll
    for (int ir = 0; ir < kRows; ++ir)
#pragma unroll
      for (int g = 0; g < kGroups; ++g) load_row(xv[ir][g], in + (c * kIh + ir) * IN_PITCH + g * kSeg * STRIDE);
#pragma unroll
    for (int r = 0; r < FILTER_R; ++r)
#pragma unroll
      for (int s = 0; s < FILTER_S; ++s) {
        float wv[RK];
        load_row(wv, wt + (c * kRS + r * FILTER_S + s) * W_PITCH);
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
  }
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
    load_chunk(smem, a, xn, ch * C_CHUNK, k0, hb, wb, tid);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    compute_chunk(acc, smem + in_off, smem + w_off);
    __syncthreads();  // everyone done reading before the next chunk overwrites the buffer
  }
#else
#pragma unroll
  for (int st = 0; st < STAGES - 1; ++st) {
    if (st < chunks) load_chunk(smem + st * kStage, a, xn, st * C_CHUNK, k0, hb, wb, tid);
    cp_async_commit();  // always commit (possibly empty) so that group counting stays uniform
  }
  for (int ch = 0; ch < chunks; ++ch) {
    cp_async_wait<STAGES - 2>();  // this thread's copies of chunk ch have landed
    __syncthreads();              // everyone's have, and everyone has finished computing chunk ch - 1
    const int next = ch + STAGES - 1;
    if (next < chunks) load_chunk(smem + (next % STAGES) * kStage, a, xn, next * C_CHUNK, k0, hb, wb, tid);
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
  if constexpr (kThreads % kPix == 0) {
    // Each thread owns one pixel of the tile for every kStep-th channel: fixed store predicate and addresses that
    // advance by a constant.
    constexpr int kStep = kThreads / kPix;
    const int pix = tid % kPix, kl0 = tid / kPix;
    const int ohl = pix / TILE_W, owl = pix % TILE_W;
    const bool in_image = oh0 + ohl < a.P && ow0 + owl < a.Q;
    const float* src = smem + (kl0 * TILE_H + ohl) * OUT_PITCH + owl;
    const long long dst0 = (long long)(k0 + kl0) * pq_size + ((long long)(oh0 + ohl) * a.Q + ow0 + owl);
#pragma unroll 1
    for (int it = 0; it < kOutPerThread; it += kEpiBatch) {
      float v[kEpiBatch];
#pragma unroll
      for (int b = 0; b < kEpiBatch; ++b) v[b] = src[(it + b) * kStep * TILE_H * OUT_PITCH];
      mish_batch(v, a.mish_count);
#pragma unroll
      for (int b = 0; b < kEpiBatch; ++b)
        if (in_image && k0 + kl0 + (it + b) * kStep < a.K) yn[dst0 + (it + b) * kStep * pq_size] = v[b];
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
      mish_batch(v, a.mish_count);
#pragma unroll
      for (int b = 0; b < kEpiBatch; ++b)
        if (dst[b] >= 0) yn[dst[b]] = v[b];
    }
  }
}
