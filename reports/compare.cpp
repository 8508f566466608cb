#include "reports/compare.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "reports/stats.hpp"
#include "reports/table.hpp"
#include "tuner/check.hpp"
#include "tuner/problem.hpp"

namespace convmish {

using nlohmann::json;

std::string to_string(Change c) {
  switch (c) {
    case Change::kSlower: return "slower";
    case Change::kNowIncorrect: return "now incorrect";
    case Change::kNowFailing: return "now failing";
    case Change::kFaster: return "faster";
    case Change::kUnknown: return "unknown";
    case Change::kSame: return "same";
    case Change::kFixed: return "fixed";
    case Change::kNowUnsupported: return "now unsupported";
    case Change::kNotTimed: return "not timed";
    case Change::kNew: return "new";
    case Change::kMissing: return "missing";
  }
  return "?";
}

bool is_regression(Change c) {
  return c == Change::kSlower || c == Change::kNowIncorrect || c == Change::kNowFailing;
}

int Comparison::count(Change c) const {
  return int(std::count_if(rows.begin(), rows.end(), [c](const Row& r) { return r.change == c; }));
}

bool Comparison::regressed() const {
  return std::any_of(rows.begin(), rows.end(), [](const Row& r) { return is_regression(r.change); });
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string meta_string(const json& meta, const char* pointer) {
  const json::json_pointer p(pointer);
  return meta.contains(p) && meta.at(p).is_string() ? meta.at(p).get<std::string>() : "";
}

// The problem as a key that ignores its preset name and input seed (neither changes the work timed).
std::string problem_key(const json& meta, const std::string& which, std::string* shown) {
  if (!meta.contains("problem")) return "";
  try {
    json j = meta.at("problem").get<Problem>();
    *shown = j.at("name").get<std::string>() + " " + j.at("shape").get<std::string>();
    j.erase("name");
    j.erase("seed");
    return j.dump();
  } catch (const json::exception& e) {
    throw UsageError(which + ": meta.problem is malformed (" + e.what() + ")");
  }
}

// Records pooled by name, in first-seen order.
struct Pooled {
  std::vector<std::string> order;
  std::map<std::string, Side> sides;
};

Pooled pool(const std::vector<Record>& records) {
  Pooled out;
  for (const Record& r : records) {
    const std::string name = r.name();
    auto [it, fresh] = out.sides.try_emplace(name);
    if (fresh) out.order.push_back(name);
    Side& s = it->second;
    if (s.status == Status::kOk && r.status != Status::kOk) s.status = r.status, s.reason = r.reason;
    ++s.runs;
    if (r.status == Status::kOk && r.timing) {
      for (double t : r.timing->samples_ms)
        if (!(t > 0) || !std::isfinite(t))
          throw UsageError(name + ": timing sample " + std::to_string(t) + " is not a positive time");
      s.samples_ms.insert(s.samples_ms.end(), r.timing->samples_ms.begin(), r.timing->samples_ms.end());
    }
  }
  for (auto& [name, s] : out.sides) s.median_ms = median(s.samples_ms);
  return out;
}

// The verdict of a pair whose statuses alone decide it; nullopt for a pair to be timed.
std::optional<Change> status_change(const Row& row) {
  if (!row.baseline) return Change::kNew;
  if (!row.candidate) return Change::kMissing;
  const Status b = row.baseline->status, c = row.candidate->status;
  if (b == Status::kOk && c == Status::kOk) return std::nullopt;
  if (b == Status::kOk && c == Status::kIncorrect) return Change::kNowIncorrect;
  if (b == Status::kOk && c == Status::kUnsupported) return Change::kNowUnsupported;
  if (b == Status::kOk) return Change::kNowFailing;
  return c == Status::kOk ? Change::kFixed : Change::kNotTimed;
}

std::string status_note(const Row& row) {
  auto say = [](const Side& s) { return to_string(s.status) + (s.reason.empty() ? "" : ": " + s.reason); };
  std::string note;
  if (row.baseline && row.baseline->status != Status::kOk) note = "was " + say(*row.baseline);
  if (row.candidate && row.candidate->status != Status::kOk)
    note += (note.empty() ? "" : "; now ") + say(*row.candidate);
  return note;
}

void check_options(const CompareOptions& o) {
  if (!(o.threshold > 0 && o.threshold < 1)) throw UsageError("threshold must be in (0, 1), e.g. 0.03 for 3%");
  if (!(o.alpha > 0 && o.alpha < 1)) throw UsageError("alpha must be in (0, 1), e.g. 0.05");
  if (o.min_samples < 2) throw UsageError("min_samples must be at least 2");
}

// Decides a timed pair once its adjusted p-values are known.
void decide(Row& row, const CompareOptions& o, int hypotheses) {
  const double up = 1 + o.threshold, down = 1 - o.threshold;
  auto beyond = [&](Change c, double p, const std::string& where) {
    row.change = p <= o.alpha ? c : Change::kUnknown;
    if (row.change == Change::kUnknown)
      row.note = "CI " + where + " but p=" + sci(p) + " after Holm over " + std::to_string(hypotheses) + " tests";
  };
  if (row.ci_lo > up) {
    beyond(Change::kSlower, row.p_slower, "above " + fixed(up, 2));
  } else if (row.ci_hi < down) {
    beyond(Change::kFaster, row.p_faster, "below " + fixed(down, 2));
  } else if (row.ci_lo >= down && row.ci_hi <= up) {
    row.change = Change::kSame;
  } else {
    row.change = Change::kUnknown;
    row.note = "CI straddles " + fixed(row.ci_hi > up ? up : down, 2);
  }
}

}  // namespace

Comparison compare(const ResultsFile& baseline, const ResultsFile& candidate, const CompareOptions& o) {
  check_options(o);
  Comparison out;
  out.options = o;
  out.baseline_device = meta_string(baseline.meta, "/device/name");
  out.candidate_device = meta_string(candidate.meta, "/device/name");
  out.baseline_commit = meta_string(baseline.meta, "/git_commit");
  out.candidate_commit = meta_string(candidate.meta, "/git_commit");
  std::string shown_b, shown_c;
  const std::string key_b = problem_key(baseline.meta, "baseline", &shown_b);
  const std::string key_c = problem_key(candidate.meta, "candidate", &shown_c);
  out.problem = shown_b == shown_c ? shown_b : shown_b + " vs " + shown_c;

  auto mismatch = [&](const std::string& why) {
    if (!o.allow_mismatch) throw UsageError(why + "; timings are not comparable (--allow-mismatch to compare anyway)");
    out.warnings.push_back(why);
  };
  if (out.baseline_device != out.candidate_device)
    mismatch("baseline ran on '" + out.baseline_device + "', candidate on '" + out.candidate_device + "'");
  if (key_b != key_c)
    mismatch("baseline problem is '" + shown_b + "', candidate's '" + shown_c + "' (configurations of different "
             "problems never pair)");
  const std::string mode_b = meta_string(baseline.meta, "/timer/mode");
  const std::string mode_c = meta_string(candidate.meta, "/timer/mode");
  if (mode_b != mode_c) out.warnings.push_back("timer modes differ: " + mode_b + " vs " + mode_c);

  // Pair by problem + configuration name; a problem mismatch makes every key differ.
  const Pooled b = pool(baseline.records), c = pool(candidate.records);
  const bool paired = key_b == key_c;
  for (const auto& name : b.order) {
    Row& row = out.rows.emplace_back();
    row.name = name;
    row.baseline = b.sides.at(name);
    if (paired && c.sides.count(name)) row.candidate = c.sides.at(name);
  }
  for (const auto& name : c.order) {
    if (paired && b.sides.count(name)) continue;
    Row& row = out.rows.emplace_back();
    row.name = name;
    row.candidate = c.sides.at(name);
  }

  std::vector<double> raw_p;  // two one-sided hypotheses per timed pair: slower, faster
  std::vector<Row*> timed;
  const double log_up = std::log1p(o.threshold), log_down = std::log1p(-o.threshold);
  for (Row& row : out.rows) {
    row.ratio = row.ci_lo = row.ci_hi = kNaN;
    if (const auto ch = status_change(row)) {
      row.change = *ch;
      row.note = status_note(row);
      continue;
    }
    const auto &xs = row.baseline->samples_ms, &ys = row.candidate->samples_ms;
    row.ratio = row.candidate->median_ms / row.baseline->median_ms;
    if (int(xs.size()) < o.min_samples || int(ys.size()) < o.min_samples) {
      row.change = Change::kUnknown;
      row.note = "too few samples (" + std::to_string(xs.size()) + " vs " + std::to_string(ys.size()) + ", need " +
                 std::to_string(o.min_samples) + ")";
      continue;
    }
    std::vector<double> lx(xs.size()), ly(ys.size());
    std::transform(xs.begin(), xs.end(), lx.begin(), [](double v) { return std::log(v); });
    std::transform(ys.begin(), ys.end(), ly.begin(), [](double v) { return std::log(v); });
    const Interval ci = shift_interval(lx, ly, o.alpha);
    row.ci_lo = std::exp(ci.lo);
    row.ci_hi = std::exp(ci.hi);
    raw_p.push_back(mann_whitney_p(lx, ly, log_up, true));
    raw_p.push_back(mann_whitney_p(lx, ly, log_down, false));
    timed.push_back(&row);
  }
  const std::vector<double> adjusted = holm_adjust(raw_p);
  out.hypotheses = int(raw_p.size());
  for (size_t i = 0; i < timed.size(); ++i) {
    timed[i]->p_slower = adjusted[2 * i];
    timed[i]->p_faster = adjusted[2 * i + 1];
    decide(*timed[i], o, out.hypotheses);
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), [](const Row& l, const Row& r) {
    return l.change != r.change ? l.change < r.change : l.name < r.name;
  });
  return out;
}

}  // namespace convmish
