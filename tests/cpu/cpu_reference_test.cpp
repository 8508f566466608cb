#include <gtest/gtest.h>

#include <cmath>

#include "mish.cuh"
#include "tuner/problem.hpp"
#include "tuner/reference.hpp"

using namespace convmish;

TEST(MishRef, KnownValues) {
  EXPECT_EQ(cm::mish_ref(0.0), 0.0);
  EXPECT_NEAR(cm::mish_ref(1.0), 0.8650983882673103, 1e-15);
  EXPECT_NEAR(cm::mish_ref(-1.0), -0.30340146137410895, 1e-15);
  EXPECT_DOUBLE_EQ(cm::mish_ref(1000.0), 1000.0);  // exp overflows; tanh(inf) = 1
  EXPECT_NEAR(cm::mish_ref(-50.0), -50.0 * std::exp(-50.0), 1e-30);
}

TEST(CpuReference, OneByOneConvolutionIsAWeightedSumPlusBias) {
  Problem p = parse_problem("1,2,1,1,1,1");  // 1 image, 2 channels, 1x1 pixel, 1 output, 1x1 filter
  p.mish_count = 0;
  const auto y = cpu_reference(p, {2.0f, 3.0f}, {0.5f, -1.0f}, {0.25f});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_DOUBLE_EQ(y[0], 2.0 * 0.5 - 3.0 + 0.25);
}

TEST(CpuReference, ThreeByThreeOnAHandComputedImage) {
  // x = 1..16 in a 4x4 image, w = all ones except centre 2: y[p][q] = sum of the 3x3 window + centre.
  Problem p = parse_problem("1,1,4,4,1,3");
  p.mish_count = 0;
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[size_t(i)] = float(i + 1);
  std::vector<float> w(9, 1.0f);
  w[4] = 2.0f;
  const auto y = cpu_reference(p, x, w, {0.0f});
  ASSERT_EQ(y.size(), 4u);
  // window at (0,0): 1+2+3+5+6+7+9+10+11 = 54, centre 6 -> 60
  EXPECT_DOUBLE_EQ(y[0], 60.0);
  EXPECT_DOUBLE_EQ(y[1], 60.0 + 9 + 1);  // window shifts right by 1: +9, centre 7
  EXPECT_DOUBLE_EQ(y[2], 60.0 + 36 + 4); // down by one row: +4 per element, centre 10
  EXPECT_DOUBLE_EQ(y[3], 60.0 + 45 + 5);
}

TEST(CpuReference, PaddingAndStrideSkipOutsideTaps) {
  Problem p = parse_problem("1,1,3,3,1,3,3,2,1");  // pad 1, stride 2 -> 2x2 output
  p.mish_count = 0;
  std::vector<float> x(9, 1.0f), w(9, 1.0f);
  const auto y = cpu_reference(p, x, w, {0.0f});
  ASSERT_EQ(y.size(), 4u);
  for (double v : y) EXPECT_DOUBLE_EQ(v, 4.0);  // each corner window sees 2x2 real pixels
}

TEST(CpuReference, AppliesMishTheRequestedNumberOfTimes) {
  Problem p = parse_problem("1,1,1,1,1,1");
  p.mish_count = 2;
  const auto y = cpu_reference(p, {1.0f}, {1.0f}, {0.0f});
  EXPECT_NEAR(y[0], cm::mish_ref(cm::mish_ref(1.0)), 1e-15);
  p.bias = false;
  EXPECT_NEAR(cpu_reference(p, {1.0f}, {1.0f}, {})[0], cm::mish_ref(cm::mish_ref(1.0)), 1e-15);
}
