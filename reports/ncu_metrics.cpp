#include "reports/ncu_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "reports/table.hpp"
#include "tuner/check.hpp"
#include "tuner/json_read.hpp"
#include "tuner/results.hpp"

namespace convmish {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSchema = "convmish.ncu_metrics";
constexpr int kVersion = 1;

std::optional<double> optional_number(const json& k, const char* key) {
  if (!k.contains(key) || k.at(key).is_null()) return std::nullopt;
  if (!k.at(key).is_number()) throw UsageError(std::string("'") + key + "' is not a number");
  return k.at(key).get<double>();
}

// calls x duration; 0 for no calls (0 x an infinite duration would be NaN, which no sort may compare)
double weight(const NcuKernel& k) { return k.calls ? k.calls * k.duration_ns.value_or(0) : 0.0; }

std::string value(const std::optional<double>& v, int digits) { return v ? fixed(*v, digits) : "-"; }

}  // namespace

std::vector<const NcuKernel*> NcuMetrics::of(const std::string& record) const {
  std::vector<const NcuKernel*> out;
  for (const auto& k : kernels)
    if (k.record == record) out.push_back(&k);
  std::stable_sort(out.begin(), out.end(), [](const NcuKernel* a, const NcuKernel* b) { return weight(*a) > weight(*b); });
  return out;
}

NcuMetrics read_ncu_metrics(const fs::path& path) {
  return parse_ncu_metrics(read_text(path, "ncu metrics file"), path);
}

NcuMetrics parse_ncu_metrics(std::string_view text, const fs::path& path) {
  json j;
  try {
    j = parse_bounded(text, path.string());
  } catch (const json::exception& e) {
    throw UsageError(path.string() + ": not JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("schema") || j["schema"] != kSchema)  // value() throws on a non-string
    throw UsageError(path.string() + ": not a " + kSchema + " file");
  const json version = j.value("schema_version", json());
  if (!version.is_number_integer() || version != kVersion)  // 1.0 is not 1: the writer writes an integer
    throw UsageError(path.string() + ": schema_version " + version.dump() + ", expected " + std::to_string(kVersion));
  NcuMetrics m;
  m.path = path;
  try {
    m.results = j.value("results", json()).is_string() ? j["results"].get<std::string>() : "";
    m.nvtx_filter = j.value("nvtx_filter", "");
    for (const json& k : j.at("kernels")) {
      NcuKernel x;
      x.record = k.at("record").get<std::string>();
      x.record_id = json_int32_or(k, "record_id", -1);  // integers in range only (json_read.hpp)
      x.kernel = k.at("kernel").get<std::string>();
      x.calls = int(json_int(k, "calls", 0, std::numeric_limits<int>::max()));
      x.duration_ns = optional_number(k, "duration_ns");
      x.dram_pct = optional_number(k, "dram_throughput_pct");
      x.sm_pct = optional_number(k, "sm_throughput_pct");
      x.occupancy_pct = optional_number(k, "achieved_occupancy_pct");
      x.registers = optional_number(k, "registers_per_thread");
      m.kernels.push_back(std::move(x));
    }
  } catch (const json::exception& e) {
    throw UsageError(path.string() + ": malformed kernel entry (" + e.what() + ")");
  } catch (const UsageError& e) {
    throw UsageError(path.string() + ": malformed kernel entry (" + e.what() + ")");
  }
  return m;
}

std::optional<fs::path> find_ncu_metrics_beside(const fs::path& results) {
  const fs::path candidate = results.parent_path() / "ncu_metrics.json";
  std::error_code ec;
  if (!fs::is_regular_file(candidate, ec)) return std::nullopt;
  try {  // the same size, emptiness and depth limits as every reader; a file that breaks them is not used
    const json j = parse_bounded(read_text(candidate, "ncu metrics file"), candidate.string());
    if (j.value("schema", "") != kSchema || !j.value("results", json()).is_string()) return std::nullopt;
    if (fs::path(j["results"].get<std::string>()).filename() != results.filename()) return std::nullopt;
  } catch (const json::exception&) {
    return std::nullopt;
  } catch (const UsageError&) {
    return std::nullopt;
  }
  return candidate;
}

std::string ncu_section(const NcuMetrics& m, const std::vector<std::string>& records) {
  Table t({"configuration", "kernel", ">calls", ">duration us", ">DRAM %", ">SM %", ">occupancy %", ">registers"});
  for (const auto& r : records)
    for (const NcuKernel* k : m.of(r))
      t.add({r, k->kernel, std::to_string(k->calls),
             k->duration_ns ? fixed(*k->duration_ns / 1e3, 1) : "-", value(k->dram_pct, 1), value(k->sm_pct, 1),
             value(k->occupancy_pct, 1), value(k->registers, 0)});
  if (t.empty()) return "";
  return "## Nsight Compute\n\nFrom " + m.path.filename().string() + " (" +
         (m.nvtx_filter.empty() ? std::string("NVTX filter unknown") : m.nvtx_filter + " NVTX filter") +
         "): every kernel of each profiled configuration, the longest first, medians over its calls. ncu replays "
         "each kernel with its caches flushed and clocks left alone (--clock-control none), so durations are "
         "close to, not equal to, the timings above. DRAM and SM: % of peak sustained throughput; occupancy: "
         "achieved, % of the warps an SM holds.\n\n" + t.markdown();
}

}  // namespace convmish
