#include "reports/report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "reports/ncu_metrics.hpp"
#include "reports/table.hpp"
#include "tuner/check.hpp"
#include "tuner/problem.hpp"
#include "tuner/sweep.hpp"

namespace convmish {

using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kFloorNote =
    "Floors: memory = the problem's minimal traffic (read x, w, b once, write y once) at the device-to-device copy "
    "bandwidth measured in the same run; compute = 494.7 TFLOP/s for tf32 and 66.9 TFLOP/s for the fp32 classes, "
    "the H100 SXM datasheet dense rates. On other GPUs (an H100 PCIe or NVL included) the compute percentages are "
    "against the wrong peak: read them as relative numbers only.";

std::string text(const json& meta, const char* pointer, const std::string& fallback = "unknown") {
  const json::json_pointer p(pointer);
  if (!meta.contains(p) || meta.at(p).is_null()) return fallback;
  return meta.at(p).is_string() ? meta.at(p).get<std::string>() : meta.at(p).dump();
}

double number(const json& meta, const char* pointer) {
  const json::json_pointer p(pointer);
  return meta.contains(p) && meta.at(p).is_number() ? meta.at(p).get<double>() : kNaN;
}

std::optional<Problem> problem_of(const json& meta) {
  if (!meta.contains("problem")) return std::nullopt;
  try {
    return meta.at("problem").get<Problem>();
  } catch (const json::exception& e) {
    throw UsageError(std::string("meta.problem is malformed (") + e.what() + ")");
  }
}

double compute_peak(const std::string& precision) {
  if (precision == "tf32") return kTf32PeakTflops;
  if (precision.rfind("fp32", 0) == 0) return kFfmaPeakTflops;
  return kNaN;
}

std::string header(const ResultsFile& f, const std::optional<Problem>& p) {
  const json& m = f.meta;
  const std::string device = text(m, "/device/name");
  std::string s = "# convmish results: " + (p ? p->name : std::string("unknown problem")) + " on " + device + "\n\n";
  s += "- Device: " + device + " (compute capability " + text(m, "/device/compute_capability") + ", " +
       text(m, "/device/sm_count") + " SMs, driver " + text(m, "/device/driver_version") + ")\n";
  if (const json gpus = m.value("devices", json()); gpus.is_array())
    s += "- GPUs: " + std::to_string(gpus.size()) + " (tuner --devices); each record names its GPU, and its speedup is "
         "against the baseline timed on that GPU\n";
  if (const json mixed = best_of(f.records).value("mixed_models", json()); mixed.is_array()) {
    std::string models;
    for (const json& name : mixed) models += (models.empty() ? "" : ", ") + name.get<std::string>();
    s += "- **Several GPU models** (" + models + "): the tables below rank times of different GPUs together; "
         "compare times within one model only\n";
  }
  s += "- Commit: " + text(m, "/git_commit") + " (suite " + text(m, "/suite_version") + ")\n";
  s += "- Date: " + text(m, "/started_utc") + "\n";
  if (p)
    s += "- Problem: " + p->name + ", " + p->shape_string() + (p->bias ? ", bias" : ", no bias") + ", Mish x" +
         std::to_string(p->mish_count) + ": " + significant(p->flops() / 1e9) + " GFLOP, " +
         significant(p->min_bytes() / 1e6) + " MB minimal traffic\n";
  s += "- Timer: " + text(m, "/timer/mode") + " L2, baseline " + text(m, "/baseline", "none") + "\n";
  const double copy = number(m, "/copy_bandwidth/gbps");
  if (std::isfinite(copy)) s += "- Copy bandwidth: " + fixed(copy, 0) + " GB/s (device to device, read + write)\n";
  const auto ok =
      std::count_if(f.records.begin(), f.records.end(), [](const Record& r) { return r.status == Status::kOk; });
  s += "- Configurations: " + std::to_string(f.records.size()) + " tried, " + std::to_string(ok) + " ok\n";
  return s;
}

std::string best_section(const ResultsFile& f, const std::optional<Problem>& p, const NcuMetrics* ncu,
                         std::vector<std::string>* names) {
  const json best = best_of(f.records)["per_variant"];
  std::vector<const Record*> rows;
  for (const auto& [variant, b] : best.items())
    if (const Record* r = best_record(f.records, b)) rows.push_back(r);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Record* a, const Record* b) { return a->timing->median_ms < b->timing->median_ms; });
  const double copy = number(f.meta, "/copy_bandwidth/gbps");
  const double memory_floor_ms = p && copy > 0 ? p->min_bytes() / (copy * 1e9) * 1e3 : kNaN;
  std::vector<std::string> columns = {"variant", "config", "precision", ">median ms", ">TFLOP/s", ">GB/s",
                                      ">% memory floor", ">% compute floor", ">rel_l2", ">vs baseline", ">MHz",
                                      ">W"};
  if (ncu) columns.insert(columns.end(), {">ncu DRAM %", ">ncu SM %", ">ncu occupancy %", ">ncu registers"});
  Table t(columns);
  std::string parts;
  for (const Record* r : rows) {
    const double ms = r->timing->median_ms;
    const std::string config = config_string(r->params);
    std::vector<std::string> cells = {
        r->variant, config.empty() ? "(none)" : config, r->precision, significant(ms), fixed(r->tflops, 2),
        fixed(r->gbps, 0), percent(memory_floor_ms / ms), percent(r->tflops / compute_peak(r->precision)),
        r->verdict ? sci(r->verdict->rel_l2) : "-", r->speedup ? fixed(*r->speedup, 2) + "x" : "-",
        r->timing->sm_clock_end_mhz ? std::to_string(*r->timing->sm_clock_end_mhz) : "-",
        r->timing->power_w ? fixed(*r->timing->power_w, 0) : "-"};
    if (ncu) {  // the configuration's longest kernel
      const auto kernels = ncu->of(r->name());
      auto cell = [&](std::optional<double> NcuKernel::*m, int digits) {
        return kernels.empty() || !(kernels[0]->*m) ? std::string("-") : fixed(*(kernels[0]->*m), digits);
      };
      cells.insert(cells.end(), {cell(&NcuKernel::dram_pct, 1), cell(&NcuKernel::sm_pct, 1),
                                 cell(&NcuKernel::occupancy_pct, 1), cell(&NcuKernel::registers, 0)});
    }
    t.add(cells);
    if (names) names->push_back(r->name());
    if (r->details.contains("parts")) parts += "- " + r->name() + ":" + parts_note(*r) + "\n";
  }
  if (t.empty()) return "## Best configuration per variant\n\nNo configuration validated and was timed.\n";
  std::string s = "## Best configuration per variant\n\nFastest validated configuration of each variant, fastest "
                  "first; 'vs baseline' is the baseline's median over this one; MHz is the SM clock at the end of its "
                  "timing, W the board's mean power over it (NVML; '-' where absent).\n\n" + t.markdown() + "\n" +
                  kFloorNote + "\n";
  if (ncu)
    s += "\nThe ncu columns are Nsight Compute's metrics of each configuration's longest kernel (" +
         ncu->path.filename().string() + "; every kernel under Nsight Compute below).\n";
  if (!parts.empty()) s += "\n### Parts timed alone\n\n" + parts;
  return s;
}

std::string failure_section(const std::vector<Record>& records) {
  const std::vector<Status> failures = {Status::kIncorrect, Status::kCompileError, Status::kLaunchError,
                                        Status::kUnsupported, Status::kTimeout};
  struct Tally {
    int tried = 0;
    std::map<Status, int> count;
    std::string first_reason;
  };
  std::map<std::string, Tally> per_variant;
  for (const Record& r : records) {
    Tally& t = per_variant[r.variant];
    ++t.tried;
    if (r.status == Status::kOk) continue;
    ++t.count[r.status];
    if (t.first_reason.empty()) t.first_reason = to_string(r.status) + ": " + r.reason;
  }
  std::vector<std::string> columns = {"variant", ">tried"};
  for (Status s : failures) columns.push_back(std::string(">").append(to_string(s)));  // GCC 12: no ">" + str
  columns.push_back("first reason");
  Table t(columns);
  for (const auto& [variant, tally] : per_variant) {
    if (tally.count.empty()) continue;
    std::vector<std::string> cells = {variant, std::to_string(tally.tried)};
    for (Status s : failures) cells.push_back(std::to_string(tally.count.count(s) ? tally.count.at(s) : 0));
    cells.push_back(tally.first_reason.size() > 160 ? tally.first_reason.substr(0, 157) + "..." : tally.first_reason);
    t.add(cells);
  }
  return "## Failures\n\n" + (t.empty() ? std::string("None: every configuration tried validated and was timed.\n")
                                        : t.markdown());
}

}  // namespace

std::string report_markdown(const ResultsFile& f, const NcuMetrics* ncu) {
  const std::optional<Problem> p = problem_of(f.meta);
  std::vector<std::string> names;
  std::string s = header(f, p) + "\n" + best_section(f, p, ncu, &names) + "\n" + failure_section(f.records);
  if (ncu) {
    const std::string section = ncu_section(*ncu, names);
    s += "\n" + (section.empty() ? "## Nsight Compute\n\n" + ncu->path.filename().string() +
                                        " holds no kernel of these configurations.\n"
                                  : section);
  }
  return s;
}

}  // namespace convmish
