// Isolation, the tuner's side. Configurations run in a worker process (the tuner's own binary with --worker,
// see tuner/worker.hpp), one worker for as long as it lives. A worker that dies (a signal, an exit) or reports a
// sticky CUDA error costs only the configuration it was running: `launch_error` with the reason. One that sends
// nothing within the per-configuration timeout is killed (SIGKILL) and its configuration recorded as `timeout`.
// The next configuration starts a fresh worker. A worker gets SIGKILL when the tuner dies (PR_SET_PDEATHSIG), and
// its stderr is the tuner's.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/job_runner.hpp"
#include "tuner/worker_protocol.hpp"

namespace convmish {

// "exited with code 4", "killed by signal 11 (Segmentation fault)".
std::string describe_exit(int wait_status);

// A child process running `argv` (argv[0] is the program; "/proc/self/exe" runs this binary) whose stdin and
// stdout are one end of a socket pair. Move-only; kills and reaps the child when destroyed.
class WorkerProcess {
 public:
  explicit WorkerProcess(const std::vector<std::string>& argv);  // throws std::system_error
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;
  pid_t pid() const { return pid_; }
  protocol::LineChannel& channel() { return *channel_; }
  // Closes the socket (the worker reads end of file and exits), waits up to `grace_s`, then kills. Returns how
  // it ended; later calls return the same.
  std::string finish(double grace_s);
  std::string kill();  // SIGKILL now, then reap

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::optional<protocol::LineChannel> channel_;
  std::optional<std::string> exit_;
};

class Supervisor : public Executor {
 public:
  // Starts the first worker and waits for it to be ready (at most `startup_timeout_s`); throws what the worker
  // reported (NoGpuError, UsageError, CudaError) or CudaError when no worker could start.
  Supervisor(std::vector<std::string> command, double timeout_s, double startup_timeout_s, int repeat,
             std::ostream& log);
  // One supervisor per command (tuner --devices: one per GPU, each with its log), their first workers started at
  // once, so that their set-up takes as long as the slowest, not the sum; throws the first failure in command
  // order. They start on the calling thread: PR_SET_PDEATHSIG kills a worker when the thread that started it
  // ends, so a short-lived thread must not start one that is to stay (a worker that replaces a lost one starts on
  // the thread that calls run(), and ends with it).
  static std::vector<std::unique_ptr<Supervisor>> start_all(const std::vector<std::vector<std::string>>& commands,
                                                            double timeout_s, double startup_timeout_s, int repeat,
                                                            const std::vector<std::ostream*>& logs);
  ~Supervisor() override;
  const nlohmann::json& ready() const override { return ready_; }
  JobResult run(size_t index, const Job& job, const Ahead& ahead) override;
  void discard(size_t) override {}  // a worker compiles ahead on its own; it drops nothing
  int workers_started() const { return started_; }

 private:
  struct Spawn {};  // the constructor that only spawns the first worker (start_all waits for it)
  Supervisor(std::vector<std::string> command, double timeout_s, double startup_timeout_s, int repeat,
             std::ostream& log, Spawn);
  void start_worker();   // spawn() and await_ready()
  void spawn();          // a worker process, not waited for
  void await_ready();    // for the worker just spawned; a failure gets one more; throws as the constructor
  std::string end_worker(double grace_s);  // finish() the current worker; "" when none
  std::vector<std::string> command_;
  double timeout_s_, startup_timeout_s_;
  int repeat_;
  std::ostream& log_;
  std::unique_ptr<WorkerProcess> worker_;
  nlohmann::json ready_;
  int started_ = 0;
  std::string last_end_;  // how the previous worker ended, for the next start's log line
};

}  // namespace convmish
