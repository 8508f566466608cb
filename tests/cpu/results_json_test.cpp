#include <gtest/gtest.h>

#include <filesystem>
#include <cmath>
#include <fstream>

#include "tuner/check.hpp"
#include "tuner/problem.hpp"
#include "tuner/results.hpp"
#include "tuner/sweep.hpp"
#include "tuner/timer.hpp"
#include "tuner/build_info.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {
Record sample_record() {
  Record r;
  r.id = 3;
  r.variant = "fused.naive";
  r.params = {{"block", 128}};
  r.precision = "fp32";
  r.status = Status::kOk;
  Verdict v;
  v.pass = true;
  v.precision = "fp32";
  v.rel_l2 = 4.5e-7;
  v.max_abs = 1e-6;
  v.n = 1000;
  v.checks = 2;
  v.tol_rel_l2 = 2e-6;
  v.tol_atol = 1e-5;
  v.tol_rtol = 1e-5;
  r.verdict = v;
  r.timing = summarize({1.0, 1.2, 1.1, 0.9, 1.05});
  r.tflops = 12.5;
  r.gbps = 800;
  r.speedup = 1.7;
  r.details = {{"registers", 40}};
  return r;
}

fs::path temp_file(const std::string& name) { return fs::temp_directory_path() / ("convmish_test_" + name); }
}  // namespace

TEST(ResultsJson, RecordRoundTrips) {
  const Record r = sample_record();
  const Record back = nlohmann::json(r).get<Record>();
  EXPECT_EQ(back.id, r.id);
  EXPECT_EQ(back.name(), "fused.naive/block:128");
  EXPECT_EQ(back.status, Status::kOk);
  ASSERT_TRUE(back.verdict && back.timing);
  EXPECT_DOUBLE_EQ(back.verdict->rel_l2, 4.5e-7);
  EXPECT_EQ(back.verdict->checks, 2);
  EXPECT_DOUBLE_EQ(back.timing->median_ms, 1.05);
  EXPECT_EQ(back.timing->samples_ms.size(), 5u);
  EXPECT_DOUBLE_EQ(*back.speedup, 1.7);
  EXPECT_EQ(back.details["registers"], 40);
}

TEST(ResultsJson, WriterKeepsEveryRecordOnDiskAsItGoes) {
  const fs::path path = temp_file("writer.json");
  fs::remove(path);
  {
    ResultsWriter w(path, {{"suite", "convmish"}}, 3600.0);  // no timed rewrite during the test
    Record a = sample_record();
    w.add(a);
    Record b = sample_record();
    b.id = 4;
    b.status = Status::kIncorrect;
    b.timing.reset();
    w.add(b);
    // What is on disk now, as a crash at this point would leave it: the journal has both records.
    const ResultsFile j = read_journal(journal_path(path));
    ASSERT_EQ(j.records.size(), 2u);
    EXPECT_EQ(j.records[1].status, Status::kIncorrect);
    EXPECT_EQ(j.meta["suite"], "convmish");
    EXPECT_EQ(read_results(path).records.size(), 0u);  // the document was written at the start only
    w.flush();
    EXPECT_EQ(read_results(path).records.size(), 2u);
    w.add(a);
  }  // destruction rewrites the document
  const ResultsFile f = read_results(path);
  ASSERT_EQ(f.records.size(), 3u);
  const auto doc = nlohmann::json::parse(std::ifstream(path));
  EXPECT_EQ(doc["best"]["overall"]["id"], 3);
  EXPECT_EQ(doc["schema_version"], kSchemaVersion);
  fs::remove(path);
  fs::remove(journal_path(path));
}

TEST(ResultsJson, JournalSurvivesATruncatedLastLineAndRejectsForeignFiles) {
  const fs::path path = temp_file("journal.json");
  {
    ResultsWriter w(path, {{"suite", "convmish"}});
    w.add(sample_record());
  }
  std::ofstream(journal_path(path), std::ios::app) << "{\"id\": 9, \"variant\": \"fused.na";  // killed mid-write
  EXPECT_EQ(read_journal(journal_path(path)).records.size(), 1u);
  std::ofstream(journal_path(path)) << "{\"something\": \"else\"}\n";
  EXPECT_THROW(read_journal(journal_path(path)), UsageError);
  EXPECT_THROW(read_journal(temp_file("no_such.journal")), UsageError);
  fs::remove(path);
  fs::remove(journal_path(path));
}

TEST(ResultsJson, ReadRejectsMalformedTruncatedAndWrongVersion) {
  const fs::path path = temp_file("bad.json");
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  write("{\"schema\": \"convmish.results\", \"schema_version\": 1, \"records\": [");
  EXPECT_THROW(read_results(path), UsageError);
  write("[1, 2, 3]");
  EXPECT_THROW(read_results(path), UsageError);
  write("{\"schema\": \"convmish.results\", \"schema_version\": 99, \"meta\": {}, \"records\": []}");
  try {
    read_results(path);
    FAIL() << "version 99 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("99"), std::string::npos);
  }
  write("{\"schema\": \"convmish.results\", \"schema_version\": 1, \"meta\": {}, \"records\": [{\"id\": 1}]}");
  EXPECT_THROW(read_results(path), UsageError);
  EXPECT_THROW(read_results(temp_file("does_not_exist.json")), UsageError);
  fs::remove(path);
}

// The board's power over the sampling loop, energy per sample and what held the clocks down while it ran: kept
// through JSON, null without NVML, absent in files written before they existed, and a wrong type is an error that
// names the field.
TEST(TimingStats, PowerEnergyAndClockEventsRoundTripAndMayBeAbsent) {
  TimingStats t = summarize({2.5, 2.6, 2.4});
  t.sm_clock_end_mhz = 1605;
  t.power_w = 688.5;
  t.energy_mj_per_sample = 1821.25;
  t.clock_events = std::vector<std::string>{"sw_power_cap"};
  const nlohmann::json j = t;
  const TimingStats back = j.get<TimingStats>();
  ASSERT_TRUE(back.power_w && back.energy_mj_per_sample && back.clock_events);
  EXPECT_DOUBLE_EQ(*back.power_w, 688.5);
  EXPECT_DOUBLE_EQ(*back.energy_mj_per_sample, 1821.25);
  EXPECT_EQ(*back.clock_events, std::vector<std::string>{"sw_power_cap"});

  const nlohmann::json none = summarize({1.0});  // no NVML: written as null
  EXPECT_TRUE(none.at("power_w").is_null());
  EXPECT_TRUE(none.at("energy_mj_per_sample").is_null());
  EXPECT_TRUE(none.at("clock_events").is_null());
  const TimingStats from_null = none.get<TimingStats>();
  EXPECT_FALSE(from_null.power_w || from_null.energy_mj_per_sample || from_null.clock_events);

  nlohmann::json old = j;  // a file from before these fields
  for (const char* key : {"power_w", "energy_mj_per_sample", "clock_events"}) old.erase(key);
  const TimingStats from_old = old.get<TimingStats>();
  EXPECT_FALSE(from_old.power_w || from_old.energy_mj_per_sample || from_old.clock_events);

  auto refusal = [&](const char* key, const nlohmann::json& value) -> std::string {
    nlohmann::json bad = j;
    bad[key] = value;
    try {
      (void)bad.get<TimingStats>();
    } catch (const nlohmann::json::exception& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(refusal("power_w", "688 W"), "'power_w' must be a number, not a string");
  EXPECT_EQ(refusal("energy_mj_per_sample", nlohmann::json::array()),
            "'energy_mj_per_sample' must be a number, not an array");
  EXPECT_EQ(refusal("clock_events", "sw_power_cap"), "'clock_events' must be a list of strings, not a string");
  EXPECT_EQ(refusal("clock_events", {"sw_power_cap", 4}),
            "'clock_events' must be a list of strings, not a list with a non-string");
}

TEST(TimingStats, BoardNoteGivesClockPowerAndWhatHeldTheClocksDown) {
  TimingStats t = summarize({1.0});
  EXPECT_EQ(board_note(t), "");  // no NVML
  t.sm_clock_end_mhz = 1605;
  EXPECT_EQ(board_note(t), "  1605 MHz");
  t.power_w = 688.46;
  t.clock_events = std::vector<std::string>{"gpu_idle"};  // read just after the last sample: not news
  EXPECT_EQ(board_note(t), "  1605 MHz  688 W");
  t.clock_events = std::vector<std::string>{"gpu_idle", "sw_power_cap", "hw_slowdown"};
  EXPECT_EQ(board_note(t), "  1605 MHz  688 W  sw_power_cap,hw_slowdown");
}

TEST(TimingStats, SummaryOfKnownSamples) {
  const TimingStats t = summarize({4, 1, 3, 2, 5});
  EXPECT_DOUBLE_EQ(t.median_ms, 3);
  EXPECT_DOUBLE_EQ(t.min_ms, 1);
  EXPECT_DOUBLE_EQ(t.max_ms, 5);
  EXPECT_DOUBLE_EQ(t.mean_ms, 3);
  EXPECT_DOUBLE_EQ(t.q1_ms, 2);
  EXPECT_DOUBLE_EQ(t.q3_ms, 4);
  EXPECT_NEAR(t.stddev_ms, 1.5811388300841898, 1e-12);
  EXPECT_NEAR(t.rel_stddev, 1.5811388300841898 / 3, 1e-12);
  EXPECT_NEAR(t.noise, 1.5811388300841898 / 3 / std::sqrt(5.0), 1e-12);
  EXPECT_EQ(t.samples_ms.front(), 4);  // raw samples keep their order
}

TEST(Resume, KeepsTheJournalOfTheSameSweepAndRefusesAnother) {
  const fs::path path = temp_file("resume.json");
  fs::remove(journal_path(path));
  const Problem p = parse_problem("small");
  const TimerSettings timer;
  EXPECT_TRUE(resumable_records(path, p, {"GPU"}, timer, 1).empty());  // no journal: nothing to resume
  {
    nlohmann::json meta = {{"problem", p},           {"device", {{"name", "GPU"}}}, {"suite_version", CONVMISH_VERSION},
                           {"git_commit", CONVMISH_GIT_COMMIT}, {"timer", timer},          {"checks_per_config", 1}};
    ResultsWriter w(path, meta);
    Record r = sample_record();
    w.add(r);
    r.details["round"] = 1;
    w.add(r);
    Record base = sample_record();
    base.variant = "cudnn.eager";
    base.params = {{"tf32", 1}};
    w.add(base);
  }
  const auto prev = resumable_records(path, p, {"GPU"}, timer, 1);
  ASSERT_EQ(prev.size(), 2u);  // the baseline is timed afresh, never kept
  EXPECT_TRUE(prev.count(job_key("fused.naive/block:128", 0)));
  EXPECT_TRUE(prev.count(job_key("fused.naive/block:128", 1)));
  EXPECT_THROW(resumable_records(path, p, {"Another GPU"}, timer, 1), UsageError);
  EXPECT_THROW(resumable_records(path, parse_problem("seed"), {"GPU"}, timer, 1), UsageError);
  TimerSettings hot = timer;
  hot.cold = false;
  EXPECT_THROW(resumable_records(path, p, {"GPU"}, hot, 1), UsageError);
  EXPECT_THROW(resumable_records(path, p, {"GPU"}, timer, 3), UsageError);
  fs::remove(path);
  fs::remove(journal_path(path));
}

// checks_per_config comes from a user's journal: a float or a number out of int's range is a refusal naming the
// field, never a truncation (1.5 -> 1 would have resumed) or an out-of-range conversion (1e300).
TEST(Resume, RefusesAJournalWhoseChecksPerConfigIsNotAnIntInRange) {
  const fs::path path = temp_file("resume_checks.json");
  const Problem p = parse_problem("small");
  const TimerSettings timer;
  auto refusal = [&](const nlohmann::json& checks) {
    fs::remove(journal_path(path));
    {
      nlohmann::json meta = {{"problem", p}, {"device", {{"name", "GPU"}}}, {"suite_version", CONVMISH_VERSION},
                             {"git_commit", CONVMISH_GIT_COMMIT}, {"timer", timer}, {"checks_per_config", checks}};
      ResultsWriter w(path, meta);
      w.add(sample_record());
    }
    try {
      resumable_records(path, p, {"GPU"}, timer, 1);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("resumed");
  };
  EXPECT_EQ(refusal(1), "resumed");
  EXPECT_NE(refusal(1.5).find("'checks_per_config' must be an integer, not 1.5"), std::string::npos) << refusal(1.5);
  EXPECT_NE(refusal(1.0).find("'checks_per_config' must be an integer"), std::string::npos) << refusal(1.0);
  EXPECT_NE(refusal(1e300).find("'checks_per_config' must be an integer"), std::string::npos) << refusal(1e300);
  EXPECT_NE(refusal(4294967297LL).find("'checks_per_config' = 4294967297 is outside"), std::string::npos)
      << refusal(4294967297LL);
  EXPECT_NE(refusal(18446744073709551615ULL).find("out of range"), std::string::npos);
  EXPECT_NE(refusal("1").find("'checks_per_config' must be an integer, not a string"), std::string::npos);
  EXPECT_NE(refusal(nullptr).find("metadata is incomplete or malformed"), std::string::npos) << refusal(nullptr);
  fs::remove(path);
  fs::remove(journal_path(path));
}

TEST(ResultsJson, NonFiniteErrorsRoundTripAsNull) {
  Record r = sample_record();
  r.verdict->max_abs = INFINITY;
  r.verdict->rel_l2 = NAN;
  const Record back = nlohmann::json::parse(nlohmann::json(r).dump()).get<Record>();
  EXPECT_TRUE(std::isinf(back.verdict->max_abs));
  EXPECT_TRUE(std::isinf(back.verdict->rel_l2));
}
