#include "tuner/worker.hpp"

#include <memory>

#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/job_runner.hpp"
#include "tuner/worker_protocol.hpp"

namespace convmish {

using nlohmann::json;

int run_worker(const Problem& p, const SweepOptions& o, int in_fd, int out_fd) {
  protocol::LineChannel ch(in_fd, out_fd);
  try {
    p.validate();
    const DeviceInfo dev = probe_device(o.device);
    JobRunner runner(p, dev, o);
    if (!ch.send(protocol::ready_message(runner.ready()))) return 0;  // the tuner is gone
    std::string line;
    while (ch.read_line(line, std::nullopt) == protocol::LineChannel::Read::kLine) {
      const json m = json::accept(line) ? json::parse(line) : json();
      if (!m.is_object() || m.value("type", "") != "job")
        throw std::runtime_error("worker: not a job message: '" + line.substr(0, 200) + "'");
      const protocol::JobMessage msg = protocol::parse_job(m);
      const JobResult res = runner.run(msg.index, msg.job, msg.ahead());
      if (!ch.send(protocol::record_message(msg.index, res.record, res.fatal))) return 0;
      if (res.fatal) return kWorkerExitFatalGpu;  // this process's context is lost
    }
    return 0;  // end of file: the sweep is over
  } catch (const std::exception& e) {
    ch.send(protocol::error_message(e));
    return 1;
  }
}

}  // namespace convmish
