// tuner --shard I/N and tuner merge (issue #11): the partition of real plans, and merging synthetic shard files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/problem.hpp"
#include "tuner/shard.hpp"
#include "tuner/sweep.hpp"

using namespace convmish;
using nlohmann::json;

namespace {

std::string key_of(const Job& j) { return job_key(record_name(j.variant->id(), j.config), j.round); }

// Plans of every registered variant: the default random plan, a long exhaustive one, and one with two rounds.
std::vector<SweepOptions> plan_options() {
  SweepOptions random_plan;
  SweepOptions exhaustive;
  exhaustive.strategy = "exhaustive";
  exhaustive.budget = 200;
  SweepOptions rounds;
  rounds.budget = 5;
  rounds.repeat = 3;
  rounds.seed = 7;
  return {random_plan, exhaustive, rounds};
}

}  // namespace

TEST(Shard, ParseAcceptsIOfNAndRejectsEverythingElse) {
  EXPECT_EQ(parse_shard("0/1").count, 1);
  EXPECT_EQ(parse_shard("3/4").index, 3);
  EXPECT_EQ(parse_shard("3/4").count, 4);
  for (const char* bad : {"3/2", "2/2", "-1/2", "1/0", "0/0", "a/b", "1", "", "1/2/3", "/2", "1/", " 1/2", "0/100001"})
    EXPECT_THROW(parse_shard(bad), UsageError) << bad;
  try {
    parse_shard("3/2");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--shard '3/2': expected I/N with 0 <= I < N"), std::string::npos);
  }
}

// Every non-baseline job of real plans (all registered variants) lands in exactly one shard for N = 1..9, the
// union is the unsharded plan, the baseline is in every shard, shard sizes differ by at most one, and a second
// planning (as on another machine) gives the same partition.
TEST(Shard, PartitionCoversEveryConfigurationExactlyOnceForAnyN) {
  for (const SweepOptions& o : plan_options()) {
    const std::vector<Job> plan = plan_jobs(o);
    const std::vector<Job> again = plan_jobs(o);
    ASSERT_EQ(plan.size(), again.size());
    size_t baselines = 0;
    for (const Job& j : plan) baselines += j.is_baseline;
    ASSERT_EQ(baselines, size_t(o.repeat));
    const std::vector<std::string> keys = planned_keys(plan);
    ASSERT_EQ(keys.size(), plan.size() - baselines);
    ASSERT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size()) << "plan keys are unique";
    ASSERT_GT(keys.size(), 9u);
    for (int n = 1; n <= 9; ++n) {
      std::map<size_t, int> times;  // plan position -> shards holding it
      size_t smallest = plan.size(), largest = 0;
      for (int i = 0; i < n; ++i) {
        const auto idx = shard_indices(plan, {i, n});
        EXPECT_EQ(idx, shard_indices(again, {i, n})) << "deterministic";
        EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end())) << "plan order";
        size_t non_baseline = 0;
        for (size_t k : idx) {
          ASSERT_LT(k, plan.size());
          ++times[k];
          EXPECT_EQ(key_of(plan[k]), key_of(again[k]));
          non_baseline += !plan[k].is_baseline;
        }
        smallest = std::min(smallest, non_baseline);
        largest = std::max(largest, non_baseline);
      }
      EXPECT_LE(largest - smallest, 1u) << "N=" << n;
      ASSERT_EQ(times.size(), plan.size()) << "the union is the whole plan, N=" << n;
      for (const auto& [k, t] : times) EXPECT_EQ(t, plan[k].is_baseline ? n : 1) << key_of(plan[k]) << " N=" << n;
    }
  }
}

TEST(Shard, PlanMetaHoldsTheWholePlansKeysAndAHashThatTellsPlansApart) {
  SweepOptions o;
  const auto plan = plan_jobs(o);
  const json m = plan_meta(plan);
  EXPECT_EQ(m["keys"].get<std::vector<std::string>>(), planned_keys(plan));
  EXPECT_EQ(m["jobs"].get<size_t>(), planned_keys(plan).size());
  EXPECT_EQ(plan_meta(plan_jobs(o))["fnv1a64"], m["fnv1a64"]);
  o.seed = 99;
  EXPECT_NE(plan_meta(plan_jobs(o))["fnv1a64"], m["fnv1a64"]);
}

namespace {

// Synthetic shard files as run_sweep writes them: records from job_record at the job's plan position, an ok
// timing for the baseline, and the metadata merge compares.
struct Sweep {
  SweepOptions o;
  std::vector<Job> plan;
  json meta;
  Sweep() {
    o.variants = "mish.*,fused.naive";
    o.budget = 4;
    o.repeat = 2;
    plan = plan_jobs(o);
    Problem p = parse_problem("small");
    meta = {{"suite_version", "0.1.0"}, {"git_commit", "abc123"}, {"device", {{"name", "NVIDIA H100 80GB HBM3"}}},
            {"problem", p},           {"timer", TimerSettings{}},  {"checks_per_config", 1},
            {"repeat", o.repeat},     {"baseline", "cudnn.eager/tf32:1"}, {"nvrtc_extra_options", json::array()},
            {"finished", true}};
  }
  ResultsFile shard(int i, int n, double baseline_ms = 1.0) const {
    ResultsFile f;
    f.meta = meta;
    f.meta["shard"] = shard_meta({i, n});
    f.meta["plan"] = plan_meta(plan);
    f.meta["host"] = "node" + std::to_string(i);
    for (size_t k : shard_indices(plan, {i, n})) {
      Record r = job_record(k, plan[k], o.repeat);
      r.status = Status::kOk;
      if (plan[k].is_baseline) {
        r.timing = TimingStats{};
        r.timing->median_ms = baseline_ms;
      }
      f.records.push_back(r);
    }
    return f;
  }
  std::vector<ResultsFile> shards(int n) const {
    std::vector<ResultsFile> v;
    for (int i = 0; i < n; ++i) v.push_back(shard(i, n, 1.0 + i));
    return v;
  }
};

std::vector<std::string> names(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back("shard-" + std::to_string(i) + ".json");
  return v;
}

std::multiset<std::string> record_keys(const std::vector<Record>& rs) {
  std::multiset<std::string> keys;
  for (const Record& r : rs) keys.insert(job_key(r.name(), r.details.value("round", 0)));
  return keys;
}

}  // namespace

TEST(Merge, CompleteShardsGiveTheRecordsOfOneUnshardedRun) {
  const Sweep s;
  std::vector<Record> single;  // what one unsharded sweep records
  for (size_t k = 0; k < s.plan.size(); ++k) single.push_back(job_record(k, s.plan[k], s.o.repeat));
  for (int n : {1, 2, 3, 5}) {
    auto shards = s.shards(n);
    std::reverse(shards.begin(), shards.end());  // any order of the files
    auto files = names(n);
    std::reverse(files.begin(), files.end());
    const MergeOutcome m = merge_shards(shards, files);
    EXPECT_TRUE(m.complete()) << "N=" << n;
    EXPECT_TRUE(m.missing.empty());
    EXPECT_TRUE(m.duplicated.empty());
    ASSERT_EQ(m.merged.records.size(), single.size()) << "N=" << n;
    EXPECT_EQ(record_keys(m.merged.records), record_keys(single));
    for (size_t k = 0; k < single.size(); ++k) {
      EXPECT_EQ(m.merged.records[k].id, single[k].id) << "plan order restored";
      EXPECT_EQ(m.merged.records[k].name(), single[k].name());
    }
    // One baseline per round, from shard 0 (median 1.0); every shard's baseline medians kept in meta.shards.
    for (const Record& r : m.merged.records)
      if (r.variant == kBaselineVariant) EXPECT_EQ(r.timing->median_ms, 1.0);
    const json& meta = m.merged.meta;
    ASSERT_EQ(meta["shards"].size(), size_t(n));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(meta["shards"][i]["shard"]["index"], i);
      EXPECT_EQ(meta["shards"][i]["host"], "node" + std::to_string(i));
      EXPECT_EQ(meta["shards"][i]["baseline_median_ms"], json::array({1.0 + i, 1.0 + i}));
      EXPECT_FALSE(meta["shards"][i].contains("plan"));
    }
    EXPECT_EQ(meta["merged_from"].size(), size_t(n));
    EXPECT_EQ(meta["merged_from"][0], "shard-0.json");
    EXPECT_FALSE(meta.contains("shard"));
    EXPECT_EQ(meta["merge"]["complete"], true);
    EXPECT_EQ(meta["finished"], true);
  }
}

TEST(Merge, AGapIsReportedByName) {
  const Sweep s;
  auto shards = s.shards(3);
  const Record dropped = shards[1].records.back();
  shards[1].records.pop_back();
  const MergeOutcome m = merge_shards(shards, names(3));
  EXPECT_FALSE(m.complete());
  ASSERT_EQ(m.missing, std::vector<std::string>{job_key(dropped.name(), dropped.details.value("round", 0))});
  EXPECT_TRUE(m.duplicated.empty());
  EXPECT_EQ(m.merged.meta["merge"]["missing"].size(), 1u);
  EXPECT_EQ(m.merged.meta["merge"]["complete"], false);
}

TEST(Merge, AMissingShardIsReportedAsItsConfigurations) {
  const Sweep s;
  auto shards = s.shards(4);
  const size_t lost = shards[2].records.size() - size_t(s.o.repeat);  // less its baselines
  shards.erase(shards.begin() + 2);
  const MergeOutcome m = merge_shards(shards, names(3));
  EXPECT_EQ(m.missing.size(), lost);
  EXPECT_EQ(m.merged.meta["merge"]["shards_present"], 3);
}

TEST(Merge, ADuplicateIsReportedWithTheShardsHoldingIt) {
  const Sweep s;
  auto shards = s.shards(2);
  const Record twice = shards[0].records[1];
  ASSERT_NE(twice.variant, kBaselineVariant);
  shards[1].records.push_back(twice);
  const MergeOutcome m = merge_shards(shards, names(2));
  EXPECT_FALSE(m.complete());
  EXPECT_TRUE(m.missing.empty());
  ASSERT_EQ(m.duplicated.size(), 1u);
  EXPECT_EQ(m.duplicated[0], job_key(twice.name(), twice.details.value("round", 0)) + " (shards 0, 1)");
  EXPECT_EQ(m.merged.records.size(), s.plan.size()) << "the duplicate is kept once";
}

TEST(Merge, ShardsOfAnotherSweepAreRefused) {
  const Sweep s;
  auto expect_refused = [&](auto change, const std::string& what) {
    auto shards = s.shards(2);
    change(shards[1].meta);
    try {
      merge_shards(shards, names(2));
      ADD_FAILURE() << "accepted a shard with another " << what;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_refused([](json& m) { m["problem"] = parse_problem("seed"); }, "problem");
  expect_refused([](json& m) { m["device"]["name"] = "NVIDIA H200"; }, "device model");
  expect_refused([](json& m) { m["git_commit"] = "def456"; }, "git commit");
  expect_refused([](json& m) { m["suite_version"] = "0.2.0"; }, "suite version");
  expect_refused([](json& m) { m["timer"]["mode"] = "hot"; }, "timer settings");
  expect_refused([](json& m) { m["shard"]["count"] = 3; }, "shard count");
  expect_refused([](json& m) { m["plan"]["fnv1a64"] = "0"; }, "plan");
  expect_refused([](json& m) { m["shard"]["index"] = 0; }, "shard 0/2 given twice");
  expect_refused([](json& m) { m["shard"]["index"] = 4294967296LL; }, "'index' = 4294967296 is outside");  // not 0
  expect_refused([](json& m) { m.erase("shard"); }, "is not a shard");
  expect_refused([](json& m) { m.erase("plan"); }, "is not a shard");
}

// Fields merge only reports on, hand-edited to another type, must not escape as json type errors (exit 1 with
// nlohmann's message): a non-boolean "finished" reads as not finished, the plan's job count comes from its keys.
TEST(Merge, MistypedFieldsItOnlyReportsOnAreReadSafely) {
  const Sweep s;
  auto shards = s.shards(2);
  shards[1].meta["finished"] = "yes";
  for (auto& f : shards) f.meta["plan"]["jobs"] = "many";
  shards[1].records.pop_back();
  const MergeOutcome m = merge_shards(shards, names(2));
  EXPECT_EQ(m.merged.meta["finished"], false);
  EXPECT_EQ(m.planned, planned_keys(s.plan).size());
  EXPECT_EQ(m.missing.size(), 1u);
}

TEST(Merge, CommandWritesTheMergedFileAndExitsOneWhenIncomplete) {
  const Sweep s;
  const auto dir = std::filesystem::temp_directory_path() / ("convmish_merge_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const ResultsFile& f, const std::string& name) {
    ResultsWriter w(dir / name, f.meta);
    for (const Record& r : f.records) w.add(r);
    return (dir / name).string();
  };
  auto shards = s.shards(2);
  const std::vector<std::string> in = {write(shards[0], "a.json"), write(shards[1], "b.json")};
  const std::string out = (dir / "all.json").string();
  std::ostringstream log, err;
  EXPECT_EQ(merge_command(in, out, log, err), 0) << err.str();
  EXPECT_TRUE(err.str().empty());
  const ResultsFile merged = read_results(out);
  EXPECT_EQ(merged.records.size(), s.plan.size());
  EXPECT_EQ(merged.meta["merged_from"], json(in));

  shards[1].records.pop_back();
  shards[0].meta["plan"]["jobs"] = "many";  // hand-edited: the count in the message comes from the plan's keys
  const std::vector<std::string> gap = {write(shards[0], "a_edited.json"), write(shards[1], "b_gap.json")};
  std::ostringstream log2, err2;
  EXPECT_EQ(merge_command(gap, out, log2, err2), 1);
  EXPECT_NE(log2.str().find("missing: "), std::string::npos);
  EXPECT_NE(err2.str().find("incomplete: 1 of " + std::to_string(planned_keys(s.plan).size()) +
                            " planned configurations missing"),
            std::string::npos)
      << err2.str();
  EXPECT_EQ(read_results(out).records.size(), s.plan.size() - 1) << "written with what exists";
  EXPECT_THROW(merge_command({in[0], (dir / "none.json").string()}, out, log, err), UsageError);
  std::filesystem::remove_all(dir);
}
