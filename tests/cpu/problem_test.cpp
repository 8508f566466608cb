#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <tuple>

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

// --x-range and --w-scale: the validation inputs' magnitudes. Written to the JSON only when not torch.rand's
// default (so earlier files read and compare the same), read back exactly, part of the problem's identity; bad ranges
// are refused with the reason, on the command line and in a file.
TEST(Problem, InputRangeRoundTripsOnlyWhenSetAndRefusesBadValues) {
  Problem p = parse_problem("small");
  nlohmann::json j = p;
  EXPECT_FALSE(j.contains("inputs"));
  EXPECT_TRUE(j.get<Problem>() == p);
  std::tie(p.x_lo, p.x_hi) = parse_range("-3e4,3e4");
  p.w_scale = 0.25;
  EXPECT_NO_THROW(p.validate());
  j = p;
  ASSERT_TRUE(j.contains("inputs"));
  EXPECT_EQ(j.at("inputs").at("x_range"), nlohmann::json::array({-3e4, 3e4}));
  const Problem back = j.get<Problem>();
  EXPECT_TRUE(back == p);
  EXPECT_EQ(back.w_scale, 0.25);
  EXPECT_FALSE(back == parse_problem("small")) << "the inputs are part of the problem";
  EXPECT_DOUBLE_EQ(back.input_magnitude(), 3e4 * 0.25);
  EXPECT_DOUBLE_EQ(parse_problem("small").input_magnitude(), 1.0);
  for (const char* bad : {"1", "1,1", "2,1", "a,1", "0,inf", "0,nan", "0,1x", ""}) {
    try {
      parse_range(bad);
      ADD_FAILURE() << "'" << bad << "' accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("range"), std::string::npos) << e.what();
    }
  }
  Problem q = parse_problem("small");
  q.w_scale = 0;
  EXPECT_THROW(q.validate(), UsageError);
  q.w_scale = 1, q.x_lo = -3e38, q.x_hi = 3e38;  // the span overflows float
  EXPECT_THROW(q.validate(), UsageError);
  j = parse_problem("small");
  j["inputs"] = {{"x_range", {1.0}}, {"w_scale", 1.0}};
  EXPECT_THROW(j.get<Problem>(), nlohmann::json::exception);
  j["inputs"] = {{"x_range", {2.0, 1.0}}, {"w_scale", 1.0}};
  EXPECT_THROW(j.get<Problem>(), nlohmann::json::exception) << "validated as the command line is";
}
