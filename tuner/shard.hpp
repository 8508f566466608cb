// Sharding one sweep over a job array (issue #11): `tuner --shard I/N` runs shard I of N of the plan, and
// `tuner merge` puts the shards' results files back together, refusing files of different sweeps and reporting
// configurations missing from the union or measured twice.
//
// The partition is round-robin over the plan's non-baseline jobs in plan order (job k goes to shard k mod N): the
// plan is deterministic for the same options and build (the random strategy draws from a seeded generator), so
// every machine computes the same partition, the shards differ in size by at most one job, and each variant's
// configurations spread evenly over the shards (a hash of the job key would leave shards unbalanced by a quarter
// on a 104-job plan). Each shard records the whole plan's job keys (meta.plan), so merge can check that the shards
// come from one plan and name what is missing. The baseline (cudnn.eager/tf32:1, every round) runs in every
// shard, because speedups are quoted against a baseline of the same run; merge keeps the baseline records of the
// lowest shard index and lists every shard's baseline medians in meta.shards, and never counts the baseline as a
// duplicate. Each record keeps the speedup against its own shard's baseline.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/results.hpp"
#include "tuner/sweep.hpp"

namespace convmish {

struct Shard {
  int index = 0;
  int count = 1;
};

// "I/N" with 0 <= I < N <= kMaxShards; throws UsageError otherwise.
inline constexpr int kMaxShards = 100000;
Shard parse_shard(const std::string& spec);

// Positions in `plan` of shard s's jobs, in plan order: every baseline job, and the non-baseline jobs whose rank
// among the non-baseline jobs is congruent to s.index modulo s.count.
std::vector<size_t> shard_indices(const std::vector<Job>& plan, const Shard& s);

// job_key of every non-baseline job of the plan, in plan order.
std::vector<std::string> planned_keys(const std::vector<Job>& plan);

// meta.shard ({"index", "count"}) and meta.plan ({"jobs", "fnv1a64", "keys"}) of a shard's results file.
nlohmann::json shard_meta(const Shard& s);
nlohmann::json plan_meta(const std::vector<Job>& plan);

struct MergeOutcome {
  ResultsFile merged;
  std::vector<std::string> missing;     // planned job keys no shard holds
  std::vector<std::string> duplicated;  // "key (shards 0, 2)": measured more than once
  std::vector<std::string> unplanned;   // job keys of records that are not in the plan
  size_t planned = 0;                   // job keys in the plan
  bool complete() const { return missing.empty() && duplicated.empty() && unplanned.empty(); }
};

// Merges shard files (sources name them in messages and in meta.merged_from). Throws UsageError when a file is not
// a shard (no meta.shard / meta.plan), when the files differ in problem, suite version, git commit, device model,
// NVRTC options, timer or validation settings, repeat, baseline, shard count or plan, or when a shard index
// repeats or is out of range.
MergeOutcome merge_shards(const std::vector<ResultsFile>& shards, const std::vector<std::string>& sources);

// `tuner merge IN... -o OUT`: reads, merges, writes OUT atomically (also when incomplete), prints what is missing
// or duplicated to `log`. Returns 0 when complete, 1 when anything is missing or duplicated; throws UsageError
// (exit 2) for unreadable or mismatched inputs and an unwritable output.
int merge_command(const std::vector<std::string>& inputs, const std::string& out, std::ostream& log,
                  std::ostream& err);

}  // namespace convmish
