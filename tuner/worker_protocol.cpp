#include "tuner/worker_protocol.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>

#include "tuner/check.hpp"

namespace convmish::protocol {

using nlohmann::json;

namespace {
json job_json(size_t index, const Job& job) {
  return {{"index", index}, {"variant", job.variant->id()}, {"config", job.config}, {"round", job.round},
          {"baseline", job.is_baseline}};
}

Job job_from(const json& j) {
  const std::string id = j.at("variant").get<std::string>();
  const Variant* v = Registry::instance().find(id);
  if (!v) throw std::runtime_error("job for variant '" + id + "', which this binary does not hold");
  return Job{v, j.at("config").get<Config>(), j.at("baseline").get<bool>(), j.at("round").get<int>()};
}
}  // namespace

json job_message(size_t index, const Job& job, const Ahead& ahead) {
  json m = job_json(index, job);
  m["type"] = "job";
  m["prefetch"] = json::array();
  for (const auto& [i, j] : ahead) m["prefetch"].push_back(job_json(i, *j));
  return m;
}

Ahead JobMessage::ahead() const {
  Ahead a;
  for (const auto& [i, j] : prefetch) a.emplace_back(i, &j);
  return a;
}

JobMessage parse_job(const json& m) {
  try {
    JobMessage out;
    out.index = m.at("index").get<size_t>();
    out.job = job_from(m);
    for (const auto& p : m.at("prefetch")) out.prefetch.emplace_back(p.at("index").get<size_t>(), job_from(p));
    return out;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("malformed job message: ") + e.what());
  }
}

json ready_message(const json& ready) {
  json m = ready;
  m["type"] = "ready";
  m["pid"] = ::getpid();
  return m;
}

json record_message(size_t index, const Record& r, bool fatal) {
  return {{"type", "record"}, {"index", index}, {"record", r}, {"fatal", fatal}};
}

json error_message(const std::exception& e) {
  const char* kind = dynamic_cast<const UsageError*>(&e)   ? "usage"
                     : dynamic_cast<const NoGpuError*>(&e) ? "no_gpu"
                     : dynamic_cast<const CudaError*>(&e)  ? "cuda"
                                                           : "other";
  return {{"type", "error"}, {"kind", kind}, {"what", e.what()}};
}

void rethrow(const json& error, const std::string& context) {
  const std::string kind = error.value("kind", "other");
  const std::string what = context + error.value("what", std::string("(no reason given)"));
  if (kind == "usage") throw UsageError(what);
  if (kind == "no_gpu") throw NoGpuError(what);
  if (kind == "cuda") throw CudaError(what, cudaErrorUnknown);
  throw std::runtime_error(what);
}

bool LineChannel::send(const json& message) {
  const std::string line = message.dump() + "\n";
  size_t done = 0;
  bool socket = true;
  while (done < line.size()) {
    ssize_t n = socket ? ::send(out_, line.data() + done, line.size() - done, MSG_NOSIGNAL) : -1;
    if (n < 0 && socket && errno == ENOTSOCK) {
      socket = false;
      continue;
    }
    if (!socket) n = ::write(out_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

LineChannel::Read LineChannel::read_line(std::string& line, std::optional<double> timeout_s) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
                                           std::chrono::duration<double>(timeout_s.value_or(0)));
  for (;;) {
    if (const size_t nl = buf_.find('\n'); nl != std::string::npos) {
      line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return Read::kLine;
    }
    int wait_ms = -1;
    if (timeout_s) {
      const double left = std::chrono::duration<double, std::milli>(deadline - clock::now()).count();
      if (left <= 0) return Read::kTimeout;
      wait_ms = int(std::ceil(std::min(left, 3.6e6)));
    }
    pollfd pfd{in_, POLLIN, 0};
    const int r = ::poll(&pfd, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Read::kEof;
    if (r == 0) continue;  // the deadline check above decides
    char chunk[65536];
    const ssize_t n = ::read(in_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return Read::kEof;
    buf_.append(chunk, size_t(n));
  }
}

}  // namespace convmish::protocol
