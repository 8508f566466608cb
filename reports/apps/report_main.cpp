// report: one results file as Markdown (provenance, best configuration per variant against the floors, failures).
#include <iostream>

#include <CLI/CLI.hpp>

#include "reports/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"report: Markdown report of a convmish results file.\n\nExit codes: 0 done; 2 bad input."};
  std::string results, out;
  app.add_option("results", results, "results JSON written by the tuner")->required();
  app.add_option("-o,--out", out, "write the Markdown here (default: standard output)");
  convmish::ReportOptions o;
  bool no_ncu = false;
  app.add_option("--ncu", o.ncu,
                 "Nsight Compute metrics (ncu_metrics.json from scripts/profile-best.sh) to show beside the timings "
                 "(default: ncu_metrics.json beside RESULTS when it was made from them)");
  app.add_flag("--no-ncu", no_ncu, "show no Nsight Compute metrics, even when ncu_metrics.json lies beside RESULTS");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "report: " << e.what() << " (--help for usage)\n";
    return convmish::kExitBadInput;
  }
  o.auto_ncu = !no_ncu;
  return convmish::run_report(results, out, std::cout, std::cerr, o);
}
