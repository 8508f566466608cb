// The supervisor against fake workers (shell scripts speaking the protocol): a worker that dies, hangs, reports a
// sticky error or talks garbage costs only the job it was running, with the right status and reason, and a fresh
// worker takes the next job; workers that cannot start end the sweep with the right error. The tuner binary's own
// worker mode is checked where it needs no GPU.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/supervisor.hpp"

using namespace convmish;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kRecord =
    R"({"type":"record","index":'$i',"fatal":false,"record":{"id":'$i',"variant":"fused.naive",)"
    R"("params":{"block":128},"precision":"fp32","status":"incorrect","reason":"fake worker '$$'"}})";

// A directory of its own per test, and fake workers in it. `on_first_job` runs once over all the workers a
// test starts (a marker file remembers), before the reply to that job.
class FakeWorkers : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("convmish_supervisor_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> worker(const std::string& on_first_job, const std::string& before_ready = "") {
    const fs::path script = dir_ / "worker.sh";
    std::ofstream(script) << "ulimit -c 0\n"
                          << "dir='" << dir_.string() << "'\n"
                          << before_ready << "\n"
                          << R"(echo '{"type":"ready","pid":'$$',"device":{"name":"fake"},"nvrtc_arch":"sm_90",)"
                          << R"("copy_bandwidth":{"gbps":1}}')" << "\n"
                          << "while read -r line; do\n"
                          << "  i=$(printf '%s\\n' \"$line\" | "  // the job's index: the first one, keys are sorted
                          << "sed 's/\"prefetch\":.*//; s/.*\"index\":\\([0-9]*\\).*/\\1/')\n"
                          << "  if [ ! -e \"$dir/first_job_done\" ]; then\n"
                          << "    : > \"$dir/first_job_done\"\n"
                          << "    " << (on_first_job.empty() ? ":" : on_first_job) << "\n"
                          << "  fi\n"
                          << "  echo '" << kRecord << "'\n"
                          << "done\n";
    return {"/bin/sh", script.string()};
  }

  Job job() const { return Job{Registry::instance().find("fused.naive"), {{"block", 128}}, false, 0}; }

  fs::path dir_;
  std::ostringstream log_;
};

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

TEST_F(FakeWorkers, OneWorkerServesEveryJobAndItsRecordsComeBackAsSent) {
  Supervisor s(worker(""), 10, 10, 1, log_);
  EXPECT_EQ(s.ready()["device"]["name"], "fake");
  const int pid = s.ready()["pid"];
  const Job j = job();
  for (size_t i = 0; i < 3; ++i) {
    const JobResult r = s.run(i, j, {{i + 1, &j}});
    EXPECT_FALSE(r.fatal);
    EXPECT_EQ(r.record.id, int(i));
    EXPECT_EQ(r.record.status, Status::kIncorrect);
    EXPECT_EQ(r.record.reason, "fake worker " + std::to_string(pid));  // the worker's record, not made up
  }
  EXPECT_EQ(s.workers_started(), 1);
}

TEST_F(FakeWorkers, WorkerKilledBySignalCostsOnlyItsJobAndAFreshWorkerTakesTheNext) {
  Supervisor s(worker("kill -SEGV $$"), 10, 10, 1, log_);
  const Job j = job();
  const JobResult crashed = s.run(0, j, {});
  EXPECT_EQ(crashed.record.status, Status::kLaunchError);
  EXPECT_NE(crashed.record.reason.find("died during this configuration: killed by signal 11"), std::string::npos)
      << crashed.record.reason;
  EXPECT_FALSE(crashed.fatal);
  const JobResult next = s.run(1, j, {});
  EXPECT_EQ(next.record.status, Status::kIncorrect) << next.record.reason;
  EXPECT_EQ(s.workers_started(), 2);
  EXPECT_NE(log_.str().find("fresh worker pid"), std::string::npos) << log_.str();
}

TEST_F(FakeWorkers, HangingWorkerIsKilledAtTheTimeoutAndItsJobIsATimeout) {
  Supervisor s(worker("exec sleep 600"), 0.5, 10, 1, log_);
  const pid_t hung = s.ready()["pid"].get<int>();
  const Job j = job();
  const auto t0 = std::chrono::steady_clock::now();
  const JobResult r = s.run(0, j, {});
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.record.status, Status::kTimeout);
  EXPECT_NE(r.record.reason.find("no result within 0.5 s"), std::string::npos) << r.record.reason;
  EXPECT_NE(r.record.reason.find("watchdog"), std::string::npos) << r.record.reason;
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 5.0);
  EXPECT_FALSE(alive(hung)) << "the hung worker " << hung << " still runs";
  EXPECT_EQ(s.run(1, j, {}).record.status, Status::kIncorrect);
  EXPECT_EQ(s.workers_started(), 2);
}

TEST_F(FakeWorkers, StickyErrorRecordIsKeptAndTheWorkerReplaced) {
  const std::string fatal =
      R"x(echo '{"type":"record","index":'$i',"fatal":true,"record":{"id":'$i',"variant":"fused.naive",)x"
      R"x("params":{"block":128},"precision":"fp32","status":"launch_error",)x"
      R"x("reason":"cudaErrorIllegalAddress (fake)"}}'; exit 4)x";
  Supervisor s(worker(fatal), 10, 10, 1, log_);
  const int first = s.ready()["pid"];
  const Job j = job();
  const JobResult r = s.run(0, j, {});
  EXPECT_EQ(r.record.status, Status::kLaunchError);
  EXPECT_EQ(r.record.reason, "cudaErrorIllegalAddress (fake)");
  EXPECT_FALSE(r.fatal);  // the sweep goes on
  const JobResult next = s.run(1, j, {});
  EXPECT_EQ(next.record.status, Status::kIncorrect);
  EXPECT_NE(next.record.reason, "fake worker " + std::to_string(first));
  EXPECT_EQ(s.workers_started(), 2);
  EXPECT_NE(log_.str().find("exited with code 4 after a sticky CUDA error in fused.naive/block:128"),
            std::string::npos)
      << log_.str();
}

TEST_F(FakeWorkers, GarbageFromTheWorkerIsALaunchErrorAndTheWorkerReplaced) {
  Supervisor s(worker("echo 'this is not JSON'"), 10, 10, 1, log_);
  const Job j = job();
  const JobResult r = s.run(0, j, {});
  EXPECT_EQ(r.record.status, Status::kLaunchError);
  EXPECT_NE(r.record.reason.find("broke the protocol"), std::string::npos) << r.record.reason;
  EXPECT_EQ(s.run(1, j, {}).record.status, Status::kIncorrect);
  EXPECT_EQ(s.workers_started(), 2);
}

TEST_F(FakeWorkers, WorkerWithoutAGpuEndsTheSweepWithNoGpuError) {
  const std::vector<std::string> cmd = {
      "/bin/sh", "-c", R"(echo '{"type":"error","kind":"no_gpu","what":"no usable GPU: fake"}'; exit 1)"};
  try {
    Supervisor s(cmd, 10, 10, 1, log_);
    FAIL() << "started without a GPU";
  } catch (const NoGpuError& e) {
    EXPECT_STREQ(e.what(), "no usable GPU: fake");
  }
}

TEST_F(FakeWorkers, WorkerThatCannotStartIsTriedTwiceThenTheGpuCountsAsLost) {
  const std::vector<std::string> cmd = {"/bin/sh", "-c", "echo x >> '" + (dir_ / "starts").string() + "'; exit 3"};
  try {
    Supervisor s(cmd, 10, 10, 1, log_);
    FAIL() << "a worker that exits at once counted as started";
  } catch (const CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("ended before it was ready (exited with code 3)"), std::string::npos)
        << e.what();
  }
  std::ifstream starts(dir_ / "starts");
  std::string l;
  int n = 0;
  while (std::getline(starts, l)) ++n;
  EXPECT_EQ(n, 2);
}

TEST_F(FakeWorkers, WorkerNeverReadyIsKilledAtTheStartupTimeout) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(Supervisor(worker("", "exec sleep 600"), 10, 0.3, 1, log_), CudaError);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}

// tuner --devices: one supervisor per GPU, their workers set up at once (three 1-second set-ups take about one).
TEST_F(FakeWorkers, StartAllSetsTheWorkersUpAtOnce) {
  const auto cmd = worker("", "sleep 1");
  std::ostringstream logs[3];
  const auto t0 = std::chrono::steady_clock::now();
  const auto all = Supervisor::start_all({cmd, cmd, cmd}, 10, 10, 1, {&logs[0], &logs[1], &logs[2]});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.5);
  ASSERT_EQ(all.size(), 3u);
  std::set<int> pids;
  const Job j = job();
  for (const auto& s : all) {
    pids.insert(s->ready()["pid"].get<int>());
    EXPECT_EQ(s->run(0, j, {}).record.status, Status::kIncorrect);
    EXPECT_EQ(s->workers_started(), 1);
  }
  EXPECT_EQ(pids.size(), 3u);
}

TEST_F(FakeWorkers, StartAllThrowsTheFirstFailureInCommandOrder) {
  const auto no_gpu = [](const char* what) {
    return std::vector<std::string>{
        "/bin/sh", "-c", std::string(R"(echo '{"type":"error","kind":"no_gpu","what":")") + what + R"("}'; exit 1)"};
  };
  std::ostringstream log;
  try {
    Supervisor::start_all({worker(""), no_gpu("GPU 1: fake"), no_gpu("GPU 2: fake")}, 10, 10, 1, {&log, &log, &log});
    FAIL() << "started without GPU 1";
  } catch (const NoGpuError& e) {
    EXPECT_STREQ(e.what(), "GPU 1: fake");
  }
}

TEST(DescribeExit, SaysHowAProcessEnded) {
  EXPECT_EQ(describe_exit(4 << 8), "exited with code 4");
  EXPECT_NE(describe_exit(SIGKILL).find("killed by signal 9"), std::string::npos);
}

// The tuner binary itself as a worker: without the asked-for GPU it says so on the socket and exits 1.
TEST(TunerWorker, ReportsAMissingGpuOnTheSocket) {
  WorkerProcess w({CONVMISH_TUNER, "-p", "small", "-v", "mish.naive", "--device", "99", "--worker"});
  std::string line;
  ASSERT_EQ(w.channel().read_line(line, 60.0), protocol::LineChannel::Read::kLine);
  const json m = json::parse(line);
  EXPECT_EQ(m["type"], "error");
  EXPECT_EQ(m["kind"], "no_gpu");
  EXPECT_NE(m["what"].get<std::string>().find("GPU"), std::string::npos) << line;
  EXPECT_EQ(w.finish(30), "exited with code 1");
}

// ... and the tuner with isolation ends such a sweep exactly as without: exit code 3, the same message, and no
// journal started.
TEST(TunerWorker, NoGpuExitsThreeWithAndWithoutIsolation) {
  const fs::path dir = fs::temp_directory_path() / ("convmish_tuner_nogpu_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string err[2];
  for (int isolated = 0; isolated < 2; ++isolated) {
    const fs::path out = dir / "x.json", errf = dir / "err.txt";
    const std::string cmd = std::string("'") + CONVMISH_TUNER + "' -p small -v mish.naive --device 99 -o '" +
                            out.string() + "'" + (isolated ? "" : " --no-isolation") + " > /dev/null 2> '" +
                            errf.string() + "'";
    const int st = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 3) << cmd;
    EXPECT_FALSE(fs::exists(journal_path(out)));
    std::ifstream f(errf);
    err[isolated].assign(std::istreambuf_iterator<char>(f), {});
  }
  EXPECT_NE(err[1].find("GPU"), std::string::npos) << err[1];
  EXPECT_EQ(err[0], err[1]);
  fs::remove_all(dir);
}
