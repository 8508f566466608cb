// Compares two results files configuration by configuration: the ratio of median times with a confidence
// interval, a practical threshold and a family-wise error rate over every configuration compared, plus the status
// changes (a configuration that validated and now does not is a regression whatever its speed). Method and
// verdict rules: reports/README.md.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tuner/results.hpp"

namespace convmish {

enum class Change {
  kSlower,        // whole CI above 1 + threshold and significant after correction: a regression
  kNowIncorrect,  // validated in the baseline, fails validation now: a regression
  kNowFailing,    // ran in the baseline; now a compile error, launch error or timeout: a regression
  kFaster,        // whole CI below 1 - threshold and significant after correction
  kUnknown,       // too few samples, or the CI straddles a threshold, or not significant after correction
  kSame,          // whole CI inside [1 - threshold, 1 + threshold]
  kFixed,         // failed in the baseline, ok now
  kNowUnsupported,  // ran in the baseline, declared unsupported now (a constraint changed; not a regression)
  kNotTimed,      // failed on both sides
  kNew,           // only in the candidate
  kMissing,       // only in the baseline
};
std::string to_string(Change c);
bool is_regression(Change c);

struct CompareOptions {
  double threshold = 0.03;      // practical threshold on the ratio of medians
  double alpha = 0.05;          // family-wise error rate, and 1 - alpha is the CI level
  int min_samples = 10;         // fewer pooled samples on either side: unknown
  bool allow_mismatch = false;  // compare different GPU models or problems anyway
};

// One configuration in one file; repeated runs (several records with the same name) pooled.
struct Side {
  Status status = Status::kOk;  // ok only when every run was ok; else the first failing run's status
  std::string reason;
  int runs = 0;
  std::vector<double> samples_ms;  // every sample of every timed run
  double median_ms = 0;            // of the pooled samples; NaN without samples
};

struct Row {
  std::string name;  // variant/param:value/...
  std::optional<Side> baseline, candidate;
  double ratio = 0;              // candidate median / baseline median; NaN unless both timed
  double ci_lo = 0, ci_hi = 0;   // confidence interval of the ratio (Hodges-Lehmann shift of log times)
  double p_slower = 1, p_faster = 1;  // Holm-adjusted one-sided p-values against 1 +- threshold
  Change change = Change::kUnknown;
  std::string note;  // why, for unknown and status changes
};

struct Comparison {
  CompareOptions options;
  std::string baseline_device, candidate_device, baseline_commit, candidate_commit, problem;
  std::vector<std::string> warnings;  // mismatches allowed by allow_mismatch
  int hypotheses = 0;                 // size of the corrected family (two one-sided tests per timed pair)
  std::vector<Row> rows;              // regressions first, then by name
  int count(Change c) const;
  bool regressed() const;
};

// Throws UsageError when the GPU models or problems differ (unless allowed), on bad options, or on
// non-positive samples.
Comparison compare(const ResultsFile& baseline, const ResultsFile& candidate, const CompareOptions& o = {});

}  // namespace convmish
