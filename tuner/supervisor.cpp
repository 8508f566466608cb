#include "tuner/supervisor.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <system_error>
#include <thread>

#include "tuner/check.hpp"

namespace convmish {

using nlohmann::json;
using Read = protocol::LineChannel::Read;

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")" +
           (WCOREDUMP(status) ? ", core dumped" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

WorkerProcess::WorkerProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("empty worker command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::system_error(errno, std::generic_category(), "socketpair for the worker");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw std::system_error(e, std::generic_category(), "fork of the worker");
  }
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the tuner died before prctl
    if (::dup2(sv[1], 0) < 0 || ::dup2(sv[1], 1) < 0) ::_exit(127);
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)  // the socket's ends, the journal, anything else
      for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execvp(args[0], args.data());
    static const char msg[] = "tuner: cannot execute the worker command\n";
    [[maybe_unused]] const ssize_t n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(sv[1]);
  pid_ = pid;
  fd_ = sv[0];
  channel_.emplace(fd_, fd_);
}

WorkerProcess::~WorkerProcess() {
  if (!exit_) kill();
}

static int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string WorkerProcess::finish(double grace_s) {
  if (exit_) return *exit_;
  channel_.reset();
  ::close(fd_);
  fd_ = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) return *(exit_ = describe_exit(status));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ostringstream grace;
  grace << grace_s;
  ::kill(pid_, SIGKILL);
  return *(exit_ = describe_exit(wait_for(pid_)) + " (still running " + grace.str() + " s after its socket closed)");
}

std::string WorkerProcess::kill() {
  if (exit_) return *exit_;
  ::kill(pid_, SIGKILL);
  channel_.reset();
  ::close(fd_);
  fd_ = -1;
  return *(exit_ = describe_exit(wait_for(pid_)));
}

Supervisor::Supervisor(std::vector<std::string> command, double timeout_s, double startup_timeout_s, int repeat,
                       std::ostream& log)
    : Supervisor(std::move(command), timeout_s, startup_timeout_s, repeat, log, Spawn{}) {
  await_ready();
}

Supervisor::Supervisor(std::vector<std::string> command, double timeout_s, double startup_timeout_s, int repeat,
                       std::ostream& log, Spawn)
    : command_(std::move(command)), timeout_s_(timeout_s), startup_timeout_s_(startup_timeout_s), repeat_(repeat),
      log_(log) {
  spawn();
}

std::vector<std::unique_ptr<Supervisor>> Supervisor::start_all(const std::vector<std::vector<std::string>>& commands,
                                                               double timeout_s, double startup_timeout_s,
                                                               int repeat, const std::vector<std::ostream*>& logs) {
  std::vector<std::unique_ptr<Supervisor>> all;
  for (size_t i = 0; i < commands.size(); ++i)
    all.emplace_back(new Supervisor(commands[i], timeout_s, startup_timeout_s, repeat, *logs.at(i), Spawn{}));
  for (auto& s : all) s->await_ready();
  return all;
}

Supervisor::~Supervisor() { end_worker(10); }

std::string Supervisor::end_worker(double grace_s) {
  if (!worker_) return "";
  const std::string how = worker_->finish(grace_s);
  worker_.reset();
  return how;
}

void Supervisor::start_worker() {
  spawn();
  await_ready();
}

void Supervisor::spawn() {
  worker_ = std::make_unique<WorkerProcess>(command_);
  ++started_;
}

void Supervisor::await_ready() {
  std::string why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt) {
      std::this_thread::sleep_for(std::chrono::seconds(1));  // let the driver tear the last one down
      spawn();
    }
    const pid_t pid = worker_->pid();
    std::string line;
    const Read r = worker_->channel().read_line(line, startup_timeout_s_);
    json m;
    if (r == Read::kLine && json::accept(line) && (m = json::parse(line)).is_object()) {
      if (m.value("type", "") == "ready") {
        if (ready_.is_null()) ready_ = m;
        else log_ << "isolation: " << last_end_ << "; fresh worker pid " << pid << " ready" << std::endl;
        return;
      }
      if (m.value("type", "") == "error") {
        end_worker(10);
        const std::string kind = m.value("kind", "");
        if (kind == "usage" || kind == "no_gpu") protocol::rethrow(m, "");
        why = "worker pid " + std::to_string(pid) + ": " + m.value("what", "");
        continue;
      }
    }
    std::ostringstream t;
    t << startup_timeout_s_;
    why = "worker pid " + std::to_string(pid) +
          (r == Read::kTimeout ? " was not ready within " + t.str() + " s"
           : r == Read::kEof   ? " ended before it was ready"
                               : " sent '" + line.substr(0, 200) + "' instead of ready");
    why += " (" + (r == Read::kTimeout ? worker_->kill() : worker_->finish(10)) + ")";
    worker_.reset();
  }
  throw CudaError("no worker could start, twice: " + why, cudaErrorUnknown);
}

JobResult Supervisor::run(size_t index, const Job& job, const Ahead& ahead) {
  JobResult out;
  Record& rec = out.record;
  rec = job_record(index, job, repeat_);
  const json msg = protocol::job_message(index, job, ahead);
  if (!worker_) start_worker();
  if (!worker_->channel().send(msg)) {  // it ended between configurations: this one never started there
    last_end_ = "worker pid " + std::to_string(worker_->pid()) + " " + end_worker(10) + " between configurations";
    start_worker();
    if (!worker_->channel().send(msg)) {
      rec.status = Status::kLaunchError;
      const pid_t pid = worker_->pid();  // before end_worker() resets worker_
      rec.reason = "could not send the configuration to a fresh worker (pid " + std::to_string(pid) + ", " +
                   end_worker(10) + ")";
      last_end_ = "worker " + rec.reason;
      return out;
    }
  }
  const std::string who = "worker pid " + std::to_string(worker_->pid());
  std::string line;
  const Read r = worker_->channel().read_line(line, timeout_s_);
  if (r == Read::kTimeout) {
    std::ostringstream t;
    t << timeout_s_;
    rec.status = Status::kTimeout;
    rec.reason = "no result within " + t.str() + " s (--timeout): the watchdog killed the " + who;
    worker_->kill();
    worker_.reset();
    last_end_ = who + " killed by the watchdog during " + rec.name();
    return out;
  }
  if (r == Read::kEof) {
    const std::string how = end_worker(10);
    rec.status = Status::kLaunchError;
    rec.reason = "the " + who + " died during this configuration: " + how;
    last_end_ = who + " " + how + " during " + rec.name();
    return out;
  }
  std::string problem;
  bool fatal = false;
  try {
    const json m = json::accept(line) ? json::parse(line) : json();
    if (m.is_object() && m.value("type", "") == "error") {
      end_worker(10);
      protocol::rethrow(m, who + ": ");
    }
    if (!m.is_object() || m.value("type", "") != "record" || m.value("index", json()) != json(index))
      problem = "answered '" + line.substr(0, 200) + "'";
    else if (Record got = m.at("record").get<Record>(); got.name() != rec.name())
      problem = "sent the record of " + got.name();
    else {
      rec = std::move(got);
      fatal = m.value("fatal", false);
    }
  } catch (const json::exception& e) {
    problem = "sent a malformed record (" + std::string(e.what()) + ")";
  }
  if (!problem.empty()) {
    rec = job_record(index, job, repeat_);
    rec.status = Status::kLaunchError;
    rec.reason = "the " + who + " broke the protocol: " + problem + "; it was killed";
    worker_->kill();
    worker_.reset();
    last_end_ = who + " killed for breaking the protocol";
  } else if (fatal) {
    last_end_ = who + " " + end_worker(30) + " after a sticky CUDA error in " + rec.name();
  }
  return out;  // never fatal: the next configuration gets a fresh worker
}

}  // namespace convmish
