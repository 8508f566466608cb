#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/cli.hpp"
#include "reports/report.hpp"
#include "tuner/problem.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

Record record(const std::string& variant, int block, double median_ms, Status status = Status::kOk,
              std::string reason = "") {
  Record r;
  r.variant = variant;
  r.params = {{"block", block}};
  r.precision = variant == "cudnn.eager" ? "tf32" : "fp32";
  r.status = status;
  r.reason = std::move(reason);
  if (status != Status::kOk) return r;
  r.timing = summarize({median_ms * 0.99, median_ms, median_ms * 1.01});
  r.tflops = variant == "cudnn.eager" ? 49.47 : 6.69;  // 10% of the TF32 and FFMA peaks
  r.gbps = 500;
  Verdict v;
  v.pass = true;
  v.precision = r.precision;
  v.rel_l2 = 1.25e-7;
  r.verdict = v;
  r.speedup = 0.002 / median_ms;  // the baseline (cudnn.eager) takes 2 us
  return r;
}

// The small problem moves 466304 bytes at least: at 466.304 GB/s that is 1 microsecond, the memory floor.
ResultsFile sample_results() {
  nlohmann::json meta = {{"device", {{"name", "NVIDIA H100 80GB HBM3"}, {"compute_capability", "9.0"}}},
                         {"problem", parse_problem("small")},
                         {"git_commit", "0123456789ab"},
                         {"started_utc", "2026-11-25T09:00:53Z"},
                         {"baseline", "cudnn.eager/block:1"},
                         {"copy_bandwidth", {{"gbps", 466.304}}}};
  Record with_parts = record("fused.two", 256, 0.004);
  with_parts.details["parts"] = {{{"name", "conv"}, {"median_ms", 0.003}},
                                 {{"name", "mish"}, {"median_ms", 1.42}, {"pct_of_copy", 98.0}}};
  return {meta,
          {record("cudnn.eager", 1, 0.002), record("fused.one", 128, 0.005), record("fused.one", 256, 0.0025),
           record("fused.one", 512, 0, Status::kIncorrect, "rel_l2 1e-3 > 2e-6"),
           record("fused.one", 1024, 0, Status::kCompileError, "ptxas: too many resources"), with_parts,
           record("fused.three", 64, 0, Status::kUnsupported, "needs W % 4 == 0")}};
}

}  // namespace

TEST(Report, HeaderCarriesProvenance) {
  const std::string md = report_markdown(sample_results());
  EXPECT_NE(md.find("# convmish results: small on NVIDIA H100 80GB HBM3"), std::string::npos);
  EXPECT_NE(md.find("Commit: 0123456789ab"), std::string::npos);
  EXPECT_NE(md.find("Date: 2026-11-25T09:00:53Z"), std::string::npos);
  EXPECT_NE(md.find("2,16,34,37->32,3x3"), std::string::npos);
  EXPECT_NE(md.find("Copy bandwidth: 466 GB/s"), std::string::npos);
  EXPECT_NE(md.find("7 tried, 4 ok"), std::string::npos);
}

TEST(Report, HeaderSaysWhenRecordsComeFromSeveralGpuModels) {
  ResultsFile f = sample_results();
  EXPECT_EQ(report_markdown(f).find("GPUs:"), std::string::npos);  // a sweep on one GPU: as before
  f.meta["devices"] = nlohmann::json::array({nlohmann::json::object(), nlohmann::json::object()});
  for (size_t i = 0; i < f.records.size(); ++i)
    f.records[i].device = DeviceTag{int(i % 2), i % 2 ? "NVIDIA A100-SXM4-80GB" : "NVIDIA H100 80GB HBM3", "", ""};
  const std::string md = report_markdown(f);
  EXPECT_NE(md.find("- GPUs: 2 (tuner --devices)"), std::string::npos) << md;
  EXPECT_NE(md.find("**Several GPU models** (NVIDIA H100 80GB HBM3, NVIDIA A100-SXM4-80GB)"), std::string::npos)
      << md;
}

TEST(Report, TableHoldsTheBestConfigurationPerVariantAgainstTheFloors) {
  const std::string md = report_markdown(sample_results());
  // cudnn.eager at 2 us: 50% of the memory floor, 10% of the TF32 peak, 1x the baseline.
  EXPECT_NE(md.find("| cudnn.eager | block:1 | tf32 | 0.00200 | 49.47 | 500 | 50.0% | 10.0% | 1.25e-07 | 1.00x |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| fused.one | block:256 | fp32 | 0.00250 | 6.69 | 500 | 40.0% | 10.0% |"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("| fused.one | block:128 |"), std::string::npos);  // not the best of its variant
  EXPECT_NE(md.find("| fused.two | block:256 |"), std::string::npos);
  EXPECT_LT(md.find("| cudnn.eager |"), md.find("| fused.one |"));  // fastest first
  EXPECT_NE(md.find("H100 SXM datasheet"), std::string::npos);
  EXPECT_NE(md.find("fused.two/block:256:  conv 0.003 ms  mish 1.420 ms (98.0% of copy)"), std::string::npos) << md;
}

// A damaged or hand-merged file can hold an ok record without timing under the id and name of the timed best one
// (the fuzzer found such a journal): the table must show the timed record, not dereference the empty timing.
TEST(Report, AnUntimedRecordWithTheBestOnesIdAndNameIsNotTheOneShown) {
  ResultsFile f = sample_results();
  Record untimed = record("fused.one", 256, 0.009);  // reset below: were its stale bytes read, 0.00900 would show
  untimed.timing.reset();
  f.records.insert(f.records.begin(), untimed);
  const std::string md = report_markdown(f);
  EXPECT_NE(md.find("| fused.one | block:256 | fp32 | 0.00250 | 6.69 | 500 | 40.0% | 10.0% |"), std::string::npos)
      << md;
}

TEST(Report, FailuresAreCountedPerVariantWithTheFirstReason) {
  const std::string md = report_markdown(sample_results());
  const size_t failures = md.find("## Failures");
  ASSERT_NE(failures, std::string::npos);
  EXPECT_NE(md.find("| fused.one | 4 | 1 | 1 | 0 | 0 | 0 | incorrect: rel_l2 1e-3 > 2e-6 |", failures),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| fused.three | 1 | 0 | 0 | 0 | 1 | 0 | unsupported: needs W % 4 == 0 |", failures),
            std::string::npos);
  EXPECT_EQ(md.find("| cudnn.eager |", failures), std::string::npos);  // nothing failed there
}

TEST(Report, NoFailuresAndNoCopyBandwidthAreSaidPlainly) {
  ResultsFile f = sample_results();
  f.meta.erase("copy_bandwidth");
  f.records.resize(3);
  const std::string md = report_markdown(f);
  EXPECT_NE(md.find("None: every configuration tried validated"), std::string::npos);
  EXPECT_EQ(md.find("Copy bandwidth"), std::string::npos);
  EXPECT_NE(md.find("| 49.47 | 500 | - | 10.0% |"), std::string::npos) << md;  // no memory floor without it
}

TEST(ReportCli, WritesTheFileAndRejectsBadInput) {
  const fs::path dir = fs::temp_directory_path();
  const ResultsFile f = sample_results();
  {
    ResultsWriter w(dir / "convmish_report_in.json", f.meta);
    for (const Record& r : f.records) w.add(r);
  }
  std::ostringstream out, err;
  EXPECT_EQ(run_report(dir / "convmish_report_in.json", dir / "convmish_report.md", out, err), kExitOk);
  std::ifstream in(dir / "convmish_report.md");
  const std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(md.find("## Best configuration per variant"), std::string::npos);
  EXPECT_TRUE(out.str().empty());

  std::ofstream(dir / "convmish_report_bad.json") << "{\"schema\": \"convmish.results\", \"schema_ver";
  EXPECT_EQ(run_report(dir / "convmish_report_bad.json", {}, out, err), kExitBadInput);
  EXPECT_EQ(err.str().rfind("report: ", 0), 0u);
}
