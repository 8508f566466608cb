// Running planned configurations: the Executor a sweep hands its jobs to, and JobRunner, which runs them in this
// process (compiled ahead on a window of upcoming jobs, loaded, validated on fresh inputs, timed when correct).
// The in-process sweep and the isolated worker both run their jobs through JobRunner.
#pragma once
#include <cstddef>
#include <future>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/session.hpp"
#include "tuner/sweep.hpp"

namespace convmish {

struct JobResult {
  Record record;       // speedup not set: the sweep quotes it against its baseline
  bool fatal = false;  // a sticky CUDA error: the process that ran it cannot run anything more on the GPU
};

// Where a sweep's jobs run: in this process or in a supervised worker.
class Executor {
 public:
  virtual ~Executor() = default;
  // {"device": DeviceInfo JSON, "nvrtc_arch": "sm_90", "copy_bandwidth": Session::copy_bandwidth()}.
  virtual const nlohmann::json& ready() const = 0;
  // Runs job `index`; `ahead` are jobs likely to run next (compiled meanwhile). A failure of the configuration
  // is a status on the record; throws only when nothing more can run (UsageError, NoGpuError, CudaError).
  virtual JobResult run(size_t index, const Job& job, const Ahead& ahead) = 0;
  // Job `index` will not run (time budget): drop what was started for it.
  virtual void discard(size_t index) = 0;
};

// Runs jobs in this process on one Session. A sticky CUDA error comes back as a fatal result: the caller must
// stop using this runner.
class JobRunner : public Executor {
 public:
  JobRunner(const Problem& p, const DeviceInfo& dev, const SweepOptions& o);
  ~JobRunner() override;  // waits for the compilations still in flight
  const nlohmann::json& ready() const override { return ready_; }
  JobResult run(size_t index, const Job& job, const Ahead& ahead) override;
  void discard(size_t index) override;
  // Starts compiling job `index` unless already started (or unsupported).
  void prefetch(size_t index, const Job& job);

 private:
  struct Pending {
    Support support;
    std::vector<std::future<CompiledKernel>> futures;
  };
  const Problem& p_;
  const DeviceInfo& dev_;
  const SweepOptions& o_;
  Session session_;
  Compiler compiler_;
  nlohmann::json ready_;
  std::map<size_t, Pending> pending_;
};

}  // namespace convmish
