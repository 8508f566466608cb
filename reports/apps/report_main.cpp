// report: one results file as Markdown (provenance, best configuration per variant against the floors, failures).
#include <iostream>

#include <CLI/CLI.hpp>

#include "reports/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"report: Markdown report of a convmish results file.\n\nExit codes: 0 done; 2 bad input."};
  std::string results, out;
  app.add_option("results", results, "results JSON written by the tuner")->required();
  app.add_option("-o,--out", out, "write the Markdown here (default: standard output)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "report: " << e.what() << " (--help for usage)\n";
    return convmish::kExitBadInput;
  }
  return convmish::run_report(results, out, std::cout, std::cerr);
}
