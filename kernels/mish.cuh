// Mish forms, mish(x) = x * tanh(softplus(x)), as __host__ __device__ functions with one signature, picked at
// compile time by mish<FORM>(x) (FORM: precise 0, oneexp 1, fast 2, tanh_approx 3, fast_accurate 4).
// The host versions use the same arithmetic except where an intrinsic has no host twin (noted per form).
#pragma once
#include "common.cuh"
#if !defined(__CUDACC_RTC__)
#include <math.h>  // host and nvcc builds; NVRTC has the math functions built in
#endif

#define CM_MISH_PRECISE 0
#define CM_MISH_ONEEXP 1
#define CM_MISH_FAST 2
#define CM_MISH_TANH_APPROX 3
#define CM_MISH_FAST_ACCURATE 4

namespace cm {

// Precise: x * tanh(log1p(exp(x))). Accurate (a few ulp) for every finite x: exp overflows to inf above ~88.7,
// then log1p(inf) = inf and tanh(inf) = 1, giving x; below ~-103 exp underflows to 0 and the result is -0 where
// the true value is x*e^x, under 1e-43 in magnitude. Three special functions, the slowest form.
CM_HD float mish_precise(float x) { return x * tanhf(log1pf(expf(x))); }

// One exponential: with e = exp(x) and n = e(e + 2), tanh(softplus(x)) = n / (n + 2), so mish = x n / (n + 2).
// x is clamped at 20 (n would overflow near 44; at 20 the factor is 1 - 8e-18, i.e. 1 in float). No cancellation
// anywhere: accurate to a few ulp for x > -87, and absolutely (error < 1e-37) below, where e^x is denormal.
CM_HD float mish_oneexp(float x) {
  if (x >= 20.f) return x;
  float e = expf(x);
  float n = e * (e + 2.f);
  return x * n / (n + 2.f);
}

// The one-exponential form on the approximate instructions with denormals flushed (9 instructions, 2 MUFU):
// ex2.approx.ftz of x*log2(e), rcp.approx.ftz of n + 2. Without FTZ each MUFU comes with a range check and
// rescaling. Rounding x*log2(e) to float costs up to |x| * 6e-8 relative in e^x, which matters where mish is
// proportional to e^x (x below about -5: ~17 ulp at -20, more further down); see mish_fast_accurate. Below
// x = -87.3 e^x is denormal and flushed: the result is -0 where |mish| < 1e-36 (a normal float down to x = -91.9,
// so relative error 1 there, absolute under 1e-36). Host version: expf and a plain division.
CM_HD float mish_fast_ftz(float x) {
  const float xc = fminf(x, 20.f);
#if defined(__CUDA_ARCH__)
  float e, r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(e) : "f"(xc * 1.4426950408889634f));
  const float n = e * (e + 2.f);
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(n + 2.f));
  return x * (n * r);
#else
  const float e = expf(xc);
  const float n = e * (e + 2.f);
  return x * (n / (n + 2.f));
#endif
}

// The one-exponential form with the exp and divide intrinsics (ex2.approx, div.approx): __expf's error grows with
// |x| (about 2 + 1.2|x| ulp), so relative error reaches ~1e-5 near the clamp. __fdividef is exact enough here
// because n + 2 < 2^126. Host version: expf and a plain division. With CM_MISH_FAST_FTZ defined, device code
// takes mish_fast_ftz instead (what the fused kernels compile).
CM_HD float mish_fast(float x) {
#if defined(__CUDA_ARCH__) && defined(CM_MISH_FAST_FTZ)
  return mish_fast_ftz(x);
#elif defined(__CUDA_ARCH__)
  const float xc = fminf(x, 20.f);
  float e = __expf(xc);
  float n = e * (e + 2.f);
  return x * __fdividef(n, n + 2.f);
#else
  return mish_fast_ftz(x);
#endif
}

// mish_fast_ftz plus the rounding error of t = x*log2(e) put back (three FMAs and a multiply more, 14 instructions,
// 2 MUFU): u = fma(x, L, -t) is that error exactly (L = log2(e) rounded to float), x * L_lo adds the part of log2(e)
// below float, and e = 2^t * (1 + ln2 (u + x L_lo)) to first order, which is all it needs since |u| <= 2^-17 for
// -100 <= x <= 20 (the second-order term is ~1e-11). What is left is ex2.approx's own error (~2 ulp), rcp.approx's
// (1 ulp) and five roundings: as accurate as the precise form for every x >= -87.3 (`tuner survey`). Below, e^x is
// denormal and flushed, and the result is -0 where |mish| < 1e-36 (see mish_fast_ftz). The host twin runs the same
// split on exp2f, so that the CPU tests check the constants.
CM_HD float mish_fast_accurate(float x) {
  // Clamped below too: for x < -2.4e38, t would overflow to -inf and u = +inf, e = 0 * inf = NaN. At -100 the
  // exponential is already flushed to 0, so the result stays x * 0 = -0 as for every x < -87.3.
  const float xc = fmaxf(fminf(x, 20.f), -100.f);
  const float t = xc * 1.4426950408889634f;
  const float u = fmaf(xc, 1.4426950408889634f, -t);
  const float v = fmaf(u, 0.6931471805599453f, xc * 1.3349758e-8f);  // ln2 * (u + x * 1.9259630e-8)
#if defined(__CUDA_ARCH__)
  float e, r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(e) : "f"(t));
  e = fmaf(e, v, e);
  const float n = e * (e + 2.f);
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(n + 2.f));
  return x * (n * r);
#else
  float e = exp2f(t);
  e = fmaf(e, v, e);
  const float n = e * (e + 2.f);
  return x * (n / (n + 2.f));
#endif
}

// tanh.approx.f32 (one MUFU op, max relative error about 2^-11 by the PTX ISA, ~1.1e-5 measured) applied to a
// softplus from __expf/__logf; below x = -5 softplus is taken as e - e^2/2 + e^3/3 (log1p's series, relative error
// under 1e-7 there), which keeps the result near tanh.approx's own 1e-5 instead of the 1e-3 that log(1 + e) in
// float would give further down; just above -5, log(1 + e) in float still loses up to ~1e-5 relative. Host: tanhf, expf, logf.
CM_HD float mish_tanh_approx(float x) {
#if defined(__CUDA_ARCH__)
  float e = __expf(fminf(x, 20.f));
  float sp = x > 20.f ? x : (x < -5.f ? e * (1.f - e * (0.5f - e * (1.f / 3.f))) : __logf(1.f + e));
  float t;
  asm("tanh.approx.f32 %0, %1;" : "=f"(t) : "f"(sp));
  return x * t;
#else
  float e = expf(fminf(x, 20.f));
  float sp = x > 20.f ? x : (x < -5.f ? e * (1.f - e * (0.5f - e * (1.f / 3.f))) : logf(1.f + e));
  return x * tanhf(sp);
#endif
}

template <int Form>
CM_HD float mish(float x) {
  if constexpr (Form == CM_MISH_PRECISE) return mish_precise(x);
  else if constexpr (Form == CM_MISH_ONEEXP) return mish_oneexp(x);
  else if constexpr (Form == CM_MISH_FAST) return mish_fast(x);
  else if constexpr (Form == CM_MISH_FAST_ACCURATE) return mish_fast_accurate(x);
  else return mish_tanh_approx(x);
}

// Mish after a first Mish: every input is >= min mish = -0.30884, where |x log2(e)| < 0.45 or e^x is large enough
// that the factor n / (n + 2) hardly depends on it, so the argument split of fast_accurate changes its result by
// well under an ulp; it takes the plain fast form there. Other forms apply themselves again.
template <int Form>
CM_HD float mish_again(float x) {
  if constexpr (Form == CM_MISH_FAST_ACCURATE) return mish_fast_ftz(x);
  else return mish<Form>(x);
}

// `count` applications: mish<Form> first, then mish_again<Form> (unrolled where count is a constant).
template <int Form>
CM_HD float mish_repeat(float x, int count) {
  if (count >= 1) x = mish<Form>(x);
  for (int i = 1; i < count; ++i) x = mish_again<Form>(x);
  return x;
}

#if !defined(__CUDACC_RTC__)
// Host side: a form's name, and the precision class it gives an otherwise fp32-exact kernel: "fp32" for the forms
// accurate to a few ulp for x >= -87.3 (precise, oneexp, fast_accurate), "fp32_fastmath" for
// fast (~1e-6 relative for x in [-20, -5], up to ~1e-5 further down) and tanh_approx (~2e-5). Tolerances:
// tuner/tolerance.cpp; the survey's measurements: README.
inline constexpr const char* mish_form_name(int form) {
  switch (form) {
    case CM_MISH_PRECISE: return "precise";
    case CM_MISH_ONEEXP: return "oneexp";
    case CM_MISH_FAST: return "fast";
    case CM_MISH_TANH_APPROX: return "tanh_approx";
    case CM_MISH_FAST_ACCURATE: return "fast_accurate";
    default: return "unknown";
  }
}
inline constexpr bool mish_form_is_fp32(int form) {
  return form == CM_MISH_PRECISE || form == CM_MISH_ONEEXP || form == CM_MISH_FAST_ACCURATE;
}
#endif

// Reference in double: accurate to ~1 ulp of double for every finite input (same overflow reasoning as above).
CM_HD double mish_ref(double x) { return x * tanh(log1p(exp(x))); }

}  // namespace cm
