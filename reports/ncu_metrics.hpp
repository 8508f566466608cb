// Nsight Compute headline metrics per kernel, as scripts/profile-best.sh writes them (ncu_metrics.json, schema
// "convmish.ncu_metrics" version 1: reports/README.md), read for `report` to show beside the timings.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convmish {

// One kernel of one profiled configuration: the medians over its calls in the profiled launches.
struct NcuKernel {
  std::string record;  // record name == NVTX range name, "variant/param:value/..."
  int record_id = -1;
  std::string kernel;
  int calls = 0;
  std::optional<double> duration_ns, dram_pct, sm_pct, occupancy_pct, registers;
};

struct NcuMetrics {
  std::filesystem::path path;
  std::string results;      // the results file the profiled configurations came from, as recorded
  std::string nvtx_filter;  // "exact" (one filter per configuration) or "fallback" (the "profile" range)
  std::vector<NcuKernel> kernels;
  // The kernels of one record, the longest (calls x duration) first.
  std::vector<const NcuKernel*> of(const std::string& record) const;
};

// Throws UsageError with the reason (missing, not JSON, wrong schema or version, malformed kernel).
NcuMetrics read_ncu_metrics(const std::filesystem::path& path);
// The same from the file's text; `path` names it in errors and in the report.
NcuMetrics parse_ncu_metrics(std::string_view text, const std::filesystem::path& path);

// `dir/ncu_metrics.json` when it exists and says it was made from a file named like `results`; else nullopt.
std::optional<std::filesystem::path> find_ncu_metrics_beside(const std::filesystem::path& results);

// "## Nsight Compute" with every kernel of the given records (in that order), or "" when none has any.
std::string ncu_section(const NcuMetrics& m, const std::vector<std::string>& records);

}  // namespace convmish
