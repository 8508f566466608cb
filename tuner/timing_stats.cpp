// TimingStats and TimerSettings without the GPU: summary statistics of a sample and the JSON forms (the readers
// of results files use these; timer.cpp does the measuring).
#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "tuner/json_read.hpp"
#include "tuner/timer.hpp"

namespace convmish {

static double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * double(sorted.size() - 1);
  const size_t lo = size_t(std::floor(pos)), hi = size_t(std::ceil(pos));
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

TimingStats summarize(std::vector<double> samples) {
  TimingStats t;
  t.samples = int(samples.size());
  if (samples.empty()) return t;
  std::vector<double> s = samples;
  std::sort(s.begin(), s.end());
  t.min_ms = s.front();
  t.max_ms = s.back();
  t.median_ms = quantile(s, 0.5);
  t.q1_ms = quantile(s, 0.25);
  t.q3_ms = quantile(s, 0.75);
  t.mean_ms = std::accumulate(s.begin(), s.end(), 0.0) / double(s.size());
  double var = 0;
  for (double v : s) var += (v - t.mean_ms) * (v - t.mean_ms);
  t.stddev_ms = s.size() > 1 ? std::sqrt(var / double(s.size() - 1)) : 0.0;
  t.rel_stddev = t.mean_ms > 0 ? t.stddev_ms / t.mean_ms : 0.0;
  t.noise = t.rel_stddev / std::sqrt(double(s.size()));
  t.samples_ms = std::move(samples);
  return t;
}

std::string board_note(const TimingStats& t) {
  std::string s;
  if (t.sm_clock_end_mhz) s += "  " + std::to_string(*t.sm_clock_end_mhz) + " MHz";
  if (t.power_w) s += "  " + std::to_string(int(std::lround(*t.power_w))) + " W";
  if (t.clock_events) {
    std::string events;
    for (const std::string& e : *t.clock_events)
      if (e != "gpu_idle") events += (events.empty() ? "" : ",") + e;
    if (!events.empty()) s += "  " + events;
  }
  return s;
}

void to_json(nlohmann::json& j, const TimerSettings& t) {
  j = {{"mode", t.cold ? "cold" : "hot"}, {"warmup_ms", t.warmup_ms},   {"warmup_min", t.warmup_min},
       {"min_time_s", t.min_time_s},      {"max_time_s", t.max_time_s}, {"min_samples", t.min_samples},
       {"max_samples", t.max_samples},    {"max_noise", t.max_noise}};
}

void to_json(nlohmann::json& j, const TimingStats& t) {
  j = {{"samples", t.samples},     {"median_ms", t.median_ms}, {"mean_ms", t.mean_ms}, {"min_ms", t.min_ms},
       {"max_ms", t.max_ms},       {"stddev_ms", t.stddev_ms}, {"q1_ms", t.q1_ms},     {"q3_ms", t.q3_ms},
       {"noise", t.noise},         {"rel_stddev", t.rel_stddev}, {"converged", t.converged},
       {"total_s", t.total_s},     {"samples_ms", t.samples_ms}};
  j["sm_clock_start_mhz"] = t.sm_clock_start_mhz ? nlohmann::json(*t.sm_clock_start_mhz) : nlohmann::json();
  j["sm_clock_end_mhz"] = t.sm_clock_end_mhz ? nlohmann::json(*t.sm_clock_end_mhz) : nlohmann::json();
  j["power_w"] = t.power_w ? nlohmann::json(*t.power_w) : nlohmann::json();
  j["energy_mj_per_sample"] = t.energy_mj_per_sample ? nlohmann::json(*t.energy_mj_per_sample) : nlohmann::json();
  j["clock_events"] = t.clock_events ? nlohmann::json(*t.clock_events) : nlohmann::json();
}

void from_json(const nlohmann::json& j, TimingStats& t) {
  t = summarize(j.at("samples_ms").get<std::vector<double>>());
  t.converged = j.value("converged", false);
  t.total_s = j.value("total_s", 0.0);
  if (j.contains("sm_clock_start_mhz") && !j["sm_clock_start_mhz"].is_null())
    t.sm_clock_start_mhz = json_int32(j, "sm_clock_start_mhz");
  if (j.contains("sm_clock_end_mhz") && !j["sm_clock_end_mhz"].is_null())
    t.sm_clock_end_mhz = json_int32(j, "sm_clock_end_mhz");
  // Absent from files written before these fields existed, null without NVML.
  t.power_w = json_number_opt(j, "power_w");
  t.energy_mj_per_sample = json_number_opt(j, "energy_mj_per_sample");
  t.clock_events = json_strings_opt(j, "clock_events");
}

}  // namespace convmish
