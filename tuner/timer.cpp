#include "tuner/timer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "tuner/check.hpp"
#include "tuner/nvtx.hpp"

namespace convmish {

Timer::Timer(const DeviceInfo& dev, cudaStream_t s, TimerSettings settings)
    : dev_(dev), s_(s), settings_(settings),
      // Twice the L2 so that no line of the previous sample can survive the flush.
      flush_(settings.cold ? std::max<size_t>(2 * dev.l2_bytes, size_t(64) << 20) : 0) {}

void Timer::flush() {
  if (settings_.cold) CUDA_CHECK(cudaMemsetAsync(flush_.get(), 0, flush_.bytes(), s_));
}

TimingStats Timer::measure(const std::function<void()>& launch, const std::function<void()>& setup) {
  using clock = std::chrono::steady_clock;
  Event start, stop;
  auto prepare = [&] {
    if (setup) setup();
    flush();
  };
  // Untimed first launch (module load, lazy initialisation), then warm-up by device time.
  if (setup) setup();
  launch();
  CUDA_CHECK(cudaStreamSynchronize(s_));
  double warm = 0;
  {  // warm-up, as its own NVTX range
    NvtxPhase<phase::Warmup> warmup_range;
    for (int i = 0; i < settings_.warmup_min || warm < settings_.warmup_ms; ++i) {
      prepare();
      start.record(s_);
      launch();
      stop.record(s_);
      CUDA_CHECK(cudaEventSynchronize(stop.get()));
      warm += elapsed_ms(start, stop);
      if (i > 100000) break;
    }
  }
  std::vector<double> samples;
  const auto clock_start = sm_clock_mhz(dev_);
  const auto energy_start = energy_mj(dev_);
  const auto t0 = clock::now();
  // What held the clocks down while samples ran: NVML read after a sample is queued and before waiting for it (the
  // timing is on the GPU's events, so the read costs it nothing), at most every 20 ms, the reasons seen OR-ed.
  std::optional<unsigned long long> events;
  auto last_read = t0 - std::chrono::seconds(1);
  bool converged = false;
  for (;;) {
    prepare();  // same stream, no host sync between flush and the start event
    start.record(s_);
    launch();
    stop.record(s_);
    if (clock::now() - last_read >= std::chrono::milliseconds(20)) {
      if (const auto r = clock_event_reasons(dev_)) events = events.value_or(0) | *r;
      last_read = clock::now();
    }
    CUDA_CHECK(cudaEventSynchronize(stop.get()));
    samples.push_back(elapsed_ms(start, stop));
    const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    if (int(samples.size()) >= settings_.min_samples && elapsed >= settings_.min_time_s) {
      const TimingStats s = summarize(samples);
      if (s.noise <= settings_.max_noise) {
        converged = true;
        break;
      }
    }
    if (elapsed >= settings_.max_time_s || int(samples.size()) >= settings_.max_samples) {
      if (int(samples.size()) >= settings_.min_samples || elapsed >= 10 * settings_.max_time_s) break;
    }
  }
  const auto energy_end = energy_mj(dev_);
  const double window_s = std::chrono::duration<double>(clock::now() - t0).count();
  TimingStats t = summarize(std::move(samples));
  t.converged = converged;
  t.total_s = window_s;
  t.sm_clock_start_mhz = clock_start;
  t.sm_clock_end_mhz = sm_clock_mhz(dev_);
  // NVML's energy counter moves in steps (kMinPowerWindowS): over a shorter window, or one in which it did not move,
  // the power would be noise, so it is left out.
  if (energy_start && energy_end && *energy_end > *energy_start && window_s >= kMinPowerWindowS && t.samples > 0) {
    const double mj = double(*energy_end - *energy_start);
    t.power_w = mj / 1e3 / window_s;
    t.energy_mj_per_sample = mj / t.samples;
  }
  if (events) t.clock_events = clock_event_names(*events);
  return t;
}

}  // namespace convmish
