// libFuzzer target for the JSON readers: the bytes go to parse_results and parse_journal (what read_results and
// read_journal do after reading a file), and whatever parses goes on through report_markdown, compare and the
// comparison's outputs. The contract under test: bad input throws UsageError and nothing else (no other
// exception, crash, hang or sanitizer finding, ASan and UBSan being on). Build and run: tests/fuzz/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reports/compare.hpp"
#include "reports/compare_output.hpp"
#include "reports/report.hpp"
#include "tuner/check.hpp"
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
  return 0;
}
