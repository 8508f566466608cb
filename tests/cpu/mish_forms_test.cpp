// Host versions of the Mish forms against the double reference on a dense grid.
#include <gtest/gtest.h>

#include <cmath>

#include "mish.cuh"

namespace {
// Max relative error (absolute below `abs_floor` in magnitude) of f over [lo, hi] in `steps` points.
template <typename F>
double max_err(F f, double lo, double hi, int steps, double abs_floor = 1e-30) {
  double worst = 0;
  for (int i = 0; i <= steps; ++i) {
    const float x = float(lo + (hi - lo) * i / steps);
    const double ref = cm::mish_ref(double(x));
    const double got = f(x);
    EXPECT_TRUE(std::isfinite(got)) << "x=" << x;
    const double err = std::abs(got - ref) / std::max(std::abs(ref), abs_floor);
    worst = std::max(worst, err);
  }
  return worst;
}
}  // namespace

TEST(MishForms, PreciseIsAccurateEverywhere) {
  EXPECT_LT(max_err(cm::mish_precise, -80, 80, 200000), 1e-6);
  EXPECT_EQ(cm::mish_precise(1e30f), 1e30f);
  EXPECT_EQ(cm::mish_precise(0.f), 0.f);
}

TEST(MishForms, OneExponentialIsAccurateEverywhere) {
  EXPECT_LT(max_err(cm::mish_oneexp, -80, 80, 200000), 1e-6);
  EXPECT_EQ(cm::mish_oneexp(3e38f), 3e38f);  // clamp: no inf/inf
  EXPECT_FALSE(std::isnan(cm::mish_oneexp(-1e30f)));
}

TEST(MishForms, FastAndTanhApproxHostVersionsMatchTheirFormula) {
  // On the host the intrinsics fall back to libm, so these bound the formula, not the intrinsics (the GPU
  // accuracy survey measures those).
  EXPECT_LT(max_err(cm::mish_fast, -80, 80, 200000), 1e-6);
  // log(1 + e) in float just above the -5 branch point loses up to ~1e-5 relative (documented in mish.cuh).
  EXPECT_LT(max_err(cm::mish_tanh_approx, -80, 80, 200000), 1.2e-5);
}

TEST(MishForms, TemplateDispatchPicksTheForm) {
  EXPECT_EQ(cm::mish<CM_MISH_PRECISE>(0.7f), cm::mish_precise(0.7f));
  EXPECT_EQ(cm::mish<CM_MISH_ONEEXP>(0.7f), cm::mish_oneexp(0.7f));
  EXPECT_EQ(cm::mish<CM_MISH_FAST>(0.7f), cm::mish_fast(0.7f));
  EXPECT_EQ(cm::mish<CM_MISH_TANH_APPROX>(0.7f), cm::mish_tanh_approx(0.7f));
}

TEST(MishForms, NaNPropagates) {
  EXPECT_TRUE(std::isnan(cm::mish_precise(NAN)));
  EXPECT_TRUE(std::isnan(cm::mish_oneexp(NAN)));
}

TEST(MishForms, FastAccurateHostVersionAndChaining) {
  // The host twin runs the same argument split on exp2f (the device's ex2.approx is measured by the survey):
  // it checks the constants (a float32 model: 3.2e-7 with the correction, 3.9e-6 without, on [-87, -5]).
  EXPECT_LT(max_err(cm::mish_fast_accurate, -80, 80, 200000), 1e-6);
  EXPECT_LT(max_err(cm::mish_fast_accurate, -87, -5, 200000), 5e-7);  // uncorrected: 3.9e-6
  EXPECT_LT(max_err(cm::mish_fast_ftz, -87, -5, 200000), 1e-6);  // expf on the host: exact argument handling
  EXPECT_FALSE(std::isnan(cm::mish_fast_accurate(-3e38f)));
  EXPECT_EQ(cm::mish<CM_MISH_FAST_ACCURATE>(0.7f), cm::mish_fast_accurate(0.7f));
  // mish_repeat: the first application in the form itself, later ones through mish_again.
  for (float x : {-9.f, -0.5f, 0.f, 0.3f, 4.f}) {
    EXPECT_EQ(cm::mish_repeat<CM_MISH_FAST_ACCURATE>(x, 2), cm::mish_fast_ftz(cm::mish_fast_accurate(x)));
    EXPECT_EQ(cm::mish_repeat<CM_MISH_PRECISE>(x, 3), cm::mish_precise(cm::mish_precise(cm::mish_precise(x))));
    EXPECT_EQ(cm::mish_repeat<CM_MISH_FAST>(x, 0), x);
  }
}

TEST(MishForms, PrecisionClassPerForm) {
  EXPECT_TRUE(cm::mish_form_is_fp32(CM_MISH_PRECISE));
  EXPECT_TRUE(cm::mish_form_is_fp32(CM_MISH_ONEEXP));
  EXPECT_TRUE(cm::mish_form_is_fp32(CM_MISH_FAST_ACCURATE));
  EXPECT_FALSE(cm::mish_form_is_fp32(CM_MISH_FAST));
  EXPECT_FALSE(cm::mish_form_is_fp32(CM_MISH_TANH_APPROX));
  EXPECT_STREQ(cm::mish_form_name(CM_MISH_FAST_ACCURATE), "fast_accurate");
  EXPECT_STREQ(cm::mish_form_name(9), "unknown");
}
