#include "tuner/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tuner/check.hpp"
#include "tuner/cudnn_conv.hpp"
#include "tuner/device.hpp"
#include "tuner/gpu_ops.hpp"
#include "tuner/job_runner.hpp"
#include "tuner/json_read.hpp"
#include "tuner/nvtx.hpp"
#include "tuner/reference.hpp"
#include "tuner/rtc.hpp"
#include "tuner/session.hpp"
#include "tuner/shard.hpp"
#include "tuner/supervisor.hpp"
#include "tuner/tolerance.hpp"
#include "tuner/build_info.hpp"

namespace convmish {

using nlohmann::json;

Config baseline_config() { return Config{{"tf32", 1}}; }

std::vector<Job> plan_jobs(const SweepOptions& o, const Problem* p, std::vector<std::string>* notes) {
  std::vector<Job> jobs;
  const auto selected = Registry::instance().match(o.variants);
  const Variant* base = Registry::instance().find(kBaselineVariant);
  if (o.baseline && base) jobs.push_back({base, baseline_config(), true});
  std::mt19937_64 rng(o.seed ^ 0x5eedull);
  for (const auto& [name, value] : o.pin)
    if (std::none_of(selected.begin(), selected.end(), [&](const Variant* v) { return v->space().has(name); }))
      throw UsageError("--pin " + name + ":" + std::to_string(value) + ": no selected variant has a parameter '" +
                       name + "'");
  const std::vector<std::vector<Config>> given = o.configs.empty() ? std::vector<std::vector<Config>>(selected.size())
                                                                   : given_configs(selected, o.configs);
  for (size_t vi = 0; vi < selected.size(); ++vi) {
    const Variant* v = selected[vi];
    std::vector<Config> configs;
    ParamSpace space = v->space();
    if (!o.pin.empty()) {
      try {
        space = space.pinned(o.pin);
      } catch (const UsageError& e) {
        throw UsageError("--pin for " + v->id() + ": " + e.what() + " (choose the variants with -v)");
      }
    }
    if (!o.pin.empty() && space.enumerate(1).empty())
      throw UsageError("--pin " + config_string(o.pin) + ": no valid configuration of " + v->id() + " has it");
    std::function<Config(const Config&)> same;
    if (p) same = [v, p](const Config& c) { return v->runs_as(*p, c); };
    size_t left_out = 0;
    if (!o.configs.empty()) {
      configs = given[vi];
    } else if (o.strategy == "exhaustive") {
      configs = space.enumerate(o.budget.value_or(std::numeric_limits<size_t>::max()), same, &left_out);
    } else if (o.strategy == "random") {
      configs = space.sample(o.budget.value_or(16), rng, same, &left_out);
    } else {
      throw UsageError("unknown strategy '" + o.strategy + "' (exhaustive, random)");
    }
    if (p && o.configs.empty())  // each drawn configuration planned as it runs there, where its space allows that
      for (Config& c : configs)
        if (Config r = v->runs_as(*p, c); !space.violation(r)) c = std::move(r);
    if (left_out > 0 && notes)
      notes->push_back(v->id() + ": " + std::to_string(left_out) + " " +
                       (o.strategy == "random" ? "draw" : "configuration") + (left_out == 1 ? "" : "s") +
                       " left out: on " + p->name +
                       " each runs as a configuration already planned (a parameter that falls back on this shape)");
    for (auto& c : configs) {
      if (o.baseline && base && v == base && c == baseline_config()) continue;  // already first
      jobs.push_back({v, std::move(c), false});
    }
  }
  if (o.repeat < 1) throw UsageError("--repeat must be at least 1");
  const size_t per_round = jobs.size();
  for (int r = 1; r < o.repeat; ++r)
    for (size_t i = 0; i < per_round; ++i) {
      Job j = jobs[i];
      j.round = r;
      jobs.push_back(std::move(j));
    }
  return jobs;
}

std::string job_key(const std::string& record_name, int round) { return record_name + "#" + std::to_string(round); }

std::map<std::string, Record> resumable_records(const std::filesystem::path& out, const Problem& p,
                                                const std::set<std::string>& models, const TimerSettings& timer,
                                                int checks) {
  std::map<std::string, Record> prev;
  if (out.empty() || !std::filesystem::exists(journal_path(out))) return prev;
  const ResultsFile j = read_journal(journal_path(out));
  auto refuse = [&](const std::string& what) {
    throw UsageError("--resume: " + journal_path(out).string() + " was written for " + what +
                     "; choose another --out or remove the journal");
  };
  try {
    const Problem jp = j.meta.at("problem").get<Problem>();
    if (!(jp == p) || jp.seed != p.seed) refuse("another problem or input seed (" + jp.shape_string() + ")");
    if (const std::set<std::string> theirs = device_models(j.meta); theirs != models) {
      std::string names;
      for (const auto& m : theirs) names += (names.empty() ? "" : ", ") + m;
      refuse("another GPU (" + names + ")");
    }
    if (j.meta.at("suite_version").get<std::string>() != CONVMISH_VERSION ||
        j.meta.at("git_commit").get<std::string>() != CONVMISH_GIT_COMMIT)
      refuse("another build (" + j.meta["git_commit"].get<std::string>() + ")");
    if (j.meta.value("nvrtc_extra_options", json::array()) != json(extra_nvrtc_options()))
      refuse("other CONVMISH_NVRTC_OPTIONS (" + j.meta.value("nvrtc_extra_options", json::array()).dump() + ")");
    // json_int32: a user's 1.5 or 1e300 is a clear refusal, not a truncation or an out-of-range conversion.
    if (j.meta.at("timer") != json(timer) || json_int32(j.meta, "checks_per_config") != checks)
      refuse("other timer or validation settings");
  } catch (const json::exception& e) {
    refuse(std::string("a file whose metadata is incomplete or malformed (") + e.what() + ")");
  }
  for (const Record& r : j.records)
    if (r.variant != kBaselineVariant || r.params != baseline_config())  // the baseline is always timed afresh
      prev[job_key(r.name(), r.details.value("round", 0))] = r;
  return prev;
}

namespace {
std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return ts;
}
}  // namespace

json run_metadata() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const std::string ts = utc_now();
  int nvrtc_major = 0, nvrtc_minor = 0;
  nvrtcVersion(&nvrtc_major, &nvrtc_minor);
  return {{"suite", "convmish"},
          {"suite_version", CONVMISH_VERSION},
          {"git_commit", CONVMISH_GIT_COMMIT},
          {"host", host},
          {"started_utc", ts},
          {"nvrtc_version", std::to_string(nvrtc_major) + "." + std::to_string(nvrtc_minor)},
          {"cudnn_version", cudnn_version_string()},
          {"cuda_build_version", CUDART_VERSION},
          {"nvrtc_extra_options", extra_nvrtc_options()}};
}

namespace {

std::string fmt(double v, int prec) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}

std::string sci(double v) {
  std::ostringstream s;
  s << std::scientific << std::setprecision(2) << v;
  return s.str();
}

}  // namespace

Record job_record(size_t index, const Job& job, int repeat) {
  Record rec;
  rec.id = int(index);
  rec.variant = job.variant->id();
  rec.params = job.config;
  rec.precision = job.variant->precision(job.config);
  if (repeat > 1) rec.details["round"] = job.round;
  return rec;
}

namespace {

// The one-line progress report of a finished configuration; `tag` names the GPU that ran it (--devices).
std::string progress_line(size_t i, size_t n, const Record& rec, const std::string& tag) {
  std::ostringstream line;
  const int name_width = std::max<int>(44, int(rec.name().size()) + 1);
  line << "[" << std::setw(3) << (i + 1) << "/" << n << "] " << tag << std::left << std::setw(name_width)
       << rec.name() << std::right << " " << std::setw(13) << to_string(rec.status);
  if (rec.timing)
    line << " " << std::setw(9) << fmt(rec.timing->median_ms, 3) << " ms " << std::setw(6) << fmt(rec.tflops, 1)
         << " TFLOP/s  rel_l2 " << (rec.verdict ? sci(rec.verdict->rel_l2) : "-") << "  spread "
         << fmt(100 * rec.timing->rel_stddev, 2) << "%" << board_note(*rec.timing) << parts_note(rec);
  else if (!rec.reason.empty())
    line << "  " << rec.reason.substr(0, rec.reason.find('\n'));
  return line.str();
}

// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, L2 50 MiB)" from an Executor's ready().
std::string device_line(const json& ready) {
  const json& dev = ready.at("device");
  return dev.at("name").get<std::string>() + " (" + ready.at("nvrtc_arch").get<std::string>() + ", " +
         std::to_string(dev.value("sm_count", 0)) + " SMs, L2 " +
         std::to_string(dev.value("l2_bytes", size_t(0)) >> 20) + " MiB)";
}

// In this process: the device and a JobRunner on it.
class InProcess : public Executor {
 public:
  InProcess(const Problem& p, const SweepOptions& o) : dev_(probe_device(o.device)), runner_(p, dev_, o) {}
  const json& ready() const override { return runner_.ready(); }
  JobResult run(size_t index, const Job& job, const Ahead& ahead) override { return runner_.run(index, job, ahead); }
  void discard(size_t index) override { runner_.discard(index); }

 private:
  DeviceInfo dev_;
  JobRunner runner_;
};

// One GPU's part of a sweep: where its jobs run, and the baseline its speedups are quoted against.
struct Lane {
  std::unique_ptr<Executor> exec;
  Supervisor* supervisor = nullptr;
  std::optional<DeviceTag> device;  // --devices: stamped on every record it runs
  std::ostringstream log;           // --devices: its supervisor's messages, passed on to the sweep's log
  std::optional<double> baseline_ms;
  json baseline_medians = json::array();
  size_t records = 0;
};

// The lanes of a sweep, set up: one in this process or its worker; with --devices one per GPU, whose workers start
// and set up (inputs, reference, copy bandwidth) at once. Throws the first failure in the order of the GPUs.
std::vector<std::unique_ptr<Lane>> start_lanes(const Problem& p, const SweepOptions& o, std::ostream& log) {
  std::vector<std::unique_ptr<Lane>> lanes;
  const double startup_timeout_s = std::max(o.timeout_s, 60.0);
  if (!o.devices) {
    Lane& lane = *lanes.emplace_back(std::make_unique<Lane>());
    if (o.worker_command.empty()) {
      lane.exec = std::make_unique<InProcess>(p, o);
    } else {
      auto s = std::make_unique<Supervisor>(o.worker_command, o.timeout_s, startup_timeout_s, o.repeat, log);
      lane.supervisor = s.get();
      lane.exec = std::move(s);
    }
    return lanes;
  }
  if (o.worker_command.empty()) throw std::invalid_argument("run_sweep: --devices needs a worker command");
  std::string why;
  const int count = o.count_gpus ? o.count_gpus(&why) : gpu_count(&why);
  std::vector<std::vector<std::string>> commands;
  std::vector<std::ostream*> logs;
  for (const int d : resolve_devices(*o.devices, count, why)) {
    commands.push_back(o.worker_command);
    commands.back().insert(commands.back().end(), {"--device", std::to_string(d)});
    logs.push_back(&lanes.emplace_back(std::make_unique<Lane>())->log);
  }
  auto supervisors = Supervisor::start_all(commands, o.timeout_s, startup_timeout_s, o.repeat, logs);
  for (size_t k = 0; k < lanes.size(); ++k) {
    lanes[k]->device = supervisors[k]->ready().at("device").get<DeviceTag>();
    lanes[k]->supervisor = supervisors[k].get();
    lanes[k]->exec = std::move(supervisors[k]);
  }
  return lanes;
}

// meta.devices[k]: the GPU, its NVRTC architecture and copy bandwidth; at the end also its workers, records and
// baseline medians.
json lane_meta(const Lane& lane, bool finished) {
  json m = lane.exec->ready();
  m.erase("type");
  m.erase("pid");
  if (finished) {
    m["workers_started"] = lane.supervisor->workers_started();
    m["records"] = lane.records;
    m["baseline_median_ms"] = lane.baseline_medians;
  }
  return m;
}

}  // namespace

std::vector<Record> run_sweep(const Problem& p, const SweepOptions& o, std::ostream& log) {
  p.validate();
  std::vector<std::string> plan_notes;
  const std::vector<Job> plan = plan_jobs(o, &p, &plan_notes);  // usage errors before touching the GPU
  // With --shard, only this shard's jobs run; `plan_index` keeps each job's position in the whole plan, which is
  // its record id and seeds its validation inputs, so a shard's records are those of an unsharded sweep.
  const std::optional<Shard> shard =
      o.shard_count > 0 ? std::optional<Shard>(Shard{o.shard_index, o.shard_count}) : std::nullopt;
  std::vector<size_t> plan_index(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) plan_index[i] = i;
  if (shard) plan_index = shard_indices(plan, *shard);
  std::vector<Job> jobs;
  for (size_t i : plan_index) jobs.push_back(plan[i]);
  if (!o.worker_command.empty() && !(o.timeout_s > 0)) throw UsageError("--timeout must be positive");
  NvtxPhase<phase::Sweep> sweep_range;

  // The GPU side is set up (in a worker with isolation) before the journal is touched.
  const std::vector<std::unique_ptr<Lane>> lanes = start_lanes(p, o, log);
  const json& ready = lanes[0]->exec->ready();
  std::set<std::string> models;
  for (const auto& lane : lanes) models.insert(lane->exec->ready().at("device").at("name").get<std::string>());

  json meta = run_metadata();
  meta["device"] = ready.at("device");  // with --devices: the first GPU's, every GPU's in meta.devices
  meta["problem"] = p;
  meta["timer"] = o.timer;
  meta["checks_per_config"] = o.checks;
  meta["repeat"] = o.repeat;
  meta["strategy"] = o.strategy;
  meta["variants"] = o.variants;
  if (!o.pin.empty()) meta["pin"] = config_string(o.pin);
  meta["baseline"] = o.baseline ? json(std::string(kBaselineVariant) + "/" + config_string(baseline_config())) : json();
  meta["nvrtc_arch"] = ready.at("nvrtc_arch");
  meta["tolerances"] = json::array();
  for (const auto& t : all_tolerances())
    meta["tolerances"].push_back({{"precision", t.precision}, {"rel_l2", t.rel_l2}, {"atol", t.atol},
                                  {"rtol", t.rtol}, {"why", t.why}});
  meta["copy_bandwidth"] = ready.at("copy_bandwidth");
  if (shard) {
    meta["shard"] = shard_meta(*shard);
    meta["plan"] = plan_meta(plan);
  }
  meta["isolation"] =
      lanes[0]->supervisor ? json{{"worker", true}, {"timeout_s", o.timeout_s}} : json{{"worker", false}};
  auto devices_meta = [&](bool finished) {
    json d = json::array();
    for (const auto& lane : lanes) d.push_back(lane_meta(*lane, finished));
    return d;
  };
  if (o.devices) meta["devices"] = devices_meta(false);
  const auto previous =
      o.resume ? resumable_records(o.out, p, models, o.timer, o.checks) : std::map<std::string, Record>{};
  std::vector<const Record*> resumed(jobs.size(), nullptr);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto it = previous.find(job_key(record_name(jobs[i].variant->id(), jobs[i].config), jobs[i].round));
    if (it != previous.end()) resumed[i] = &it->second;
  }
  ResultsWriter writer(o.out, meta);
  // The writer has just started a new journal: put the kept records back first, before anything can fail.
  for (size_t i = 0; i < jobs.size(); ++i)
    if (resumed[i]) {
      Record rec = *resumed[i];
      rec.id = int(plan_index[i]);
      writer.add(rec);
    }
  writer.flush();
  if (!previous.empty())
    log << "resuming: " << std::count_if(resumed.begin(), resumed.end(), [](auto r) { return r != nullptr; })
        << " of " << jobs.size() << " configurations kept from the journal of " << o.out.string() << "\n";

  log << "convmish " << CONVMISH_VERSION << " (" << CONVMISH_GIT_COMMIT << ") on "
      << (o.devices ? std::to_string(lanes.size()) + (lanes.size() == 1 ? " GPU" : " GPUs") : device_line(ready))
      << "\n";
  for (size_t k = 0; o.devices && k < lanes.size(); ++k) {
    const json& r = lanes[k]->exec->ready();
    log << "gpu " << lanes[k]->device->index << ": " << device_line(r) << ", worker pid " << r.value("pid", 0)
        << ", device-to-device copy " << fmt(r.at("copy_bandwidth").at("gbps").get<double>(), 0) << " GB/s\n";
  }
  log << "problem " << p.name << ": " << p.shape_string() << ", " << fmt(p.flops() / 1e9, 2) << " GFLOP, "
      << fmt(p.min_bytes() / 1e9, 3) << " GB minimal traffic; " << jobs.size() << " configurations"
      << (shard ? " (shard " + std::to_string(shard->index) + "/" + std::to_string(shard->count) + " of " +
                      std::to_string(plan.size()) + " planned, the baseline in every shard)"
                : std::string())
      << ", timer "
      << (o.timer.cold ? "cold" : "hot") << "\n";
  for (const std::string& note : plan_notes) log << note << "\n";
  if (!p.default_inputs())
    log << "inputs: x uniform in [" << p.x_lo << ", " << p.x_hi << "), weights and bias +-" << p.w_scale
        << "/sqrt(C*R*S)\n";
  if (o.devices) {
    log << "isolation: one worker per GPU, each configuration to whichever is free, watchdog " << o.timeout_s
        << " s per configuration; every GPU times the baseline, and its speedups are against its own\n";
    if (models.size() > 1)
      log << "note: " << models.size() << " GPU models: times of different models are not comparable, the summary "
          << "ranks each model on its own\n";
  } else {
    if (lanes[0]->supervisor)
      log << "isolation: configurations run in worker pid " << ready.value("pid", 0) << ", watchdog "
          << o.timeout_s << " s per configuration (--no-isolation: in this process)\n";
    log << "device-to-device copy of the output size: " << fmt(ready["copy_bandwidth"]["gbps"].get<double>(), 0)
        << " GB/s (read + write), the floor for memory-bound parts\n";
  }
  const auto t_start = std::chrono::steady_clock::now();

  // Each lane takes its next job from the dispenser under the lock and runs it outside; compilation runs ahead of
  // the GPU on a window of upcoming jobs.
  const size_t window = std::max<size_t>(8, 2 * std::thread::hardware_concurrency());
  std::vector<bool> is_baseline;
  for (const Job& job : jobs) is_baseline.push_back(job.is_baseline);
  JobDispenser dispenser(std::move(is_baseline), lanes.size());
  size_t skipped_for_time = 0;
  std::mutex mu;
  std::exception_ptr failure;  // the first; the other lanes finish the job they run, then stop
  auto run_lane = [&](size_t k) {
    Lane& lane = *lanes[k];
    const std::string tag = lane.device ? "gpu " + std::to_string(lane.device->index) + "  " : "";
    std::unique_lock lock(mu);
    try {
      for (std::optional<size_t> next; !failure && (next = dispenser.next(k));) {
        const size_t i = *next;
        const Job& job = jobs[i];
        if (resumed[i]) {  // measured by an earlier run of this sweep, already in the writer
          log << "[" << std::setw(3) << (i + 1) << "/" << jobs.size() << "] " << resumed[i]->name() << "  "
              << to_string(resumed[i]->status) << " (kept from the journal)" << std::endl;
          continue;
        }
        if (o.time_budget_s && !(job.is_baseline && job.round == 0) &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() > *o.time_budget_s) {
          ++skipped_for_time;
          lane.exec->discard(plan_index[i]);
          continue;
        }
        Ahead ahead;
        for (size_t j : dispenser.upcoming(k, i, window))
          if (!resumed[j]) ahead.emplace_back(plan_index[j], &jobs[j]);
        lock.unlock();
        JobResult res = lane.exec->run(plan_index[i], job, ahead);
        lock.lock();
        std::istringstream worker_news(lane.log.str());
        for (std::string line; std::getline(worker_news, line);) log << tag << line << "\n";
        lane.log.str("");
        Record& rec = res.record;
        rec.device = lane.device;
        ++lane.records;
        if (job.is_baseline) lane.baseline_medians.push_back(rec.timing ? json(rec.timing->median_ms) : json());
        if (rec.status == Status::kOk && rec.timing) {
          if (job.is_baseline) lane.baseline_ms = rec.timing->median_ms;
          if (lane.baseline_ms) rec.speedup = *lane.baseline_ms / rec.timing->median_ms;
        }
        log << progress_line(i, jobs.size(), rec, tag) << std::endl;
        writer.add(rec);
        if (res.fatal)  // in this process only: a worker's sticky error ends that worker, not the sweep
          throw CudaError("the CUDA context is lost after " + rec.name() + " (" + rec.reason +
                              "); the records so far are in " + o.out.string(),
                          cudaErrorLaunchFailure);
      }
    } catch (...) {
      if (!lock.owns_lock()) lock.lock();
      if (!failure) failure = std::current_exception();
    }
  };
  if (lanes.size() == 1) {
    run_lane(0);  // on this thread: an in-process runner's device is current on it
  } else {
    std::vector<std::jthread> threads;
    for (size_t k = 0; k < lanes.size(); ++k) threads.emplace_back(run_lane, k);
  }
  if (failure) std::rethrow_exception(failure);
  if (skipped_for_time)
    log << skipped_for_time << " configurations not tried: the time budget of " << *o.time_budget_s
        << " s was reached\n";
  if (lanes[0]->supervisor) {
    int started = 0;
    for (const auto& lane : lanes) started += lane->supervisor->workers_started();
    writer.set_meta("workers_started", started);
  }
  if (o.devices) writer.set_meta("devices", devices_meta(true));
  writer.set_meta("finished", true);
  writer.set_meta("finished_utc", utc_now());
  writer.set_meta("sweep_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count());
  writer.set_meta("not_tried_time_budget", skipped_for_time);
  return writer.records();
}

}  // namespace convmish
