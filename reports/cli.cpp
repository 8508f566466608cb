#include "reports/cli.hpp"

#include <fstream>

#include "reports/compare_output.hpp"
#include "reports/report.hpp"
#include "tuner/check.hpp"
#include "tuner/results.hpp"

namespace convmish {

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path);
  if (!f) throw UsageError(path.string() + ": cannot write");
  f << text;
  if (!f.flush()) throw UsageError(path.string() + ": write failed");
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
  } catch (const UsageError& e) {
    err << "compare: " << e.what() << "\n";
    return kExitBadInput;
  }
}

int run_report(const std::filesystem::path& results, const std::filesystem::path& markdown, std::ostream& out,
               std::ostream& err) {
  try {
    const std::string text = report_markdown(read_results(results));
    if (markdown.empty()) out << text;
    else write_file(markdown, text);
    return kExitOk;
  } catch (const UsageError& e) {
    err << "report: " << e.what() << "\n";
    return kExitBadInput;
  }
}

}  // namespace convmish
