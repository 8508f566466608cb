#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/cli.hpp"
#include "reports/compare.hpp"
#include "reports/stats.hpp"
#include "tuner/check.hpp"
#include "tuner/problem.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

constexpr const char* kH100 = "NVIDIA H100 80GB HBM3";

// n deterministic samples spread evenly (golden-ratio sequence) over centre * [1 - spread, 1 + spread].
std::vector<double> samples(double centre, double spread, int n, double phase = 0.1) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) {
    const double f = std::fmod(phase + i * 0.6180339887498949, 1.0);
    v.push_back(centre * (1 + spread * (2 * f - 1)));
  }
  return v;
}

Record record(int block, const std::vector<double>& times, Status status = Status::kOk, std::string reason = "") {
  Record r;
  r.variant = "fused.tiled";
  r.params = {{"block", block}};
  r.precision = "fp32";
  r.status = status;
  r.reason = std::move(reason);
  if (status == Status::kOk) r.timing = summarize(times);
  return r;
}

ResultsFile results(std::vector<Record> records, const std::string& gpu = kH100, const std::string& problem = "small") {
  return {nlohmann::json{{"device", {{"name", gpu}}}, {"problem", parse_problem(problem)}, {"git_commit", "abc"}},
          std::move(records)};
}

const Row& row(const Comparison& c, const std::string& name) {
  for (const Row& r : c.rows)
    if (r.name == name) return r;
  throw std::runtime_error("no row " + name);
}

fs::path write(const std::string& name, const ResultsFile& f) {
  const fs::path path = fs::temp_directory_path() / ("convmish_compare_" + name + ".json");
  ResultsWriter w(path, f.meta);
  for (const Record& r : f.records) w.add(r);
  return path;
}

int exit_code(const fs::path& baseline, const fs::path& candidate, std::string* err = nullptr) {
  std::ostringstream out, e;
  const int rc = run_compare(baseline, candidate, {}, {}, out, e);
  if (err) *err = e.str();
  return rc;
}

}  // namespace

TEST(Stats, HolmAdjustsInInputOrder) {
  const auto adj = holm_adjust({0.01, 0.04, 0.03});
  EXPECT_DOUBLE_EQ(adj[0], 0.03);  // 3 * 0.01
  EXPECT_DOUBLE_EQ(adj[2], 0.06);  // 2 * 0.03
  EXPECT_DOUBLE_EQ(adj[1], 0.06);  // max(1 * 0.04, 0.06): monotone
}

TEST(Stats, ShiftIntervalCoversAKnownShift) {
  const auto x = samples(1.0, 0.2, 30), y = samples(11.0, 0.2 / 11, 30, 0.7);  // y = x + 10 in distribution
  const Interval ci = shift_interval(x, y, 0.05);
  EXPECT_LT(ci.lo, 10.0);
  EXPECT_GT(ci.hi, 10.0);
  EXPECT_GT(ci.lo, 9.8);
  EXPECT_LT(ci.hi, 10.2);
  EXPECT_NEAR(normal_isf(0.025), 1.959964, 1e-5);
}

TEST(Stats, MannWhitneySeesAClearShiftAndNotAnAbsentOne) {
  const auto x = samples(1.0, 0.05, 20), y = samples(1.2, 0.05, 20, 0.5);
  EXPECT_LT(mann_whitney_p(x, y, 0.0, true), 1e-6);
  EXPECT_GT(mann_whitney_p(x, y, 0.0, false), 0.99);
  EXPECT_GT(mann_whitney_p(x, x, 0.0, true), 0.4);
  EXPECT_DOUBLE_EQ(mann_whitney_p({1, 1, 1}, {1, 1, 1}, 0.0, true), 1.0);  // all tied: no evidence
}

TEST(Compare, IdenticalRunsAreAllSameAndExitZero) {
  const ResultsFile f = results({record(64, samples(2.0, 0.01, 50)), record(128, samples(1.0, 0.02, 40)),
                                 record(256, samples(0.5, 0.005, 30))});
  const Comparison c = compare(f, f);
  EXPECT_EQ(c.count(Change::kSame), 3);
  EXPECT_FALSE(c.regressed());
  EXPECT_EQ(c.hypotheses, 6);
  EXPECT_EQ(exit_code(write("same_a", f), write("same_b", f)), kExitOk);
}

TEST(Compare, TenPercentSlowerWithLowNoiseIsSlowerAndExitsOne) {
  const ResultsFile b = results({record(64, samples(1.0, 0.005, 50))});
  const ResultsFile c = results({record(64, samples(1.1, 0.005, 50, 0.6))});
  const Row r = row(compare(b, c), "fused.tiled/block:64");
  EXPECT_EQ(r.change, Change::kSlower);
  EXPECT_NEAR(r.ratio, 1.1, 0.005);
  EXPECT_GT(r.ci_lo, 1.03);
  EXPECT_LE(r.p_slower, 0.05);
  EXPECT_EQ(exit_code(write("slow_a", b), write("slow_b", c)), kExitRegression);
  // The other way round it is faster, which is no regression.
  EXPECT_EQ(row(compare(c, b), "fused.tiled/block:64").change, Change::kFaster);
  EXPECT_EQ(exit_code(write("slow_b", c), write("slow_a", b)), kExitOk);
}

TEST(Compare, OnePercentSlowerWithinNoiseIsSame) {
  const ResultsFile b = results({record(64, samples(1.0, 0.02, 100))});
  const ResultsFile c = results({record(64, samples(1.01, 0.02, 100, 0.4))});
  const Row r = row(compare(b, c), "fused.tiled/block:64");
  EXPECT_EQ(r.change, Change::kSame);
  EXPECT_GT(r.ratio, 1.0);
  EXPECT_GE(r.ci_lo, 0.97);
  EXPECT_LE(r.ci_hi, 1.03);
}

TEST(Compare, NoisyOverlappingSamplesAreUnknown) {
  const ResultsFile b = results({record(64, samples(1.0, 0.3, 30))});
  const ResultsFile c = results({record(64, samples(1.05, 0.3, 30, 0.55))});
  const Comparison cmp = compare(b, c);
  const Row& r = row(cmp, "fused.tiled/block:64");
  EXPECT_EQ(r.change, Change::kUnknown);
  EXPECT_LT(r.ci_lo, 1.03);
  EXPECT_GT(r.ci_hi, 1.03);
  EXPECT_NE(r.note.find("straddles"), std::string::npos);
  EXPECT_FALSE(cmp.regressed());
}

TEST(Compare, TooFewSamplesAreUnknown) {
  const Row r = row(compare(results({record(64, samples(1.0, 0.01, 5))}), results({record(64, samples(2.0, 0.01, 5))})),
                     "fused.tiled/block:64");
  EXPECT_EQ(r.change, Change::kUnknown);
  EXPECT_NE(r.note.find("too few samples"), std::string::npos);
}

TEST(Compare, ValidatedThenIncorrectIsARegression) {
  const ResultsFile b = results({record(64, samples(1.0, 0.01, 20))});
  const ResultsFile c = results({record(64, {}, Status::kIncorrect, "rel_l2 3e-3 > 2e-6")});
  const Comparison cmp = compare(b, c);
  const Row& r = row(cmp, "fused.tiled/block:64");
  EXPECT_EQ(r.change, Change::kNowIncorrect);
  EXPECT_NE(r.note.find("rel_l2 3e-3"), std::string::npos);
  EXPECT_TRUE(cmp.regressed());
  EXPECT_EQ(exit_code(write("inc_a", b), write("inc_b", c)), kExitRegression);
}

TEST(Compare, OtherStatusChangesAreNamed) {
  const ResultsFile b = results({record(64, {}, Status::kIncorrect), record(128, samples(1, 0.01, 20)),
                                 record(256, samples(1, 0.01, 20)), record(512, {}, Status::kTimeout)});
  const ResultsFile c = results({record(64, samples(1, 0.01, 20)), record(128, {}, Status::kUnsupported),
                                 record(256, {}, Status::kCompileError, "ptxas"), record(512, {}, Status::kTimeout)});
  const Comparison cmp = compare(b, c);
  EXPECT_EQ(row(cmp, "fused.tiled/block:64").change, Change::kFixed);
  EXPECT_EQ(row(cmp, "fused.tiled/block:128").change, Change::kNowUnsupported);
  EXPECT_EQ(row(cmp, "fused.tiled/block:256").change, Change::kNowFailing);
  EXPECT_EQ(row(cmp, "fused.tiled/block:512").change, Change::kNotTimed);
  EXPECT_TRUE(cmp.regressed());  // the compile error
  EXPECT_TRUE(is_regression(Change::kNowFailing));
  EXPECT_FALSE(is_regression(Change::kNowUnsupported));
}

TEST(Compare, NewAndMissingConfigurationsAreListed) {
  const Comparison cmp = compare(results({record(64, samples(1, 0.01, 20)), record(128, samples(1, 0.01, 20))}),
                                 results({record(64, samples(1, 0.01, 20)), record(256, samples(1, 0.01, 20))}));
  EXPECT_EQ(row(cmp, "fused.tiled/block:128").change, Change::kMissing);
  EXPECT_EQ(row(cmp, "fused.tiled/block:256").change, Change::kNew);
  EXPECT_EQ(row(cmp, "fused.tiled/block:64").change, Change::kSame);
  EXPECT_FALSE(cmp.regressed());
}

TEST(Compare, RepeatedRunsArePooled) {
  const ResultsFile b = results({record(64, samples(1.0, 0.01, 20)), record(64, samples(1.0, 0.01, 20, 0.3))});
  const Row r = row(compare(b, b), "fused.tiled/block:64");
  ASSERT_TRUE(r.baseline);
  EXPECT_EQ(r.baseline->runs, 2);
  EXPECT_EQ(r.baseline->samples_ms.size(), 40u);
  EXPECT_EQ(r.change, Change::kSame);
}

TEST(Compare, DifferentGpuModelsThrowUnlessAllowed) {
  const ResultsFile b = results({record(64, samples(1, 0.01, 20))});
  const ResultsFile c = results({record(64, samples(1, 0.01, 20))}, "NVIDIA A100-SXM4-80GB");
  try {
    compare(b, c);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("NVIDIA A100-SXM4-80GB"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(kH100), std::string::npos);
  }
  const Comparison cmp = compare(b, c, {.allow_mismatch = true});
  EXPECT_EQ(cmp.warnings.size(), 1u);
  EXPECT_EQ(row(cmp, "fused.tiled/block:64").change, Change::kSame);
  EXPECT_THROW(compare(b, results(c.records, kH100, "seed")), UsageError);  // different problem
}

TEST(Compare, HolmCorrectionMakesABorderlineResultAmongManyNotSignificant) {
  // Alone, a 10% slowdown seen in 12 noisy samples a side is significant; among 31 configurations it is not.
  std::vector<Record> b = {record(64, samples(1.0, 0.1, 12))}, c = {record(64, samples(1.1, 0.1, 12, 0.7))};
  const Row alone = row(compare(results(b), results(c)), "fused.tiled/block:64");
  EXPECT_EQ(alone.change, Change::kSlower);
  for (int i = 0; i < 30; ++i) {
    b.push_back(record(1000 + i, samples(1.0, 0.01, 12)));
    c.push_back(record(1000 + i, samples(1.0, 0.01, 12)));
  }
  const Comparison many = compare(results(b), results(c));
  const Row& r = row(many, "fused.tiled/block:64");
  EXPECT_EQ(many.hypotheses, 62);
  EXPECT_GT(r.ci_lo, 1.03);  // the uncorrected interval still clears the threshold ...
  EXPECT_GT(r.p_slower, 0.05);  // ... but not the family-wise test
  EXPECT_EQ(r.change, Change::kUnknown);
  EXPECT_FALSE(many.regressed());
}

TEST(Compare, NonPositiveSamplesAndBadOptionsAreUsageErrors) {
  const ResultsFile ok = results({record(64, samples(1, 0.01, 20))});
  EXPECT_THROW(compare(ok, results({record(64, {1.0, 0.0, 1.0})})), UsageError);
  EXPECT_THROW(compare(ok, ok, {.threshold = 0}), UsageError);
  EXPECT_THROW(compare(ok, ok, {.alpha = 1.5}), UsageError);
}

TEST(CompareCli, BadInputExitsTwoWithOneLine) {
  const fs::path good = write("cli_good", results({record(64, samples(1, 0.01, 20))}));
  const fs::path dir = fs::temp_directory_path();
  std::ifstream in(good);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "convmish_compare_truncated.json") << text.substr(0, text.size() / 2);
  std::ofstream(dir / "convmish_compare_malformed.json") << "{ this is not json";
  nlohmann::json v2 = nlohmann::json::parse(text);
  v2["schema_version"] = 2;
  std::ofstream(dir / "convmish_compare_v2.json") << v2.dump();
  const fs::path a100 = write("cli_a100", results({record(64, samples(1, 0.01, 20))}, "NVIDIA A100-SXM4-80GB"));
  for (const fs::path bad : {dir / "convmish_compare_truncated.json", dir / "convmish_compare_malformed.json",
                             dir / "convmish_compare_v2.json", dir / "convmish_compare_does_not_exist.json", a100}) {
    std::string err;
    EXPECT_EQ(exit_code(good, bad, &err), kExitBadInput) << bad;
    EXPECT_EQ(err.rfind("compare: ", 0), 0u) << err;
    EXPECT_EQ(err.find('\n'), err.size() - 1) << err;  // one line
  }
  EXPECT_EQ(exit_code(good, good), kExitOk);
}

TEST(CompareCli, WritesMarkdownWhenAsked) {
  const ResultsFile b = results({record(64, samples(1.0, 0.005, 50))});
  const ResultsFile c = results({record(64, samples(1.1, 0.005, 50, 0.6))});
  const fs::path md = fs::temp_directory_path() / "convmish_compare.md";
  std::ostringstream out, err;
  EXPECT_EQ(run_compare(write("md_a", b), write("md_b", c), {}, md, out, err), kExitRegression);
  EXPECT_NE(out.str().find("REGRESSION"), std::string::npos);
  std::ifstream in(md);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("## Performance comparison"), std::string::npos);
  EXPECT_NE(text.find("| fused.tiled/block:64 |"), std::string::npos);
  EXPECT_NE(text.find("slower"), std::string::npos);
}
