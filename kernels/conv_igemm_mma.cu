// Implicit-GEMM convolution on tensor cores (mma.sync m16n8k8 TF32; THREEX=1: error-compensated 3xTF32) fused with
// bias + Mish. Changes from the direct kernels: a CTA stages an input patch (with halo) for CK channels and the
// matching weights in shared memory with cp.async, STAGES deep, and runs all R*S taps from it; GEMM M = output
// pixels (TH x TW of one image), N = BN output channels, K = channels x taps; epilogue on the accumulators.
// Shared tiles are channel-innermost, so each thread fetches its fragment pairs (channels 2t, 2t+1) as one 8-byte
// load. Constraints: TW % 16 == 0, CK % 8 == 0, BN % 32 == 0; weights pre-arranged as [C/CK][R*S][kpad][CK]
// (kpad % BN == 0) by igemm_weights (same file), which the launch runs first.
#include "common.cuh"
#include "cp_async.cuh"
#include "mish.cuh"

#ifndef TH
#define TH 4
#endif
#ifndef TW
#define TW 32
#endif
#ifndef BN
#define BN 128
#endif
#ifndef CK
#define CK 8
#endif
#ifndef WM
#define WM 2
#endif
#ifndef WN
#define WN 4
#endif
#ifndef STAGES
#define STAGES 2
#endif
#ifndef MINB
#define MINB 1
#endif
#ifndef UNROLL_TAPS
#define UNROLL_TAPS 0
#endif
#ifndef THREEX
#define THREEX 0
#endif
#ifndef MISH_FORM
#define MISH_FORM CM_MISH_FAST
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

#define THREADS (WM * WN * 32)
#define BM (TH * TW)
#define PH ((TH - 1) * STRIDE + KR)
#define PW ((TW - 1) * STRIDE + KS)
#define PATCH (PH * PW)
// Floats per pixel (A) or per output channel (B) row: CK rounded to 8 or 24 mod 32, so that the 8-byte fragment
// loads of a half warp (4 rows x 4 channel pairs) hit 32 distinct banks.
#define CSTR ((CK % 32 == 0 || CK % 32 == 16) ? CK + 8 : CK)
#define A_STAGE (PATCH * CSTR)
#define B_STAGE (KR * KS * BN * CSTR)
#define STAGE_FLOATS (A_STAGE + B_STAGE)
#define MI (BM / WM / 16)
#define NI (BN / WN / 8)

__device__ __forceinline__ unsigned tf32_bits(float x) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}

__device__ __forceinline__ void mma_tf32(float* c, const unsigned* a, const unsigned* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}


// wt[((chunk*RS + rs)*kpad + k)*CK + kk] = w[k][chunk*CK + kk][rs] (0 outside K and C); rounded to TF32 for the
// plain TF32 kernel. Covers nchunks*RS*kpad*CK elements.
extern "C" __global__ void igemm_weights(const float* __restrict__ w, float* __restrict__ wt, int K, int C, int RS,
                                         int kpad) {
  const long long i = (long long)blockIdx.x * 256 + threadIdx.x;
  const int nchunks = (C + CK - 1) / CK;
  if (i >= (long long)nchunks * RS * kpad * CK) return;
  const int kk = (int)(i % CK);
  const long long rest = i / CK;
  const int k = (int)(rest % kpad);
  const int rs = (int)((rest / kpad) % RS);
  const int c = (int)(rest / ((long long)kpad * RS)) * CK + kk;
  float v = (k < K && c < C) ? w[((long long)k * C + c) * RS + rs] : 0.f;
#if !THREEX
  v = __uint_as_float(tf32_bits(v));
#endif
  wt[i] = v;
}

extern "C" __global__ void __launch_bounds__(THREADS, MINB) conv_igemm_mma(ConvMishArgs a, const float* __restrict__ wt,
                                                                      int kpad) {
  extern __shared__ float4 smem4[];
  float* smem = reinterpret_cast<float*>(smem4);
  const int tiles_w = (a.Q + TW - 1) / TW, tiles_h = (a.P + TH - 1) / TH;
  int bx = blockIdx.x;
  const int tw_i = bx % tiles_w;
  bx /= tiles_w;
  const int th_i = bx % tiles_h;
  const int n = bx / tiles_h;
  const int oh0 = th_i * TH, ow0 = tw_i * TW, k0 = blockIdx.y * BN;
  const int ih0 = oh0 * STRIDE - PAD, iw0 = ow0 * STRIDE - PAD;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const int wm = warp % WM, wn = warp / WM;
  const int nchunks = (a.C + CK - 1) / CK;
  const float* xn = a.x + (long long)n * a.C * a.H * a.W;

  auto load_stage = [&](int chunk, int buf) {
    float* As = smem + buf * STAGE_FLOATS;
    float* Bs = As + A_STAGE;
    const int c0 = chunk * CK;
    // Input: consecutive threads read consecutive columns (coalesced); each lands in its pixel's channel slot.
    for (int i = tid; i < CK * PATCH; i += THREADS) {
      const int kk = i / PATCH, pix = i - kk * PATCH, ph = pix / PW, pw = pix - ph * PW;
      const int c = c0 + kk, ih = ih0 + ph, iw = iw0 + pw;
      const bool ok = c < a.C && ih >= 0 && ih < a.H && iw >= 0 && iw < a.W;
      cp_async4(As + pix * CSTR + kk, ok ? xn + ((long long)c * a.H + ih) * a.W + iw : a.x, ok);
    }
    // Weights: CK contiguous channels per (tap, output channel), 16 bytes at a time.
    constexpr int kVecPerRow = CK / 4;
    const float* wchunk = wt + (long long)chunk * KR * KS * kpad * CK;
    for (int i = tid; i < KR * KS * BN * kVecPerRow; i += THREADS) {
      const int v = i % kVecPerRow, row = i / kVecPerRow, nn = row % BN, rs = row / BN;
      cp_async16(Bs + row * CSTR + v * 4, wchunk + ((long long)rs * kpad + k0 + nn) * CK + v * 4, true);
    }
  };

  // Per-thread float offsets of its A rows (pixel g of each m fragment; g + 8 is 8*STRIDE pixels on) and of its
  // B rows (output channel g of each n fragment), channel pair 2t included.
  int a_off[MI];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi) {
    const int m = wm * (BM / WM) + mi * 16 + g;
    a_off[mi] = ((m / TW) * STRIDE * PW + (m % TW) * STRIDE) * CSTR + 2 * t;
  }
  int b_off[NI];
#pragma unroll
  for (int ni = 0; ni < NI; ++ni) b_off[ni] = (wn * (BN / WN) + ni * 8 + g) * CSTR + 2 * t;

  float acc[MI][NI][4];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi)
#pragma unroll
    for (int ni = 0; ni < NI; ++ni)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[mi][ni][j] = 0.f;

#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < nchunks) load_stage(s, s);
    cp_async_commit();
  }
  for (int ch = 0; ch < nchunks; ++ch) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    const int next = ch + STAGES - 1;
    if (next < nchunks) load_stage(next, next % STAGES);
    cp_async_commit();

    const float* As = smem + (ch % STAGES) * STAGE_FLOATS;
    const float* Bs = As + A_STAGE;
#if UNROLL_TAPS
#pragma unroll
#else
#pragma unroll 1  // fewer registers: the compiler hoists the fragment loads of unrolled taps
#endif
    for (int rs = 0; rs < KR * KS; ++rs) {
      const float* a_tap = As + ((rs / KS) * PW + (rs % KS)) * CSTR;
      const float* b_tap = Bs + rs * BN * CSTR;
#pragma unroll
      for (int k8 = 0; k8 < CK; k8 += 8) {
        // Logical k = t holds channel k8 + 2t and k = t + 4 holds channel k8 + 2t + 1, for A and B alike.
        unsigned af[MI][4], bf[NI][2];
#if THREEX
        unsigned as[MI][4], bs[NI][2];
#endif
#pragma unroll
        for (int mi = 0; mi < MI; ++mi) {
          const float2 lo = *reinterpret_cast<const float2*>(a_tap + a_off[mi] + k8);
          const float2 hi = *reinterpret_cast<const float2*>(a_tap + a_off[mi] + 8 * STRIDE * CSTR + k8);
          const float v[4] = {lo.x, hi.x, lo.y, hi.y};
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            af[mi][j] = tf32_bits(v[j]);
#if THREEX
            as[mi][j] = tf32_bits(v[j] - __uint_as_float(af[mi][j]));
#endif
          }
        }
#pragma unroll
        for (int ni = 0; ni < NI; ++ni) {
          const float2 bv = *reinterpret_cast<const float2*>(b_tap + b_off[ni] + k8);
#if THREEX
          bf[ni][0] = tf32_bits(bv.x);
          bf[ni][1] = tf32_bits(bv.y);
          bs[ni][0] = tf32_bits(bv.x - __uint_as_float(bf[ni][0]));
          bs[ni][1] = tf32_bits(bv.y - __uint_as_float(bf[ni][1]));
#else
          bf[ni][0] = __float_as_uint(bv.x);  // already TF32 (igemm_weights)
          bf[ni][1] = __float_as_uint(bv.y);
#endif
        }
#pragma unroll
        for (int mi = 0; mi < MI; ++mi)
#pragma unroll
          for (int ni = 0; ni < NI; ++ni) {
#if THREEX
            // The tensor core's fp32 accumulation does not round to nearest; summing each 8-channel step's three
            // products apart and adding that with an IEEE add keeps the error at fp32 level.
            float part[4] = {0.f, 0.f, 0.f, 0.f};
            mma_tf32(part, as[mi], bf[ni]);  // small terms first, then the big product
            mma_tf32(part, af[mi], bs[ni]);
            mma_tf32(part, af[mi], bf[ni]);
#pragma unroll
            for (int j = 0; j < 4; ++j) acc[mi][ni][j] += part[j];
#else
            mma_tf32(acc[mi][ni], af[mi], bf[ni]);
#endif
          }
      }
    }
  }
  cp_async_wait<0>();

  // Epilogue: bias + Mish on the accumulators, predicated stores (row g / g+8: pixels; cols 2t, 2t+1: channels).
  const long long plane = (long long)a.P * a.Q;
#pragma unroll
  for (int mi = 0; mi < MI; ++mi) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int m = wm * (BM / WM) + mi * 16 + g + half * 8;
      const int oh = oh0 + m / TW, ow = ow0 + m % TW;
      if (oh >= a.P || ow >= a.Q) continue;
      float* yrow = a.y + (long long)n * a.K * plane + (long long)oh * a.Q + ow;
#pragma unroll
      for (int ni = 0; ni < NI; ++ni)
#pragma unroll
        for (int j = 0; j < 2; ++j) {
          const int k = k0 + wn * (BN / WN) + ni * 8 + 2 * t + j;
          if (k >= a.K) continue;
          float v = acc[mi][ni][half * 2 + j] + (a.b ? a.b[k] : 0.f);
          for (int i = 0; i < a.mish_count; ++i) v = cm::mish<MISH_FORM>(v);
          yrow[(long long)k * plane] = v;
        }
    }
  }
}
