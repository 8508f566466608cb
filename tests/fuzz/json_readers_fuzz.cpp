// libFuzzer target for the JSON readers: the bytes go to parse_results and parse_journal (what read_results and
// read_journal do after reading a file), and whatever parses goes on through report_markdown, compare and the
// comparison's outputs; and to parse_ncu_metrics (report --ncu), whose metrics go through the Nsight Compute table
// and into report_markdown beside a small fixed results file whose record names the corpus's metrics use. The
// contract under test: bad input throws UsageError and nothing else (no other exception, crash, hang or sanitizer
// finding, ASan and UBSan being on). Build and run: tests/fuzz/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reports/compare.hpp"
#include "reports/compare_output.hpp"
#include "reports/ncu_metrics.hpp"
#include "reports/report.hpp"
#include "tuner/check.hpp"
#include "tuner/problem.hpp"
#include "tuner/results.hpp"

using namespace convmish;

namespace {

void use(const ResultsFile& f) {
  try {
    (void)report_markdown(f);
  } catch (const UsageError&) {
  }
  for (const bool allow_mismatch : {false, true}) {
    try {
      CompareOptions o;
      o.allow_mismatch = allow_mismatch;
      o.min_samples = 2;  // small inputs reach the statistics too
      const Comparison c = compare(f, f, o);
      (void)comparison_text(c);
      (void)comparison_summary(c);
      (void)comparison_markdown(c);
    } catch (const UsageError&) {
    }
  }
}

// Two timed records on `small`, named as two of the seed corpus's metrics entries.
const ResultsFile& profiled_results() {
  static const ResultsFile f = [] {
    ResultsFile r;
    r.meta = {{"problem", parse_problem("small")}};
    for (const auto& [variant, params] : {std::pair<std::string, Config>{"cudnn.eager", {{"tf32", 1}}},
                                          {"mish.float4", {{"bias_fused", 1}, {"block", 256}, {"form", 2},
                                                           {"grid_stride", 0}, {"vec", 1}}}}) {
      Record x;
      x.id = int(r.records.size());
      x.variant = variant;
      x.params = params;
      x.precision = "tf32";
      x.timing = summarize({0.02, 0.021, 0.022});
      r.records.push_back(x);
    }
    return r;
  }();
  return f;
}

void use(const NcuMetrics& m) {
  std::vector<std::string> records;
  for (const NcuKernel& k : m.kernels) records.push_back(k.record);
  (void)ncu_section(m, records);
  try {
    (void)report_markdown(profiled_results(), &m);
  } catch (const UsageError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    use(parse_results(text, "fuzz.json"));
  } catch (const UsageError&) {
  }
  try {
    use(parse_journal(text, "fuzz.journal"));
  } catch (const UsageError&) {
  }
  try {
    use(parse_ncu_metrics(text, "fuzz_ncu_metrics.json"));
  } catch (const UsageError&) {
  }
  return 0;
}
