// The gate's error rates on synthetic sweeps drawn with the noise measured on the H100 (0.03-0.3 % relative
// standard deviation within a run; the upper end is used here, plus 1 % of samples as +5 % outliers): a 5 %
// slowdown of one configuration among 200 must be flagged in >= 99 % of trials, and an identical rerun of all
// 200 must flag no regression in >= 99 % of trials. Both rates are printed.
#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "reports/compare.hpp"
#include "tuner/problem.hpp"

using namespace convmish;

namespace {

constexpr int kConfigs = 200, kTrials = 100, kSamples = 50;
constexpr double kNoise = 0.003;

struct Sweep {
  std::mt19937_64 rng;
  explicit Sweep(uint64_t seed) : rng(seed) {}
  std::vector<double> draw(double centre) {
    std::normal_distribution<double> noise(0.0, kNoise);
    std::bernoulli_distribution outlier(0.01);
    std::vector<double> v(kSamples);
    for (auto& x : v) x = centre * (1 + noise(rng)) * (outlier(rng) ? 1.05 : 1.0);
    return v;
  }
  // One run of the sweep; configuration `slowed` (or none, -1) is `factor` times slower.
  ResultsFile run(const std::vector<double>& centres, int slowed = -1, double factor = 1.0) {
    ResultsFile f{nlohmann::json{{"device", {{"name", "NVIDIA H100 80GB HBM3"}}}, {"problem", parse_problem("seed")}},
                  {}};
    for (int i = 0; i < kConfigs; ++i) {
      Record r;
      r.id = i;
      r.variant = "fused.synthetic";
      r.params = {{"config", i}};
      r.precision = "fp32";
      r.status = Status::kOk;
      r.timing = summarize(draw(centres[size_t(i)] * (i == slowed ? factor : 1.0)));
      f.records.push_back(std::move(r));
    }
    return f;
  }
};

}  // namespace

TEST(ComparePower, FlagsAFivePercentSlowdownAndStaysQuietOnIdenticalReruns) {
  Sweep s(2026);
  std::uniform_real_distribution<double> centre(0.05, 20.0);  // ms, the spread of the suite's kernels
  std::vector<double> centres(kConfigs);
  for (auto& c : centres) c = centre(s.rng);
  int detected = 0, quiet_reruns = 0, false_alarms_beside_slowdown = 0;
  std::uniform_int_distribution<int> pick(0, kConfigs - 1);
  for (int t = 0; t < kTrials; ++t) {
    const ResultsFile base = s.run(centres);
    const int slowed = pick(s.rng);
    const Comparison slow = compare(base, s.run(centres, slowed, 1.05));
    for (const Row& r : slow.rows) {
      const bool is_slowed = r.name == "fused.synthetic/config:" + std::to_string(slowed);
      if (is_slowed && r.change == Change::kSlower) ++detected;
      if (!is_slowed && is_regression(r.change)) ++false_alarms_beside_slowdown;
    }
    if (!compare(base, s.run(centres)).regressed()) ++quiet_reruns;
  }
  const double detect_rate = double(detected) / kTrials, quiet_rate = double(quiet_reruns) / kTrials;
  std::cout << "[ gate     ] " << kConfigs << " configurations, " << kSamples << " samples each, noise "
            << 100 * kNoise << " %: 5 % slowdown flagged in " << 100 * detect_rate
            << " % of trials; identical reruns without a regression in " << 100 * quiet_rate
            << " %; false alarms beside the slowdown: " << false_alarms_beside_slowdown << "\n";
  RecordProperty("detect_rate", std::to_string(detect_rate));
  RecordProperty("quiet_rate", std::to_string(quiet_rate));
  EXPECT_GE(detect_rate, 0.99);
  EXPECT_GE(quiet_rate, 0.99);
  EXPECT_EQ(false_alarms_beside_slowdown, 0);
}

TEST(ComparePower, ASpeedupIsNeverARegression) {
  Sweep s(7);
  std::vector<double> centres(kConfigs, 3.0);
  const Comparison c = compare(s.run(centres), s.run(centres, 17, 0.9));
  EXPECT_FALSE(c.regressed());
  for (const Row& r : c.rows)
    if (r.name == "fused.synthetic/config:17") EXPECT_EQ(r.change, Change::kFaster);
}
