// run_sweep with isolation, against a fake worker (a shell script speaking the protocol, no GPU): records come
// back in plan order with speedups against the baseline, a worker crash costs one record and a fresh worker
// runs the rest, everything lands in the journal, and --resume sends the worker only what is missing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tuner/problem.hpp"
#include "tuner/results.hpp"
#include "tuner/sweep.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

// Answers each job with an ok record of that job's variant and configuration: 2 ms for the baseline
// (cudnn.eager), 1 ms for anything else. Logs every index it gets to jobs.txt; the first time it sees job
// `crash_index` it kills itself.
std::vector<std::string> fake_worker(const fs::path& dir, int crash_index) {
  const fs::path script = dir / "worker.sh";
  std::ofstream(script)
      << "dir='" << dir.string() << "'\n"
      << R"(echo '{"type":"ready","pid":'$$',"device":{"name":"fake gpu","sm_count":2,"l2_bytes":0},)"
      << R"("nvrtc_arch":"sm_90","copy_bandwidth":{"gbps":100.0}}')" << "\n"
      << "while read -r line; do\n"
      << "  job=$(printf '%s\\n' \"$line\" | sed 's/\"prefetch\":.*\"round\"/\"round\"/')\n"
      << "  i=$(printf '%s\\n' \"$job\" | sed 's/.*\"index\":\\([0-9]*\\).*/\\1/')\n"
      << "  v=$(printf '%s\\n' \"$job\" | sed 's/.*\"variant\":\"\\([^\"]*\\)\".*/\\1/')\n"
      << "  c=$(printf '%s\\n' \"$job\" | sed 's/.*\"config\":\\({[^}]*}\\).*/\\1/')\n"
      << "  echo $i >> \"$dir/jobs.txt\"\n"
      << "  if [ \"$i\" = " << crash_index << " ] && [ ! -e \"$dir/crashed\" ]; then : > \"$dir/crashed\"; "
      << "kill -KILL $$; fi\n"
      << "  ms=1.0; [ \"$v\" = cudnn.eager ] && ms=2.0\n"
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
