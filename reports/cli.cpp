#include "reports/cli.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "reports/compare_output.hpp"
#include "reports/report.hpp"
#include "tuner/check.hpp"
#include "tuner/results.hpp"

namespace convmish {

namespace {

// Writes beside `path`, then renames: a failure (disk full, a directory in the way) leaves whatever `path` held.
void write_file(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp);
    if (!f) throw UsageError(path.string() + ": cannot write (" + std::strerror(errno) + ")");
    f << text;
    if (!f.flush()) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw UsageError(path.string() + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw UsageError(path.string() + ": cannot write (" + ec.message() + ")");
  }
}

}  // namespace

int run_compare(const std::filesystem::path& baseline, const std::filesystem::path& candidate,
                const CompareOptions& o, const std::filesystem::path& markdown, std::ostream& out, std::ostream& err) {
  try {
    const ResultsFile b = read_results(baseline);  // in this order: the first bad file is the one reported
    const Comparison c = compare(b, read_results(candidate), o);
    out << comparison_text(c) << "\n" << comparison_summary(c) << "\n";
    if (!markdown.empty()) write_file(markdown, comparison_markdown(c));
    return c.regressed() ? kExitRegression : kExitOk;
  } catch (const std::exception& e) {  // UsageError; anything else is a reader's defect, still one line and 2
    err << "compare: " << one_line(e.what()) << "\n";
    return kExitBadInput;
  }
}

int run_report(const std::filesystem::path& results, const std::filesystem::path& markdown, std::ostream& out,
               std::ostream& err, const ReportOptions& o) {
  try {
    const ResultsFile f = read_results(results);
    std::optional<NcuMetrics> ncu;
    if (!o.ncu.empty()) {
      ncu = read_ncu_metrics(o.ncu);
    } else if (o.auto_ncu) {
      if (const auto beside = find_ncu_metrics_beside(results)) {
        ncu = read_ncu_metrics(*beside);
        err << "report: Nsight Compute metrics from " << beside->string() << " (--no-ncu: without)\n";
      }
    }
    const std::string text = report_markdown(f, ncu ? &*ncu : nullptr);
    if (markdown.empty()) out << text;
    else write_file(markdown, text);
    return kExitOk;
  } catch (const std::exception& e) {  // UsageError; anything else is a reader's defect, still one line and 2
    err << "report: " << one_line(e.what()) << "\n";
    return kExitBadInput;
  }
}

}  // namespace convmish
