// Isolation on the GPU: tuner_faults (the tuner plus the test-only variants of tests/faults/) sweeps good variants
// beside one that writes out of bounds, one that spins forever and one that computes a wrong result. Each bad one
// must be recorded with its own status (launch_error, timeout, incorrect), the sweep must finish, and the good
// configurations must come out exactly as in a sweep without the bad ones. Two rounds (--repeat 2), so good
// configurations also run after the faults, on fresh workers. CONVMISH_FAULTS_OUT=DIR keeps the JSON and logs.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <tuple>

#include "gpu/gpu_fixture.hpp"
#include "tuner/results.hpp"
#include "tuner/sweep.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

constexpr const char* kTimeoutS = "10";  // the good configurations of `small` take well under a second

struct SweepRun {
  int exit_code = -1;
  std::string log;
  ResultsFile results;
};

SweepRun run_tuner_faults(const fs::path& dir, const std::string& name, const std::string& variants) {
  const fs::path json = dir / (name + ".json"), log = dir / (name + ".log");
  fs::remove(json);
  fs::remove(journal_path(json));
  const std::string cmd = std::string("'") + CONVMISH_TUNER_FAULTS + "' -p small -v '" + variants +
                          "' -s random -b 2 --repeat 2 --checks 2 --min-time 0 --max-time 0.05 --warmup-ms 1 "
                          "--timeout " + kTimeoutS + " -o '" + json.string() + "'";
  SweepRun r;
  std::tie(r.exit_code, r.log) = convmish::testing::run_logged(cmd, log);
  if (r.exit_code == 0) r.results = read_results(json);
  return r;
}

std::string key(const Record& r) { return job_key(r.name(), r.details.value("round", 0)); }

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(IsolationGpu, FaultingHangingAndWrongVariantsAreRecordedAndGoodOnesUnchanged) {
  REQUIRE_GPU();
  const char* keep = std::getenv("CONVMISH_FAULTS_OUT");
  const fs::path dir = keep && *keep ? fs::path(keep) : fs::temp_directory_path() /
                                                            ("convmish_isolation_" + std::to_string(::getpid()));
  fs::create_directories(dir);

  const SweepRun faulty = run_tuner_faults(dir, "faults", "mish.naive,fused.naive,test.*");
  ASSERT_EQ(faulty.exit_code, 0) << faulty.log;
  const SweepRun good = run_tuner_faults(dir, "good", "mish.naive,fused.naive");
  ASSERT_EQ(good.exit_code, 0) << good.log;

  std::map<std::string, int> bad_seen;
  std::map<std::string, Status> good_with_faults, good_alone;
  for (const Record& r : faulty.results.records) {
    if (r.variant == "test.oob_write") {
      EXPECT_EQ(r.status, Status::kLaunchError) << key(r) << ": " << r.reason;
      EXPECT_TRUE(has(r.reason, "cudaErrorIllegalAddress") || has(r.reason, "cudaErrorLaunchFailure")) << r.reason;
    } else if (r.variant == "test.spin") {
      EXPECT_EQ(r.status, Status::kTimeout) << key(r) << ": " << r.reason;
      EXPECT_TRUE(has(r.reason, std::string("no result within ") + kTimeoutS + " s")) << r.reason;
    } else if (r.variant == "test.wrong") {
      EXPECT_EQ(r.status, Status::kIncorrect) << key(r) << ": " << r.reason;
      ASSERT_TRUE(r.verdict) << key(r);
      EXPECT_GT(r.verdict->over_tol, 0);
      EXPECT_FALSE(r.timing);
    } else {
      EXPECT_TRUE(good_with_faults.emplace(key(r), r.status).second) << "twice: " << key(r);
      EXPECT_EQ(r.status, Status::kOk) << key(r) << ": " << r.reason;
      continue;
    }
    ++bad_seen[r.variant];
  }
  for (const char* v : {"test.oob_write", "test.spin", "test.wrong"})
    EXPECT_EQ(bad_seen[v], 2) << v << " should have one record per round";
  for (const Record& r : good.results.records) good_alone.emplace(key(r), r.status);
  EXPECT_FALSE(good_alone.empty());
  EXPECT_EQ(good_with_faults, good_alone);  // the same configurations, with the same statuses

  // One worker per fault and round beyond the first: 1 + 2 rounds x (oob_write + spin).
  EXPECT_EQ(faulty.results.meta.value("workers_started", -1), 5) << faulty.log;
  EXPECT_EQ(good.results.meta.value("workers_started", -1), 1) << good.log;
  EXPECT_TRUE(has(faulty.log, "after a sticky CUDA error in test.oob_write")) << faulty.log;
  EXPECT_TRUE(has(faulty.log, "killed by the watchdog during test.spin")) << faulty.log;
  if (!(keep && *keep) && !HasFailure()) fs::remove_all(dir);
}
