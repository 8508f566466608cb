#include <gtest/gtest.h>

#include "tuner/check.hpp"
#include "tuner/problem.hpp"

using namespace convmish;

TEST(Problem, SeedPresetMatchesTheWorkload) {
  const Problem p = parse_problem("seed");
  EXPECT_EQ(p.P(), 254);
  EXPECT_EQ(p.Q(), 254);
  EXPECT_EQ(p.y_elems(), 64LL * 128 * 254 * 254);
  // ANCHORS.md: 608.85 GFLOP, 3.19 GB minimal traffic.
  EXPECT_NEAR(p.flops() / 1e9, 608.85, 0.01);
  EXPECT_NEAR(p.min_bytes() / 1e9, 3.19, 0.01);
  EXPECT_EQ(p.mish_count, 2);
  EXPECT_TRUE(p.bias);
}

TEST(Problem, KbV0PresetIsKernelBenchsOriginalShape) {
  const Problem p = parse_problem("kb_v0");
  EXPECT_EQ(p.N, 128);
  EXPECT_EQ(p.C, 3);
  EXPECT_EQ(p.K, 16);
  EXPECT_EQ(p.P(), 30);
}

TEST(Problem, ParsesShapeWithStrideAndPadding) {
  const Problem p = parse_problem("2,3,17,19,5,3,3,2,1");
  EXPECT_EQ(p.P(), (17 + 2 - 3) / 2 + 1);
  EXPECT_EQ(p.Q(), (19 + 2 - 3) / 2 + 1);
  EXPECT_DOUBLE_EQ(p.flops(), 2.0 * 2 * 5 * p.P() * p.Q() * 3 * 9);
  EXPECT_DOUBLE_EQ(p.min_bytes(), 4.0 * (2 * 3 * 17 * 19 + 5 * 3 * 9 + 5 + 2 * 5 * p.P() * p.Q()));
}

TEST(Problem, SixNumbersMeanSquareFilter) {
  const Problem p = parse_problem("1,2,8,9,4,5");
  EXPECT_EQ(p.S, 5);
  EXPECT_EQ(p.Q(), 5);
}

TEST(Problem, RejectsBadShapesWithAReason) {
  EXPECT_THROW(parse_problem("0,3,8,8,4,3"), UsageError);
  EXPECT_THROW(parse_problem("1,-3,8,8,4,3"), UsageError);
  EXPECT_THROW(parse_problem("1,3,2,8,4,3"), UsageError);  // empty output
  EXPECT_THROW(parse_problem("1,3,8,8"), UsageError);
  EXPECT_THROW(parse_problem("1,3,8x,8,4,3"), UsageError);
  EXPECT_THROW(parse_problem("huge"), UsageError);
  EXPECT_THROW(parse_problem("100000,1000,100000,100000,4,3"), UsageError);  // beyond 2^31-1 elements
  try {
    parse_problem("1,3,2,8,4,3");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("empty output"), std::string::npos) << e.what();
  }
}

TEST(Problem, ArgsCarryTheShapeAndDropBiasWhenAbsent) {
  Problem p = parse_problem("small");
  float x, w, b, y;
  ConvMishArgs a = p.args(&x, &w, &b, &y);
  EXPECT_EQ(a.P, p.P());
  EXPECT_EQ(a.b, &b);
  p.bias = false;
  EXPECT_EQ(p.args(&x, &w, &b, &y).b, nullptr);
}
