// The sweep: Problem -> Variant x Config -> compile -> launch -> Verdict -> Measurement -> Record -> JSON.
// Each configuration is validated on fresh inputs before it is timed; failures become statuses on the record.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tuner/devices.hpp"
#include "tuner/results.hpp"
#include "tuner/timer.hpp"
#include "tuner/variant.hpp"

namespace convmish {

struct SweepOptions {
  std::string variants = "*";          // comma-separated globs over variant ids
  std::string strategy = "random";      // or "exhaustive"
  std::optional<size_t> budget;         // at most this many configurations per variant
  std::optional<double> time_budget_s;  // stop starting new configurations after this long
  std::vector<Config> configs;          // only these configurations (-c; each to the selected variants it fits)
  Config pin;                           // sweep only configurations with these values (where a variant has them)
  uint64_t seed = 0;                    // inputs and random strategy
  int checks = 1;                       // validations on independent fresh inputs per configuration
  int repeat = 1;                       // rounds over the whole plan (independent measurements for `compare`)
  bool resume = false;                  // keep the records of out's journal for the same problem/device/suite
  bool baseline = true;                 // time cudnn.eager/tf32:1 first and quote speedups against it
  TimerSettings timer;
  std::filesystem::path out;            // JSON report ("" : none)
  std::filesystem::path cache_dir;      // NVRTC cache ("" : none)
  int device = 0;
  // Isolation: a non-empty command runs every configuration in a worker process started with it (the tuner
  // passes its own binary with --worker) that a supervisor restarts after a crash, a sticky CUDA error or a
  // watchdog timeout; empty runs everything in this process (a sticky error then ends the sweep).
  std::vector<std::string> worker_command;
  double timeout_s = 120;               // per configuration, with isolation: then the worker is killed
  int shard_index = 0, shard_count = 0;  // --shard I/N: run only shard I of N of the plan (tuner/shard.hpp); 0: all
  // --devices: one worker per listed GPU (worker_command plus --device I), each configuration run on whichever is
  // free (tuner/devices.hpp); nullopt: `device` alone. `count_gpus` resolves it (empty: gpu_count(); tests fake GPUs).
  std::optional<DeviceList> devices;
  std::function<int(std::string* why)> count_gpus;
};

// Baseline every speedup is quoted against.
inline const char* kBaselineVariant = "cudnn.eager";
Config baseline_config();

// One planned configuration.
struct Job {
  const Variant* variant;
  Config config;
  bool is_baseline = false;
  int round = 0;
};

// Jobs to compile ahead while one runs: (index in the plan, job).
using Ahead = std::vector<std::pair<size_t, const Job*>>;

// The record of job `index` before it runs: id, variant, parameters, precision class, and the round when the
// plan repeats.
Record job_record(size_t index, const Job& job, int repeat);

// Plans the jobs (baseline first), checking every explicit configuration against its space; with repeat > 1 the
// same plan runs that many rounds one after the other, so each round is an independent measurement. With the
// problem, drawn and enumerated configurations are planned as they run there (Variant::runs_as: tstore:0 for a
// drawn tstore:1 where it falls back), those that run as one already planned are left out, the next draw taken
// instead, and `notes` (if given) gets a line per variant that had any.
std::vector<Job> plan_jobs(const SweepOptions& o, const Problem* p = nullptr,
                           std::vector<std::string>* notes = nullptr);

// The records of `out`'s journal, keyed by job_key, when it was written for the same problem and input seed,
// GPU models (device_models), build (suite version and commit), timer settings and checks; throws UsageError naming the
// mismatch otherwise. The baseline is never kept: speedups are quoted against a baseline of the same run.
// No journal: nothing to resume.
std::map<std::string, Record> resumable_records(const std::filesystem::path& out, const Problem& p,
                                                const std::set<std::string>& models, const TimerSettings& timer,
                                                int checks);
std::string job_key(const std::string& record_name, int round);

// Runs the sweep on the GPU (in worker processes when o.worker_command is set; one per GPU with o.devices);
// progress lines go to `log`. Throws NoGpuError without a GPU, UsageError for bad options, CudaError when a GPU is
// lost (in-process: a sticky error; isolated: no fresh worker could start; with several GPUs the others finish
// the configuration they run, then the sweep ends). Returns every record (also written to o.out as they
// finish).
std::vector<Record> run_sweep(const Problem& p, const SweepOptions& o, std::ostream& log);

// Metadata common to every report: suite version, commit, host, time, versions.
nlohmann::json run_metadata();

}  // namespace convmish
