// tuner --profile: run a few chosen configurations a fixed number of times inside cudaProfilerStart/Stop, each
// launch inside its configuration's NVTX range, and print the ncu and nsys commands that capture exactly those
// launches. The selection is the usual filters (--variants, --config, --problem; no --config: each variant's
// default) or the best `ok` configuration of each variant in a results file (--profile-best). No L2 flush, no
// sampling: the profilers do their own cache control and replay.
#pragma once
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"
#include "tuner/variant.hpp"

namespace convmish {

// Nsight Compute sections that hold the headline metrics: SpeedOfLight (duration, SM and DRAM throughput),
// Occupancy (achieved occupancy), LaunchStats (registers per thread). Sections rather than --metrics, so that the
// DRAM metric's per-architecture name (dram__throughput or gpu__dram_throughput) is whatever the section uses.
inline const std::vector<std::string> kNcuSections = {"SpeedOfLight", "Occupancy", "LaunchStats"};
// The range around all profiled launches, in the convmish domain: the coarse filter scripts/profile-best.sh
// falls back to when the exact per-configuration filters capture nothing.
inline constexpr const char* kProfileRange = "profile";

struct ProfileOptions {
  std::string variants = "*";
  std::vector<Config> configs;            // these configurations (-c; each to the selected variants it fits), else
                                          // each variant's default
  std::filesystem::path best_of;          // results JSON: profile the best ok configuration of each variant
  int launches = 3;                       // launches of each configuration inside the profiled region
  bool validate = true;                   // one validation on fresh inputs before profiling
  uint64_t seed = 0;
  int device = 0;
  std::filesystem::path cache_dir;
  std::filesystem::path plan;             // write the plan (targets, commands, outcome) here; "" none
  std::string ncu_report = "convmish-profile";  // ncu -o (".ncu-rep" added by ncu); nsys gets "-nsys"
  std::vector<std::string> argv;          // this command line, rerun under the profilers (without --dry-run)
};

struct ProfileTarget {
  const Variant* variant = nullptr;
  Config config;
  int id = 0;                      // NVTX payload: the record id in --profile-best's file, else the index
  std::string name;                // record name == NVTX range name
  std::string source;              // where the configuration came from
  std::optional<double> median_ms; // its median in --profile-best's file
  std::string status = "planned";  // planned, profiled, skipped
  std::string reason;              // why skipped
};

// The configurations to profile, in registry order. With best_of, `p` becomes that file's problem unless
// `problem_given`. Throws UsageError (a filter matching nothing, a configuration outside a space, a bad file).
std::vector<ProfileTarget> select_profile_targets(const ProfileOptions& o, Problem& p, bool problem_given);

// ncu --nvtx-include configuration for push/pop range `range_name` in the convmish domain. ncu reads '/' as the
// delimiter between nested push/pop ranges, and '@ , [ ] * +' as quantifiers too; record names hold '/' between
// parameters, so each such character is escaped with '\' (Nsight Compute CLI docs, "NVTX Filtering": quantifiers
// in domain or range names take a '\' prefix), and a trailing '/' marks the configuration as a push/pop range:
// "mish.float4/block:256" -> "convmish@mish.float4\/block:256/". ':' and '.' are not quantifiers outside the
// regex: form, so the range names need no change and stay equal to the records' names.
std::string ncu_nvtx_filter(const std::string& range_name);

// The ncu command (argv) that captures the targets' launches: NVTX filters, --profile-from-start off,
// --clock-control none, the headline sections, -o report. `fallback`: one filter on the "profile" range instead.
std::vector<std::string> ncu_command(const std::vector<ProfileTarget>& targets, const ProfileOptions& o,
                                     bool fallback = false);
std::vector<std::string> nsys_command(const ProfileOptions& o);
// The profiled command itself: o.argv without --dry-run.
std::vector<std::string> profiled_command(const ProfileOptions& o);
// One shell word per argument, single-quoted where needed.
std::string shell_join(const std::vector<std::string>& argv);

nlohmann::json profile_plan(const Problem& p, const std::vector<ProfileTarget>& targets, const ProfileOptions& o);
// The selection and the two commands, as printed by tuner --profile.
void print_profile_plan(const Problem& p, const std::vector<ProfileTarget>& targets, const ProfileOptions& o,
                        std::ostream& out);

// On the GPU: compiles, loads and (optionally) validates every target, then cudaProfilerStart, `launches`
// launches of each inside its NVTX range, cudaProfilerStop. A target that is unsupported, fails to compile or
// validate is skipped with the reason (its status says so). Returns how many were profiled. Throws NoGpuError
// without a GPU.
int run_profile(const Problem& p, std::vector<ProfileTarget>& targets, const ProfileOptions& o, std::ostream& log);

// tuner --profile as a whole: select, print the plan and the commands, write o.plan; unless `dry_run`, run the
// profile on the GPU and rewrite o.plan with each target's outcome. Returns the exit code: 0, or 1 when a
// target could not be profiled (the reason is printed and in the plan). Throws what the steps throw.
int profile_command(Problem p, bool problem_given, const ProfileOptions& o, bool dry_run, std::ostream& out);

}  // namespace convmish
