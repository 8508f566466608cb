// Mish forms, mish(x) = x * tanh(softplus(x)), as __host__ __device__ functions with one signature, picked at
// compile time by mish<FORM>(x) (FORM: kMishPrecise 0, kMishOneExp 1, kMishFast 2, kMishTanhApprox 3).
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

// The one-exponential form with the exp and divide intrinsics (ex2.approx, div.approx): __expf's error grows with
// |x| (about 2 + 1.2|x| ulp), so relative error reaches ~1e-5 near the clamp. __fdividef is exact enough here
// because n + 2 < 2^126. Host version: expf and a plain division.
CM_HD float mish_fast(float x) {
  float xc = fminf(x, 20.f);
#if defined(__CUDA_ARCH__) && defined(CM_MISH_FAST_FTZ)
  // The same formula on the approximate instructions with denormals flushed (9 instructions, 2 MUFU): without
  // FTZ each MUFU comes with a range check and rescaling. Outputs that would be denormal (x < -87) become 0.
  float e, r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(e) : "f"(xc * 1.4426950408889634f));
  const float n = e * (e + 2.f);
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(n + 2.f));
  return x * (n * r);
#elif defined(__CUDA_ARCH__)
  float e = __expf(xc);
  float n = e * (e + 2.f);
  return x * __fdividef(n, n + 2.f);
#else
  float e = expf(xc);
  float n = e * (e + 2.f);
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
  else return mish_tanh_approx(x);
}

// Reference in double: accurate to ~1 ulp of double for every finite input (same overflow reasoning as above).
CM_HD double mish_ref(double x) { return x * tanh(log1p(exp(x))); }

}  // namespace cm
