// Timing: CUDA events on the variant's stream. One untimed launch, warm-up, then samples until the noise (the
// relative standard error of the mean) is under a threshold after a minimum time (or a cap). Cold mode overwrites
// more than the L2 before each sample on the same stream, with no host sync between the flush and the start event.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <cuda_runtime_api.h>
#include <nlohmann/json_fwd.hpp>

#include "tuner/device.hpp"

namespace convmish {

struct TimerSettings {
  bool cold = true;
  double warmup_ms = 200;     // at least this much device time of warm-up launches
  int warmup_min = 3;         // and at least this many
  double min_time_s = 0.5;    // sample at least this long ...
  double max_time_s = 5.0;    // ... and stop after this long regardless
  int min_samples = 10;
  int max_samples = 100000;
  double max_noise = 0.005;   // stop once the relative standard error of the mean is below this (after
                              // min_time_s)
};

// The shortest sampling window over which TimingStats::power_w is computed: NVML's energy counter moves in steps
// (about every 100 ms on A100/H100 boards, arXiv 2312.02741), so over a window of W seconds the mean power can be off
// by up to 0.1 / W: 20 % at this threshold, the timer's default minimum time.
inline constexpr double kMinPowerWindowS = 0.5;

struct TimingStats {
  int samples = 0;
  double median_ms = 0, mean_ms = 0, min_ms = 0, max_ms = 0, stddev_ms = 0, q1_ms = 0, q3_ms = 0;
  double rel_stddev = 0;      // stddev / mean: the spread of the samples
  double noise = 0;           // rel_stddev / sqrt(samples): the uncertainty of the mean, the stopping criterion
  bool converged = false;     // noise under the threshold before the cap
  double total_s = 0;         // wall time spent sampling
  std::optional<int> sm_clock_start_mhz, sm_clock_end_mhz;
  // NVML over the sampling loop (nullopt without NVML): the board's mean power and its energy per sample, each
  // sample's flush and the host's gaps included (only over kMinPowerWindowS or more, in which the energy counter
  // moved); and what held the clocks down while samples ran (clock_event_names, e.g. sw_power_cap; read at most
  // every 20 ms, OR-ed).
  std::optional<double> power_w, energy_mj_per_sample;
  std::optional<std::vector<std::string>> clock_events;
  std::vector<double> samples_ms;
};

// Summary statistics of a sample (median, quartiles by linear interpolation).
TimingStats summarize(std::vector<double> samples_ms);
// What the board did while a configuration was timed, for the progress line: "  1605 MHz  688 W  sw_power_cap"
// (the SM clock at the end, the mean power, what held the clocks down but an idle GPU); "" without NVML.
std::string board_note(const TimingStats& t);

class Timer {
 public:
  Timer(const DeviceInfo& dev, cudaStream_t s, TimerSettings settings);
  // `launch` enqueues one complete run on the stream. `setup`, when given, is enqueued before every launch
  // (before the flush, outside the timed region): it restores whatever state the launch consumes.
  TimingStats measure(const std::function<void()>& launch, const std::function<void()>& setup = {});
  const TimerSettings& settings() const { return settings_; }
  size_t flush_bytes() const { return flush_.bytes(); }
  // In cold mode, overwrite the flush buffer (more than the L2) on the stream; nothing in hot mode.
  void flush();

 private:
  const DeviceInfo& dev_;
  cudaStream_t s_;
  TimerSettings settings_;
  DeviceBuffer flush_;
};

void to_json(nlohmann::json& j, const TimerSettings& t);
void to_json(nlohmann::json& j, const TimingStats& t);
void from_json(const nlohmann::json& j, TimingStats& t);

}  // namespace convmish
