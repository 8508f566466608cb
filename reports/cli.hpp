// What the compare and report binaries do once their arguments are parsed, as functions returning the exit code,
// so that the tests can check the exit codes without spawning processes. Errors: one line on `err`.
#pragma once
#include <filesystem>
#include <ostream>

#include "reports/compare.hpp"

namespace convmish {

inline constexpr int kExitOk = 0, kExitRegression = 1, kExitBadInput = 2;

// Reads both files, prints the table and the summary to `out`, writes Markdown to `markdown` unless it is empty.
// 0: no regression; 1: a regression (slower, now incorrect, now failing); 2: bad input or options.
int run_compare(const std::filesystem::path& baseline, const std::filesystem::path& candidate,
                const CompareOptions& o, const std::filesystem::path& markdown, std::ostream& out, std::ostream& err);

struct ReportOptions {
  std::filesystem::path ncu;  // Nsight Compute metrics (scripts/profile-best.sh's ncu_metrics.json) to show
  bool auto_ncu = true;       // without `ncu`: use ncu_metrics.json beside the results when it names them
};

// Writes the Markdown report of `results` to `markdown`, or to `out` when it is empty. 0, or 2 on bad input.
int run_report(const std::filesystem::path& results, const std::filesystem::path& markdown, std::ostream& out,
               std::ostream& err, const ReportOptions& o = {});

}  // namespace convmish
