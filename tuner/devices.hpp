// Several GPUs of one host in one sweep (issue #11): `tuner --devices all|I,J,...` runs one supervised worker
// process per listed GPU (the tuner's binary with --worker --device I: its own context, stream, inputs and
// reference; all share the compile cache on disk) and hands the plan's configurations to whichever worker is free.
// Every record names the GPU that ran it (Record::device), meta.devices holds each GPU's metadata, and each GPU
// times the baseline itself, so a record's speedup is against the baseline measured on its own GPU. Where the GPUs
// are not all one model, the log, the summary table and the JSON's "best" block say so (tuner/results.hpp).
#pragma once
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convmish {

struct DeviceList {
  bool all = false;
  std::vector<int> indices;  // when not all: distinct, in the order given
};

// "all" or "I,J,..." (distinct integers >= 0); throws UsageError otherwise.
DeviceList parse_devices(const std::string& spec);
// The GPUs to run on when `count` are present: all of them, or the list. Throws NoGpuError (with `why`, the
// runtime's reason) when none is present, UsageError naming the GPUs present for an index beyond them.
std::vector<int> resolve_devices(const DeviceList& list, int count, const std::string& why);

// The order in which the lanes of a sweep (one per GPU) take the jobs of a plan. Each lane goes through the plan
// in order. The baseline jobs are every lane's own: each GPU times every baseline of the plan, so that its
// speedups are against a baseline it measured. The other jobs are shared: the first lane to reach one takes it.
// One lane thus gets the whole plan in plan order (a sweep on one GPU), and every lane runs a round's baseline
// before its first job of that round. Not thread-safe: the sweep calls it under its lock.
class JobDispenser {
 public:
  JobDispenser(std::vector<bool> is_baseline, size_t lanes);
  // The position of `lane`'s next job; nullopt once there is none for it.
  std::optional<size_t> next(size_t lane);
  // Positions in (after, after + window] that `lane` may still get (to compile them ahead).
  std::vector<size_t> upcoming(size_t lane, size_t after, size_t window) const;

 private:
  std::vector<bool> baseline_;
  size_t shared_ = 0;        // no shared job before this position is left
  std::vector<size_t> own_;  // per lane: no baseline job before this position is left for it
};

// The GPU models of a results file's metadata: the names in meta.devices (--devices), else meta.device's name.
// Throws nlohmann::json::exception when they are missing or malformed.
std::set<std::string> device_models(const nlohmann::json& meta);

}  // namespace convmish
