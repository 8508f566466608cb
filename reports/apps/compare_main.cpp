// compare: the CI regression gate. Compares a candidate results file against a baseline configuration by
// configuration; exit 1 when anything regressed. Statistics and verdicts: reports/README.md.
#include <iostream>

#include <CLI/CLI.hpp>

#include "reports/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "compare: ratio of median times per configuration (candidate / baseline) with a confidence interval from the\n"
      "Hodges-Lehmann shift of log times, a practical threshold and a Holm-Bonferroni correction over all\n"
      "configurations; status changes (validated before, incorrect now) count as regressions.\n\n"
      "Exit codes: 0 no regression; 1 a regression (slower, now incorrect, now failing); 2 bad input."};
  std::string baseline, candidate, markdown;
  convmish::CompareOptions o;
  app.add_option("baseline", baseline, "baseline results JSON")->required();
  app.add_option("candidate", candidate, "candidate results JSON")->required();
  app.add_option("--threshold", o.threshold, "practical threshold on the ratio (0.03: 3%)")->capture_default_str();
  app.add_option("--alpha", o.alpha, "family-wise error rate; CIs at level 1 - alpha")->capture_default_str();
  app.add_option("--min-samples", o.min_samples, "fewer samples on a side: unknown")->capture_default_str();
  app.add_flag("--allow-mismatch", o.allow_mismatch, "compare runs of different GPU models or problems");
  app.add_option("--markdown", markdown, "also write the comparison as Markdown to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "compare: " << e.what() << " (--help for usage)\n";
    return convmish::kExitBadInput;
  }
  return convmish::run_compare(baseline, candidate, o, markdown, std::cout, std::cerr);
}
