// Implicit-GEMM convolution on tensor cores (mma.sync m16n8k8 TF32; THREEX=1: error-compensated 3xTF32) fused with
// bias + Mish. Changes from the direct kernels: a CTA stages an input patch (with halo) for CK channels and the
// matching weights in shared memory with cp.async, STAGES deep, and runs all R*S taps from it; GEMM M = output
// pixels (TH x TW of one image), N = BN output channels, K = channels x taps; epilogue on the accumulators.
// Constraints: TW % 16 == 0, CK % 8 == 0, BN % 32 == 0; weights pre-transposed to [C][R][S][kpad] (kpad % BN == 0)
// by igemm_weights_crsk (same file), which the launch runs first.
#include "common.cuh"
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
#define CH_STRIDE ((((PATCH) + 23) / 32) * 32 + 8)  // >= PATCH and = 8 mod 32: conflict-free A fragments
#define WROW (BN + 8)                                // = 8 mod 32: conflict-free B fragments
#define A_STAGE (CK * CH_STRIDE)
#define B_STAGE (KR * KS * CK * WROW)
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

__device__ __forceinline__ void cp_async4(float* dst, const float* src, bool ok) {
  const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(src), "r"(ok ? 4 : 0));
}

__device__ __forceinline__ void cp_async16(float* dst, const float* src, bool ok) {
  const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(ok ? 16 : 0));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// wt[((c*R + r)*S + s)*kpad + k] = w[k][c][r][s] (0 for k >= K); rounded to TF32 for the plain TF32 kernel.
extern "C" __global__ void igemm_weights_crsk(const float* __restrict__ w, float* __restrict__ wt, int K, int C,
                                              int RS, int kpad) {
  const long long i = (long long)blockIdx.x * 256 + threadIdx.x;
  if (i >= (long long)C * RS * kpad) return;
  const int k = (int)(i % kpad);
  const long long crs = i / kpad;
  float v = k < K ? w[(long long)k * C * RS + crs] : 0.f;
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
    for (int i = tid; i < CK * PATCH; i += THREADS) {
      const int kk = i / PATCH, rem = i - kk * PATCH, ph = rem / PW, pw = rem - ph * PW;
      const int c = c0 + kk, ih = ih0 + ph, iw = iw0 + pw;
      const bool ok = c < a.C && ih >= 0 && ih < a.H && iw >= 0 && iw < a.W;
      cp_async4(As + kk * CH_STRIDE + rem, ok ? xn + ((long long)c * a.H + ih) * a.W + iw : a.x, ok);
    }
    constexpr int kVecPerRow = BN / 4;
    for (int i = tid; i < KR * KS * CK * kVecPerRow; i += THREADS) {
      const int v = i % kVecPerRow, row = i / kVecPerRow, kk = row % CK, rs = row / CK;
      const int c = c0 + kk;
      const bool ok = c < a.C;
      cp_async16(Bs + row * WROW + v * 4, ok ? wt + ((long long)c * KR * KS + rs) * kpad + k0 + v * 4 : wt, ok);
    }
  };

  // Per-thread offsets of its A rows (pixels g and g + 8 of each m fragment) inside the patch.
  int a_off[MI];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi) {
    const int m = wm * (BM / WM) + mi * 16 + g;
    a_off[mi] = (m / TW) * STRIDE * PW + (m % TW) * STRIDE;
  }
  int b_col[NI];
#pragma unroll
  for (int ni = 0; ni < NI; ++ni) b_col[ni] = wn * (BN / WN) + ni * 8 + g;

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
#pragma unroll
    for (int rs = 0; rs < KR * KS; ++rs) {
      const int tap = (rs / KS) * PW + (rs % KS);
#pragma unroll
      for (int k8 = 0; k8 < CK; k8 += 8) {
        const float* a_lo = As + (k8 + t) * CH_STRIDE + tap;
        const float* a_hi = a_lo + 4 * CH_STRIDE;
        const float* b_lo = Bs + (rs * CK + k8 + t) * WROW;
        const float* b_hi = b_lo + 4 * WROW;
        unsigned af[MI][4], bf[NI][2];
#if THREEX
        unsigned as[MI][4], bs[NI][2];
#endif
#pragma unroll
        for (int mi = 0; mi < MI; ++mi) {
          const float v[4] = {a_lo[a_off[mi]], a_lo[a_off[mi] + 8 * STRIDE], a_hi[a_off[mi]],
                              a_hi[a_off[mi] + 8 * STRIDE]};
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
#if THREEX
          const float v0 = b_lo[b_col[ni]], v1 = b_hi[b_col[ni]];
          bf[ni][0] = tf32_bits(v0);
          bf[ni][1] = tf32_bits(v1);
          bs[ni][0] = tf32_bits(v0 - __uint_as_float(bf[ni][0]));
          bs[ni][1] = tf32_bits(v1 - __uint_as_float(bf[ni][1]));
#else
          bf[ni][0] = __float_as_uint(b_lo[b_col[ni]]);  // already TF32 (igemm_weights_crsk)
          bf[ni][1] = __float_as_uint(b_hi[b_col[ni]]);
#endif
        }
#pragma unroll
        for (int mi = 0; mi < MI; ++mi)
#pragma unroll
          for (int ni = 0; ni < NI; ++ni) {
#if THREEX
            mma_tf32(acc[mi][ni], as[mi], bf[ni]);  // small terms first, then the big product
            mma_tf32(acc[mi][ni], af[mi], bs[ni]);
#endif
            mma_tf32(acc[mi][ni], af[mi], bf[ni]);
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
