// The GPU side of measuring one problem: stream, cuDNN handle, problem buffers, reference and timer, and the steps
// every front end (the sweep, the Google Benchmark binary) takes with a configuration: load its compiled kernels
// and instantiate it, validate it on fresh inputs, time it, time its parts.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/cudnn_conv.hpp"
#include "tuner/device.hpp"
#include "tuner/reference.hpp"
#include "tuner/results.hpp"
#include "tuner/rtc.hpp"
#include "tuner/timer.hpp"
#include "tuner/variant.hpp"

namespace convmish {

// A configuration ready to launch: its loaded libraries (kept alive), the instance, its workspace, and the
// per-kernel facts a record shows (registers, shared memory, spills, compile time, cache hit, NVRTC log).
struct PreparedConfig {
  std::vector<LoadedLibrary> libs;
  std::unique_ptr<Instance> instance;
  DeviceBuffer workspace;
  nlohmann::json kernels = nlohmann::json::array();
  double compile_ms = 0;
};

class Session {
 public:
  Session(const Problem& p, const DeviceInfo& dev, const TimerSettings& timer, int checks);

  // `compiled` are the variant's kernels(p, c) compiled, in order. Throws what loading or instantiating throws.
  PreparedConfig prepare(const Variant& v, const Config& c, const std::vector<CompiledKernel>& compiled);
  // Validates on `checks` independent fresh inputs (the last set stays in the buffers for timing).
  Verdict validate(Instance& inst, const std::string& precision, Buffers& b, uint64_t seed);
  TimingStats time(Instance& inst, Buffers& b);
  // A device-to-device copy of the output's size, timed like everything else: the bandwidth floor that
  // memory-bound parts are quoted against (bytes counted as read + write).
  nlohmann::json copy_bandwidth();
  // Times each part of a launch alone; before every sample the output is restored to what the earlier parts
  // leave (from a snapshot in the reference buffer, which validation no longer needs).
  nlohmann::json time_parts(Instance& inst, Buffers& b);

  Buffers buffers(void* workspace);
  LaunchEnv env() { return LaunchEnv{dev_, cudnn_.get(), stream_.get()}; }
  cudaStream_t stream() const { return stream_.get(); }
  Timer& timer() { return timer_; }

 private:
  const Problem& p_;
  const DeviceInfo& dev_;
  int checks_;
  Stream stream_;
  CudnnHandle cudnn_;
  ProblemBuffers buf_;
  GpuReference ref_;
  Timer timer_;
  double copy_gbps_ = 0;
};

}  // namespace convmish
