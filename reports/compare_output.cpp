#include "reports/compare_output.hpp"

#include <cmath>

#include "reports/table.hpp"

namespace convmish {

namespace {

std::string median_cell(const std::optional<Side>& s) {
  return s && std::isfinite(s->median_ms) ? significant(s->median_ms) : "-";
}

std::string note(const Row& r) {
  std::string n = r.note;
  const int runs_b = r.baseline ? r.baseline->runs : 0, runs_c = r.candidate ? r.candidate->runs : 0;
  if (runs_b > 1 || runs_c > 1)
    n += (n.empty() ? "" : "; ") + std::string("pooled ") + std::to_string(runs_b) + " vs " +
         std::to_string(runs_c) + " runs";
  return n;
}

std::string interval_cell(double lo, double hi) {
  if (!std::isfinite(lo) && !std::isfinite(hi)) return "-";
  std::string s = "[";  // appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on "literal" + string
  s += fixed(lo, 3);
  s += ", ";
  s += fixed(hi, 3);
  return s += "]";
}

Table table(const Comparison& c) {
  std::string ci = ">CI ";
  ci += percent(1 - c.options.alpha, 0);
  Table t({"configuration", ">baseline ms", ">candidate ms", ">ratio", ci, "verdict", "note"});
  for (const Row& r : c.rows) {
    t.add({r.name, median_cell(r.baseline), median_cell(r.candidate), fixed(r.ratio, 3),
           interval_cell(r.ci_lo, r.ci_hi), to_string(r.change), note(r)});
  }
  return t;
}

std::string settings(const Comparison& c) {
  return "threshold " + percent(c.options.threshold) + ", CI level " + percent(1 - c.options.alpha, 0) +
         ", Holm over " + std::to_string(c.hypotheses) + " one-sided tests at family alpha " +
         fixed(c.options.alpha, 3);
}

std::string provenance(const std::string& commit, const std::string& device) {
  return (commit.empty() ? "unknown commit" : commit) + " on " + (device.empty() ? "an unknown GPU" : device);
}

}  // namespace

std::string comparison_text(const Comparison& c) {
  std::string s = table(c).text();
  for (const auto& w : c.warnings) s += "warning: " + w + "\n";
  return s;
}

std::string comparison_summary(const Comparison& c) {
  std::string counts;
  for (int i = 0; i <= int(Change::kMissing); ++i)
    if (const int n = c.count(Change(i)))
      counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + to_string(Change(i));
  return std::to_string(c.rows.size()) + " configurations" + (counts.empty() ? "" : ": " + counts) + " (" +
         settings(c) + ") -> " + (c.regressed() ? "REGRESSION" : "no regression");
}

std::string comparison_markdown(const Comparison& c) {
  std::string s = "## Performance comparison\n\n";
  s += "- Baseline: " + provenance(c.baseline_commit, c.baseline_device) + "\n";
  s += "- Candidate: " + provenance(c.candidate_commit, c.candidate_device) + "\n";
  if (!c.problem.empty()) s += "- Problem: " + c.problem + "\n";
  s += "- Statistics: ratio of median times (candidate / baseline); CI of the Hodges-Lehmann shift of log times; " +
       settings(c) + " (reports/README.md)\n";
  for (const auto& w : c.warnings) s += "- **Warning:** " + w + "\n";
  s += "\n";
  s += table(c).markdown();
  s += "\n**" + comparison_summary(c) + "**\n";
  return s;
}

}  // namespace convmish
