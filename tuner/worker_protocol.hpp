// The isolation protocol between the tuner and its worker process: JSON objects, one a line, over a socket.
//   tuner -> worker: {"type":"job", "index", "variant", "config", "round", "baseline", "prefetch":[jobs]}
//   worker -> tuner: {"type":"ready", "pid", "device", "nvrtc_arch", "copy_bandwidth"} once set up,
//                    {"type":"record", "index", "record", "fatal"} per job (fatal: a sticky CUDA error, the
//                    worker exits next), or {"type":"error", "kind", "what"} when it cannot go on.
// The tuner closing the socket ends the worker.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/sweep.hpp"

namespace convmish::protocol {

nlohmann::json job_message(size_t index, const Job& job, const Ahead& ahead);

struct JobMessage {
  size_t index = 0;
  Job job;
  std::vector<std::pair<size_t, Job>> prefetch;
  Ahead ahead() const;  // prefetch as (index, pointer into this message)
};
// Throws std::runtime_error naming what is wrong (missing field, variant not registered in this binary).
JobMessage parse_job(const nlohmann::json& m);

nlohmann::json ready_message(const nlohmann::json& ready);  // Executor::ready() plus type and pid
nlohmann::json record_message(size_t index, const Record& r, bool fatal);

// An exception as a message: kind "usage" (UsageError), "no_gpu" (NoGpuError), "cuda" (CudaError) or "other".
nlohmann::json error_message(const std::exception& e);
// Throws the exception an error message stands for, its text prefixed by `context` (may be empty).
[[noreturn]] void rethrow(const nlohmann::json& error, const std::string& context);

// One end of the socket: whole lines out, whole lines in with an optional deadline.
class LineChannel {
 public:
  LineChannel(int in_fd, int out_fd) : in_(in_fd), out_(out_fd) {}
  // False when the peer is gone (never raises SIGPIPE).
  bool send(const nlohmann::json& message);
  enum class Read { kLine, kEof, kTimeout };
  // The next line without its newline; kEof once the peer closed its end (or a read error).
  Read read_line(std::string& line, std::optional<double> timeout_s);

 private:
  int in_, out_;
  std::string buf_;
};

}  // namespace convmish::protocol
