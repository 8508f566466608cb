// run_sweep with isolation, against a fake worker (a shell script speaking the protocol, no GPU): records come
// back in plan order with speedups against the baseline, a worker crash costs one record and a fresh worker
// runs the rest, everything lands in the journal, and --resume sends the worker only what is missing. With
// --devices (fake GPUs, one worker each): --devices 0 gives the records of a plain sweep, two GPUs share the plan
// and each quotes speedups against its own baseline, a lost worker restarts on its own GPU, --resume and --shard.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/problem.hpp"
#include "tuner/results.hpp"
#include "tuner/sweep.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

// Answers each job with an ok record of that job's variant and configuration: on GPU d (--device d, which the
// tuner adds with --devices; else 0) 2(d+1) ms for the baseline (cudnn.eager), d+1 ms for anything else, after
// `delay` seconds. Its GPU is "fake gpu", or "fake gpu d" with `per_gpu_models`. Logs every index it gets to
// jobs.txt and jobs-gpuD.txt and its GPU to starts.txt when it starts; the first time any worker sees job
// `crash_index` it kills itself.
std::vector<std::string> fake_worker(const fs::path& dir, int crash_index, bool per_gpu_models = false,
                                     const char* delay = "0") {
  const fs::path script = dir / "worker.sh";
  std::ofstream(script)
      << "dir='" << dir.string() << "'\n"
      << "dev=${2:-0}\n"
      << "name='fake gpu'" << (per_gpu_models ? "\" $dev\"" : "") << "\n"
      << "echo $dev >> \"$dir/starts.txt\"\n"
      << R"(echo '{"type":"ready","pid":'$$',"device":{"name":"'"$name"'","index":'$dev',"sm_count":2,)"
      << R"("l2_bytes":0},"nvrtc_arch":"sm_90","copy_bandwidth":{"gbps":100.0}}')" << "\n"
      << "while read -r line; do\n"
      << "  job=$(printf '%s\\n' \"$line\" | sed 's/\"prefetch\":.*\"round\"/\"round\"/')\n"
      << "  i=$(printf '%s\\n' \"$job\" | sed 's/.*\"index\":\\([0-9]*\\).*/\\1/')\n"
      << "  v=$(printf '%s\\n' \"$job\" | sed 's/.*\"variant\":\"\\([^\"]*\\)\".*/\\1/')\n"
      << "  c=$(printf '%s\\n' \"$job\" | sed 's/.*\"config\":\\({[^}]*}\\).*/\\1/')\n"
      << "  echo $i >> \"$dir/jobs.txt\"\n"
      << "  echo $i >> \"$dir/jobs-gpu$dev.txt\"\n"
      << "  if [ \"$i\" = " << crash_index << " ] && [ ! -e \"$dir/crashed\" ]; then : > \"$dir/crashed\"; "
      << "kill -KILL $$; fi\n"
      << "  sleep " << delay << "\n"
      << "  ms=$((dev + 1)); [ \"$v\" = cudnn.eager ] && ms=$((2 * (dev + 1)))\n"
      << R"(  echo '{"type":"record","index":'$i',"fatal":false,"record":{"id":'$i',"variant":"'$v'",)"
      << R"("params":'$c',"precision":"tf32","status":"ok","reason":"",)"
      << R"("timing":{"samples_ms":['$ms','$ms','$ms']}}}')" << "\n"
      << "done\n";
  return {"/bin/sh", script.string()};
}

std::vector<int> lines_of(const fs::path& f) {
  std::ifstream in(f);
  std::vector<int> v;
  for (int i; in >> i;) v.push_back(i);
  return v;
}

class IsolatedSweep : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("convmish_isolated_sweep_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    o_.variants = "fused.naive";
    o_.strategy = "exhaustive";
    o_.budget = 3;
    o_.out = dir_ / "sweep.json";
    o_.timeout_s = 20;
  }
  void TearDown() override { fs::remove_all(dir_); }
  // --devices over fake GPUs, `present` of them.
  void on_gpus(std::vector<int> indices, int present = 2) {
    o_.devices = DeviceList{false, std::move(indices)};
    o_.count_gpus = [present](std::string*) { return present; };
  }
  fs::path dir_;
  SweepOptions o_;
  const Problem p_ = parse_problem("small");
};

}  // namespace

TEST_F(IsolatedSweep, CrashCostsOneRecordAndEverythingElseIsMeasuredAndJournaled) {
  o_.worker_command = fake_worker(dir_, 2);
  std::ostringstream log;
  const std::vector<Record> recs = run_sweep(p_, o_, log);
  ASSERT_EQ(recs.size(), 4u) << log.str();  // the baseline, then fused.naive's first three
  EXPECT_EQ(recs[0].name(), "cudnn.eager/tf32:1");
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].id, int(i));
    if (i == 2) {
      EXPECT_EQ(recs[i].status, Status::kLaunchError);
      EXPECT_NE(recs[i].reason.find("killed by signal 9"), std::string::npos) << recs[i].reason;
      EXPECT_FALSE(recs[i].speedup);
      continue;
    }
    EXPECT_EQ(recs[i].status, Status::kOk) << recs[i].name() << ": " << recs[i].reason;
    ASSERT_TRUE(recs[i].speedup) << recs[i].name();
    EXPECT_DOUBLE_EQ(*recs[i].speedup, i == 0 ? 1.0 : 2.0);  // 2 ms baseline over 1 ms
  }
  EXPECT_EQ(recs[3].variant, "fused.naive");
  EXPECT_NE(log.str().find("fresh worker pid"), std::string::npos) << log.str();
  EXPECT_EQ(lines_of(dir_ / "jobs.txt"), (std::vector<int>{0, 1, 2, 3}));

  const ResultsFile j = read_journal(journal_path(o_.out));
  ASSERT_EQ(j.records.size(), 4u);
  EXPECT_EQ(j.meta["device"]["name"], "fake gpu");
  const ResultsFile doc = read_results(o_.out);
  EXPECT_EQ(doc.meta["isolation"]["worker"], true);
  EXPECT_EQ(doc.meta["isolation"]["timeout_s"], 20.0);
  EXPECT_EQ(doc.meta["workers_started"], 2);
  EXPECT_EQ(doc.meta["copy_bandwidth"]["gbps"], 100.0);
  EXPECT_EQ(doc.meta["finished"], true);
}

TEST_F(IsolatedSweep, ResumeSendsTheWorkerOnlyWhatIsMissing) {
  o_.worker_command = fake_worker(dir_, 2);
  std::ostringstream log1, log2;
  run_sweep(p_, o_, log1);  // index 2 crashed: launch_error, a finished record like any other
  fs::remove(dir_ / "jobs.txt");
  o_.resume = true;
  const std::vector<Record> recs = run_sweep(p_, o_, log2);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(lines_of(dir_ / "jobs.txt"), (std::vector<int>{0}));  // the baseline is always timed afresh
  for (const Record& r : recs)  // the kept ones first, then what ran
    EXPECT_EQ(r.status, r.id == 2 ? Status::kLaunchError : Status::kOk) << r.id;  // kept as recorded
  EXPECT_EQ(read_journal(journal_path(o_.out)).records.size(), 4u);
  EXPECT_NE(log2.str().find("3 of 4 configurations kept"), std::string::npos) << log2.str();
}

TEST_F(IsolatedSweep, DevicesZeroGivesTheRecordsOfAPlainSweep) {
  o_.repeat = 2;  // each round's baseline before that round's jobs, as in a plain sweep
  o_.worker_command = fake_worker(dir_, -1);
  std::ostringstream log1, log2;
  const std::vector<Record> plain = run_sweep(p_, o_, log1);
  const std::vector<int> plain_jobs = lines_of(dir_ / "jobs.txt");
  fs::remove(dir_ / "jobs.txt");
  on_gpus({0}, 1);
  const std::vector<Record> one = run_sweep(p_, o_, log2);
  EXPECT_EQ(lines_of(dir_ / "jobs.txt"), plain_jobs);  // the same jobs, in the same order
  ASSERT_EQ(one.size(), plain.size());
  ASSERT_EQ(plain.size(), 8u);
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_FALSE(plain[i].device);
    ASSERT_TRUE(one[i].device);
    EXPECT_EQ(one[i].device->index, 0);
    EXPECT_EQ(one[i].device->name, "fake gpu");
    nlohmann::json j = one[i];
    j.erase("device");
    EXPECT_EQ(j, nlohmann::json(plain[i])) << i;  // id, name, status, timing, speedup, round: all the same
  }
  const ResultsFile doc = read_results(o_.out);
  ASSERT_EQ(doc.meta["devices"].size(), 1u);
  const nlohmann::json& gpu = doc.meta["devices"][0];
  EXPECT_EQ(gpu["device"]["index"], 0);
  EXPECT_EQ(gpu["copy_bandwidth"]["gbps"], 100.0);
  EXPECT_EQ(gpu["workers_started"], 1);
  EXPECT_EQ(gpu["records"], 8);
  EXPECT_EQ(gpu["baseline_median_ms"], nlohmann::json({2.0, 2.0}));
  EXPECT_FALSE(doc.meta.contains("mixed_models"));
  EXPECT_NE(log2.str().find("] gpu 0  fused.naive/"), std::string::npos) << log2.str();
}

TEST_F(IsolatedSweep, TwoGpusShareThePlanAndEachQuotesSpeedupsAgainstItsOwnBaseline) {
  o_.variants = "fused.naive,mish.naive";  // 3 + 3 configurations after the baseline
  o_.worker_command = fake_worker(dir_, -1, true, "0.2");
  on_gpus({0, 1});
  std::ostringstream log;
  const std::vector<Record> recs = run_sweep(p_, o_, log);
  std::map<int, int> runs_of_id, baselines_on, jobs_on;
  for (const Record& r : recs) {
    ASSERT_TRUE(r.device) << r.name();
    const int d = r.device->index;
    EXPECT_EQ(r.device->name, "fake gpu " + std::to_string(d));
    ASSERT_EQ(r.status, Status::kOk) << r.name() << ": " << r.reason;
    ASSERT_TRUE(r.speedup) << r.name();
    const bool baseline = r.variant == "cudnn.eager";
    // GPU d: baseline 2(d+1) ms, the rest d+1 ms; against another GPU's baseline it would be 1 or 4
    EXPECT_DOUBLE_EQ(*r.speedup, baseline ? 1.0 : 2.0) << r.name() << " on gpu " << d;
    ++(baseline ? baselines_on : jobs_on)[d];
    if (!baseline) ++runs_of_id[r.id];
  }
  EXPECT_EQ(baselines_on, (std::map<int, int>{{0, 1}, {1, 1}}));  // every GPU times the baseline itself
  ASSERT_EQ(runs_of_id.size(), 6u);
  for (const auto& [id, n] : runs_of_id) EXPECT_EQ(n, 1) << "job " << id << " ran " << n << " times";
  EXPECT_EQ(runs_of_id.begin()->first, 1);
  EXPECT_GE(jobs_on[0], 1) << log.str();  // handed out as the workers free up: both got some
  EXPECT_GE(jobs_on[1], 1) << log.str();

  const ResultsFile doc = read_results(o_.out);
  ASSERT_EQ(doc.meta["devices"].size(), 2u);
  for (int d = 0; d < 2; ++d) {
    EXPECT_EQ(doc.meta["devices"][d]["device"]["index"], d);
    EXPECT_EQ(doc.meta["devices"][d]["baseline_median_ms"], nlohmann::json({2.0 * (d + 1)}));
    EXPECT_EQ(doc.meta["devices"][d]["records"], 1 + jobs_on[d]);
  }
  EXPECT_EQ(doc.meta["workers_started"], 2);
  EXPECT_EQ(read_journal(journal_path(o_.out)).records.size(), 8u);
  const nlohmann::json best = best_of(doc.records);
  ASSERT_TRUE(best.contains("mixed_models"));  // the ranking says that it compares two GPU models
  EXPECT_EQ(best["mixed_models"].size(), 2u);
  EXPECT_NE(log.str().find("note: 2 GPU models"), std::string::npos) << log.str();
}

TEST_F(IsolatedSweep, AWorkerLostOnOneGpuIsReplacedOnThatGpu) {
  o_.worker_command = fake_worker(dir_, 2, false, "0.1");
  on_gpus({0, 1});
  std::ostringstream log;
  const std::vector<Record> recs = run_sweep(p_, o_, log);
  ASSERT_EQ(recs.size(), 5u) << log.str();  // two baselines, three jobs
  int lost_on = -1;
  for (const Record& r : recs) {
    if (r.id == 2) {
      EXPECT_EQ(r.status, Status::kLaunchError);
      EXPECT_NE(r.reason.find("killed by signal 9"), std::string::npos) << r.reason;
      ASSERT_TRUE(r.device);
      lost_on = r.device->index;
    } else {
      EXPECT_EQ(r.status, Status::kOk) << r.name() << ": " << r.reason;
    }
  }
  ASSERT_GE(lost_on, 0);
  std::vector<int> starts = lines_of(dir_ / "starts.txt");
  std::sort(starts.begin(), starts.end());
  std::vector<int> expected = {0, 1, lost_on};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(starts, expected);  // the fresh worker got the lost one's GPU
  const ResultsFile doc = read_results(o_.out);
  for (int d = 0; d < 2; ++d) EXPECT_EQ(doc.meta["devices"][d]["workers_started"], d == lost_on ? 2 : 1);
  EXPECT_EQ(doc.meta["workers_started"], 3);
  EXPECT_NE(log.str().find("gpu " + std::to_string(lost_on) + "  isolation: worker pid"), std::string::npos)
      << log.str();
}

TEST_F(IsolatedSweep, ResumeOnTwoGpusRunsOnlyEachGpusBaseline) {
  o_.worker_command = fake_worker(dir_, -1);
  on_gpus({0, 1});
  std::ostringstream log1, log2;
  run_sweep(p_, o_, log1);
  for (const char* f : {"jobs-gpu0.txt", "jobs-gpu1.txt"}) fs::remove(dir_ / f);
  o_.resume = true;
  const std::vector<Record> recs = run_sweep(p_, o_, log2);
  EXPECT_EQ(recs.size(), 5u);
  EXPECT_EQ(lines_of(dir_ / "jobs-gpu0.txt"), std::vector<int>{0});
  EXPECT_EQ(lines_of(dir_ / "jobs-gpu1.txt"), std::vector<int>{0});
  EXPECT_NE(log2.str().find("3 of 4 configurations kept"), std::string::npos) << log2.str();
}

TEST_F(IsolatedSweep, ResumeRefusesAJournalOfOtherGpuModels) {
  o_.worker_command = fake_worker(dir_, -1, true);
  on_gpus({0});
  std::ostringstream log;
  run_sweep(p_, o_, log);
  o_.resume = true;
  on_gpus({0, 1});
  try {
    run_sweep(p_, o_, log);
    ADD_FAILURE() << "resumed a journal of one GPU model with two";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("was written for another GPU (fake gpu 0)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_journal(journal_path(o_.out)).records.size(), 4u);  // untouched
}

TEST_F(IsolatedSweep, AGpuIndexBeyondThosePresentIsRefusedBeforeAnyWorkerStarts) {
  o_.worker_command = fake_worker(dir_, -1);
  on_gpus({0, 3}, 2);
  std::ostringstream log;
  EXPECT_THROW(run_sweep(p_, o_, log), UsageError);
  EXPECT_FALSE(fs::exists(dir_ / "starts.txt"));
  EXPECT_FALSE(fs::exists(journal_path(o_.out)));
}

TEST_F(IsolatedSweep, AShardOnTwoGpusRunsItsJobsOnceAndTheBaselineOnEach) {
  o_.worker_command = fake_worker(dir_, -1);
  o_.shard_index = 1;
  o_.shard_count = 2;
  on_gpus({0, 1});
  std::ostringstream log;
  std::multiset<int> ids;
  for (const Record& r : run_sweep(p_, o_, log)) ids.insert(r.id);
  EXPECT_EQ(ids, (std::multiset<int>{0, 0, 2}));  // shard 1 of 2 holds the second of the three configurations
}
