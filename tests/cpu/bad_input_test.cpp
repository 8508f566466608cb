// Bad input (issue #9, part 3) below the binaries: the readers' messages and limits, problem validation, the
// architecture and memory checks, and that report/compare write nothing when they fail. tests/cli runs the
// binaries themselves on the same cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "reports/cli.hpp"
#include "reports/compare.hpp"
#include "reports/report.hpp"
#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/problem.hpp"
#include "tuner/reference.hpp"
#include "tuner/results.hpp"
#include "tuner/variant.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

const std::string& valid_text() {
  static const std::string text = read_file(fs::path(CONVMISH_FUZZ_CORPUS) / "valid_results.json");
  return text;
}

// The message of the UsageError `f` throws; fails the test when it throws nothing or something else.
template <typename F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a UsageError: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no error";
  return "";
}

// valid_results.json with one JSON pointer set to `value`.
std::string valid_with(const std::string& pointer, const nlohmann::json& value) {
  nlohmann::json doc = nlohmann::json::parse(valid_text());
  doc[nlohmann::json::json_pointer(pointer)] = value;
  return doc.dump();
}

std::string nested(int depth) {
  return "{\"schema\":\"convmish.results\",\"schema_version\":1,\"records\":[],\"meta\":{\"x\":" +
         std::string(size_t(depth), '[') + std::string(size_t(depth), ']') + "}}";
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("convmish_bad_input_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(ParseResults, ReadsTheValidCorpusFile) {
  const ResultsFile f = parse_results(valid_text(), "valid");
  ASSERT_EQ(f.records.size(), 3u);
  EXPECT_EQ(f.records[0].name(), "cudnn.eager/tf32:1");
  EXPECT_NE(report_markdown(f).find("cudnn.eager"), std::string::npos);
}

TEST(ParseResults, SaysWhatIsWrongWithEachKindOfBadText) {
  const std::string v = valid_text();
  EXPECT_NE(usage_error([&] { parse_results(v.substr(0, v.size() / 2), "t.json"); })
                .find("t.json: not valid JSON ("), std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results("{\"a\": tru}", "m.json"); }).find("m.json: not valid JSON"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results("[1]", "a.json"); }).find("a.json: not a convmish results file"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/schema", "other"), "s.json"); })
                .find("not a convmish results file"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/schema_version", 2), "v.json"); })
                .find("v.json: schema version 2, this build reads version 1"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/schema_version", "1"), "v.json"); })
                .find("schema version a string"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/meta", 5), "m.json"); }).find("'meta' must be an object"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/records", nlohmann::json::object()), "r.json"); })
                .find("'records' must be an array"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results("{\"x\": 1e999}", "o.json"); }).find("number overflow"),
            std::string::npos);
}

TEST(ParseResults, IntegerFieldsMustBeIntegersInRange) {
  // nlohmann's own get<int>() would cast these (undefined behaviour beyond the range, silent truncation of 1.5).
  const std::pair<std::string, nlohmann::json> cases[] = {
      {"/records/0/id", 1.5},
      {"/records/0/id", 1e300},
      {"/records/0/id", int64_t(1) << 40},
      {"/records/1/params/block", 256.5},
      {"/records/0/verdict/n", 1e30},
      {"/records/0/timing/sm_clock_start_mhz", 1e20},
      {"/records/0/details/round", 0.5},
  };
  for (const auto& [pointer, value] : cases) {
    const std::string msg = usage_error([&] { parse_results(valid_with(pointer, value), "i.json"); });
    EXPECT_NE(msg.find("i.json: malformed (record"), std::string::npos) << pointer << ": " << msg;
  }
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/records/0/status", "fine"), "s.json"); })
                .find("unknown status 'fine'"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/records/0/details/parts/0/name", 7), "p.json"); })
                .find("'details.parts' must hold objects"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(valid_with("/records/0/details", "x"), "d.json"); })
                .find("'details' must be an object"),
            std::string::npos);
}

TEST(ParseResults, AProblemOutsideTheRulesIsMalformedForReportAndCompare) {
  // stride 0 would divide by zero in P(); a zero dimension gives an empty output.
  for (const auto& [pointer, value] : {std::pair<std::string, nlohmann::json>{"/meta/problem/stride", 0},
                                       {"/meta/problem/N", 0},
                                       {"/meta/problem/pad", -1},
                                       {"/meta/problem/H", 1},
                                       {"/meta/problem/W", int64_t(1) << 40}}) {
    const ResultsFile f = parse_results(valid_with(pointer, value), "p.json");
    EXPECT_NE(usage_error([&] { report_markdown(f); }).find("meta.problem is malformed"), std::string::npos)
        << pointer;
    const ResultsFile ok = parse_results(valid_text(), "ok.json");
    EXPECT_NE(usage_error([&] { compare(ok, f, {}); }).find("candidate: meta.problem is malformed"),
              std::string::npos)
        << pointer;
  }
}

TEST(ParseResults, NestingIsLimited) {
  EXPECT_NO_THROW(parse_results(nested(kMaxJsonDepth - 3), "ok.json"));  // meta and x take two levels
  EXPECT_NE(usage_error([&] { parse_results(nested(kMaxJsonDepth), "deep.json"); })
                .find("deep.json: JSON nested deeper than 64 levels"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_results(nested(1000000), "deep.json"); }).find("nested deeper"),
            std::string::npos);
}

TEST(ParseResults, OnlyUsageErrorEscapesForTruncationsAndByteFlipsOfAValidFile) {
  // A deterministic cousin of the fuzz target (tests/fuzz): every kind of damage ends as a UsageError or a
  // parsed file that report and compare handle.
  const std::string v = valid_text();
  auto feed = [](const std::string& text) {
    try {
      const ResultsFile f = parse_results(text, "mutant");
      report_markdown(f);
      compare(f, f, {});
    } catch (const UsageError&) {
    }
  };
  for (size_t cut = 0; cut < v.size(); cut += 7) EXPECT_NO_FATAL_FAILURE(feed(v.substr(0, cut)));
  const char replacements[] = {'"', '{', '[', ']', '}', '-', '0', '9', 'e', '.', ',', ':', '\0', '\n', '\\'};
  for (size_t pos = 0; pos < v.size(); pos += 3) {
    std::string m = v;
    m[pos] = replacements[pos % sizeof replacements];
    feed(m);
  }
}

TEST(ReadResults, MissingEmptyDirectoryAndOversizedFilesAreRefusedBeforeParsing) {
  const fs::path d = fresh_dir("read");
  EXPECT_NE(usage_error([&] { read_results(d / "absent.json"); }).find("absent.json: cannot open (No such file"),
            std::string::npos);
  std::ofstream(d / "empty.json") << "  \n";
  EXPECT_NE(usage_error([&] { read_results(d / "empty.json"); }).find("empty file, not a convmish results file"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { read_results(d); }).find("a directory, not a results file"), std::string::npos);
  { std::ofstream(d / "huge.json") << valid_text(); }
  fs::resize_file(d / "huge.json", kMaxResultsFileBytes + 1);  // sparse: no disk used
  EXPECT_NE(usage_error([&] { read_results(d / "huge.json"); }).find("256 MiB, larger than the 256 MiB"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { read_journal(d / "huge.json"); }).find("a journal may have"), std::string::npos);
  fs::remove_all(d);
}

TEST(ParseJournal, SkipsGarbledAndTooDeepLinesButRejectsABadHeader) {
  const std::string journal = read_file(fs::path(CONVMISH_FUZZ_CORPUS) / "valid_journal.jsonl");
  EXPECT_EQ(parse_journal(journal, "j").records.size(), 3u);  // its last line was cut off mid-write
  const std::string deep_line = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(parse_journal(journal + "\n" + deep_line + "\n{\"id\": 1.5}\n", "j").records.size(), 3u);
  EXPECT_NE(usage_error([] { parse_journal("", "e.journal"); }).find("e.journal: not a convmish journal"),
            std::string::npos);
  EXPECT_NE(usage_error([&] { parse_journal(deep_line + "\n", "d.journal"); }).find("not a convmish journal"),
            std::string::npos);
  EXPECT_NE(usage_error([] { parse_journal("{\"journal\":\"convmish.results\",\"schema_version\":1,\"meta\":3}\n",
                                           "m.journal"); })
                .find("not a convmish journal"),
            std::string::npos);
}

TEST(OneLine, EscapesControlCharactersAndCutsLongMessages) {
  EXPECT_EQ(one_line("a\nb\tc"), "a\\x0ab\\x09c");
  const std::string cut = one_line(std::string(1000, 'x'), 50);
  EXPECT_EQ(cut.size(), 50u);
  EXPECT_EQ(cut.substr(47), "...");
  EXPECT_EQ(one_line("plain"), "plain");
}

TEST(ProblemLimits, EachRuleHasItsReason) {
  auto why = [](const std::string& spec) { return usage_error([&] { parse_problem(spec); }); };
  EXPECT_NE(why("0,3,8,8,4,3").find("every dimension must be positive"), std::string::npos);
  EXPECT_NE(why("1,3,8,8,-4,3").find("every dimension must be positive"), std::string::npos);
  EXPECT_NE(why("1,3,8,8,4,3,3,0").find("stride must be positive"), std::string::npos);
  EXPECT_NE(why("1,3,8,8,4,3,3,1,-1").find("padding must not be negative"), std::string::npos);
  EXPECT_NE(why("1,3,8,2,4,3").find("filter (3x3) is larger than the padded image (8x2): empty output"),
            std::string::npos);
  EXPECT_NE(why("1,3,8,8,4,3,3,1,9223372036854775807").find("a dimension exceeds 2^31-1"), std::string::npos);
  EXPECT_NE(why("2147483648,1,1,1,1,1").find("a dimension exceeds 2^31-1"), std::string::npos);
  EXPECT_NE(why("64,64,1024,1024,1,1").find("x[N,C,H,W] would have 4294967296 elements"), std::string::npos);
  EXPECT_NE(why("1,65536,1,1,32768,1").find("w[K,C,R,S] would have 2147483648 elements"), std::string::npos);
  EXPECT_NE(why("1,1,40000,40000,2,1").find("y[N,K,P,Q] would have 3200000000 elements"), std::string::npos);
  // Products of limits far beyond int64 are reported, not overflowed.
  EXPECT_NE(why("2147483647,2147483647,2147483647,2147483647,1,1").find("x[N,C,H,W] would have"), std::string::npos);
  Problem p = parse_problem("small");
  p.mish_count = 17;
  EXPECT_NE(usage_error([&] { p.validate(); }).find("mish count must be in 0..16"), std::string::npos);
}

TEST(ProblemLimits, TheLargestSupportedTensorsPass) {
  // Exactly 2^31-1 elements in x and in y: the boundary is inclusive.
  const Problem p = parse_problem("1,1,1,2147483647,1,1");
  EXPECT_EQ(p.x_elems(), Problem::kMaxTensorElems);
  EXPECT_EQ(p.y_elems(), Problem::kMaxTensorElems);
}

TEST(ArchitectureMismatch, DecidesLikeTheCudaCompatibilityRules) {
  EXPECT_FALSE(architecture_mismatch(9, 0, "90"));         // SASS
  EXPECT_FALSE(architecture_mismatch(10, 0, "90"));        // PTX compute_90, compiled by the driver
  EXPECT_FALSE(architecture_mismatch(8, 6, "80-real"));    // sm_80 SASS runs on 8.6
  EXPECT_FALSE(architecture_mismatch(8, 9, "80;90"));      // CMake's list form
  EXPECT_FALSE(architecture_mismatch(9, 0, "90a"));
  EXPECT_FALSE(architecture_mismatch(7, 5, "native"));     // resolved by CMake: not decidable here
  EXPECT_FALSE(architecture_mismatch(7, 5, "all-major"));
  const auto a100 = architecture_mismatch(8, 0, "90");
  ASSERT_TRUE(a100);
  EXPECT_EQ(*a100, "compute capability 8.0 (sm_80) has no code among the engine kernels' CUDA architectures 90; "
                   "rebuild with -DCMAKE_CUDA_ARCHITECTURES=80 (or a list holding 80)");
  EXPECT_TRUE(architecture_mismatch(10, 0, "90-real"));   // SASS of another major, no PTX
  EXPECT_TRUE(architecture_mismatch(10, 0, "90a"));       // arch-specific code runs on 9.0 only
  EXPECT_TRUE(architecture_mismatch(8, 0, "86"));          // SASS needs minor >= 6, PTX needs >= 8.6
  EXPECT_TRUE(architecture_mismatch(7, 5, "80,90-virtual"));
}

TEST(UnsupportedGpu, VariantsNeedingAmpereSayWhyOnAnOlderGpu) {
  DeviceInfo turing;
  turing.name = "T4 (as described, no GPU)";
  turing.cc_major = 7;
  turing.cc_minor = 5;
  turing.smem_per_block_optin = 65536;
  turing.regs_per_sm = 65536;
  const Problem p = parse_problem("small");
  for (const char* id : {"fused.igemm_tf32", "fused.igemm_3xtf32", "fused.tiled_fp32"}) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    const Support s = v->supports(p, v->space().default_config(), turing);
    EXPECT_FALSE(s.ok) << id;
    EXPECT_NE(s.reason.find("compute capability 8.0 or newer"), std::string::npos) << id << ": " << s.reason;
  }
}

TEST(ProblemMemory, AProblemLargerThanTheFreeMemoryIsRefusedWithTheSizes) {
  const Problem seed = parse_problem("seed");
  EXPECT_EQ(problem_buffer_bytes(seed),
            4 * size_t(seed.x_elems() + seed.w_elems() + seed.K + 2 * seed.y_elems()));
  EXPECT_FALSE(memory_shortfall(seed, size_t(80) << 30, size_t(80) << 30));
  const auto why = memory_shortfall(seed, size_t(1) << 30, size_t(16) << 30);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "problem 64,64,256,256->128,3x3 does not fit on this GPU: its buffers (x, w, b, y and the "
                  "reference output) need 4.94 GiB, 1.00 GiB of 16.00 GiB are free");
}

TEST(ReportCli, BadInputLeavesTheEarlierOutputAsItWas) {
  const fs::path d = fresh_dir("report");
  std::ofstream(d / "bad.json") << valid_text().substr(0, 100);
  std::ofstream(d / "out.md") << "earlier";
  std::ostringstream out, err;
  EXPECT_EQ(run_report(d / "bad.json", d / "out.md", out, err), kExitBadInput);
  EXPECT_EQ(read_file(d / "out.md"), "earlier");
  const std::string e = err.str();
  EXPECT_NE(e.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  fs::remove_all(d);
}

TEST(ReportCli, AFailedWriteLeavesNoFileAndNoTemporary) {
  const fs::path d = fresh_dir("report_write");
  std::ofstream(d / "in.json") << valid_text();
  fs::create_directories(d / "out.md");  // a directory where the report should go
  std::ostringstream out, err;
  EXPECT_EQ(run_report(d / "in.json", d / "out.md", out, err), kExitBadInput);
  EXPECT_NE(err.str().find("out.md: cannot write"), std::string::npos) << err.str();
  EXPECT_TRUE(fs::is_directory(d / "out.md"));
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d)) ++files;
  EXPECT_EQ(files, 2u);  // in.json and the directory: no out.md.tmp* left
  EXPECT_EQ(run_report(d / "in.json", d / "written.md", out, err), kExitOk);
  EXPECT_NE(read_file(d / "written.md").find("# convmish results"), std::string::npos);
  fs::remove_all(d);
}

TEST(CompareCli, BadCandidateLeavesTheMarkdownAsItWasAndNamesTheFile) {
  const fs::path d = fresh_dir("compare");
  std::ofstream(d / "base.json") << valid_text();
  std::ofstream(d / "cand.json") << valid_with("/schema_version", 7);
  std::ofstream(d / "cmp.md") << "earlier";
  std::ostringstream out, err;
  EXPECT_EQ(run_compare(d / "base.json", d / "cand.json", {}, d / "cmp.md", out, err), kExitBadInput);
  EXPECT_EQ(read_file(d / "cmp.md"), "earlier");
  EXPECT_NE(err.str().find("cand.json: schema version 7"), std::string::npos) << err.str();
  EXPECT_TRUE(out.str().empty());
  fs::remove_all(d);
}
