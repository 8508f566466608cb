#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "reports/cli.hpp"
#include "reports/ncu_metrics.hpp"
#include "reports/report.hpp"
#include "tuner/check.hpp"
#include "tuner/problem.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

Record timed(int id, const std::string& variant, int block, double median_ms) {
  Record r;
  r.id = id;
  r.variant = variant;
  r.params = {{"block", block}};
  r.precision = "fp32";
  r.status = Status::kOk;
  r.timing = summarize({median_ms, median_ms, median_ms});
  return r;
}

ResultsFile results() {
  return {{{"problem", parse_problem("small")}, {"device", {{"name", "NVIDIA H100 80GB HBM3"}}}},
          {timed(0, "mish.two", 256, 5.6), timed(1, "mish.two", 128, 7.0), timed(2, "fused.one", 128, 11.2)}};
}

// What scripts/profile-best.sh writes: mish.two has a convolution and a Mish kernel (the convolution longer),
// fused.one a single kernel, and a configuration that is not the best of its variant.
nlohmann::json metrics_json(const std::string& results_name) {
  auto k = [](std::string rec, int id, std::string kernel, int calls, double ns, nlohmann::json dram, double sm,
              double occ, double regs) {
    return nlohmann::json{{"record", rec},        {"record_id", id},          {"kernel", kernel},
                          {"calls", calls},       {"duration_ns", ns},        {"dram_throughput_pct", dram},
                          {"sm_throughput_pct", sm}, {"achieved_occupancy_pct", occ}, {"registers_per_thread", regs}};
  };
  return {{"schema", "convmish.ncu_metrics"},
          {"schema_version", 1},
          {"results", "/some/where/" + results_name},
          {"nvtx_filter", "exact"},
          {"kernels",
           {k("mish.two/block:256", 0, "mish_pass", 3, 1399000, 91.04, 40.5, 88.0, 32),
            k("mish.two/block:256", 0, "sm90_xmma_fprop", 3, 4241000, 35.1, 80.2, 24.9, 168),
            k("fused.one/block:128", 2, "conv_mish_naive", 3, 11200000, nullptr, 95.0, 97.0, 40),
            k("mish.two/block:128", 1, "mish_pass", 3, 2000000, 60.0, 30.0, 70.0, 32)}}};
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("convmish_report_ncu_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(1); }

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(ReportNcu, LongestKernelsMetricsSitBesideTheTimingsAndEveryKernelIsListed) {
  const fs::path dir = fresh_dir("table");
  write_json(dir / "ncu_metrics.json", metrics_json("seed.json"));
  const NcuMetrics m = read_ncu_metrics(dir / "ncu_metrics.json");
  ASSERT_EQ(m.kernels.size(), 4u);
  EXPECT_FALSE(m.kernels[2].dram_pct);  // null: not measured, not zero
  ASSERT_EQ(m.of("mish.two/block:256").size(), 2u);
  EXPECT_EQ(m.of("mish.two/block:256")[0]->kernel, "sm90_xmma_fprop");  // longest first

  const std::string md = report_markdown(results(), &m);
  EXPECT_NE(md.find("| ncu DRAM % | ncu SM % | ncu occupancy % | ncu registers |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mish.two | block:256 | fp32 | 5.600 |"), std::string::npos) << md;
  EXPECT_NE(md.find(" | 35.1 | 80.2 | 24.9 | 168 |"), std::string::npos) << md;  // the convolution's numbers
  EXPECT_NE(md.find(" | - | 95.0 | 97.0 | 40 |"), std::string::npos) << md;      // fused.one, DRAM unknown
  const size_t section = md.find("## Nsight Compute");
  ASSERT_NE(section, std::string::npos);
  EXPECT_NE(md.find("| mish.two/block:256 | mish_pass | 3 | 1399.0 | 91.0 | 40.5 | 88.0 | 32 |", section),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("exact NVTX filter", section), std::string::npos);
  EXPECT_EQ(md.find("mish.two/block:128", section), std::string::npos);  // not a best configuration

  const std::string plain = report_markdown(results());
  EXPECT_EQ(plain.find("ncu"), std::string::npos);
  EXPECT_EQ(plain.find("Nsight Compute"), std::string::npos);
}

TEST(ReportNcu, MetricsBesideTheResultsAreFoundOnlyWhenTheyNameThem) {
  const fs::path dir = fresh_dir("beside");
  {
    ResultsWriter w(dir / "seed.json", results().meta);
    for (const Record& r : results().records) w.add(r);
  }
  EXPECT_FALSE(find_ncu_metrics_beside(dir / "seed.json"));
  write_json(dir / "ncu_metrics.json", metrics_json("other.json"));
  EXPECT_FALSE(find_ncu_metrics_beside(dir / "seed.json"));
  write_json(dir / "ncu_metrics.json", metrics_json("seed.json"));
  EXPECT_EQ(*find_ncu_metrics_beside(dir / "seed.json"), dir / "ncu_metrics.json");

  std::ostringstream out, err;
  EXPECT_EQ(run_report(dir / "seed.json", {}, out, err), kExitOk);
  EXPECT_NE(out.str().find("## Nsight Compute"), std::string::npos);
  EXPECT_NE(err.str().find("Nsight Compute metrics from"), std::string::npos);
  std::ostringstream out2, err2;
  EXPECT_EQ(run_report(dir / "seed.json", {}, out2, err2, ReportOptions{{}, false}), kExitOk);
  EXPECT_EQ(out2.str().find("Nsight Compute"), std::string::npos);
}

// A file beside the results is only looked at within the readers' limits: one over the size limit (sparse here) is
// not read at all, and the report goes on without it.
TEST(ReportNcu, AMetricsFileBesideOverTheSizeLimitIsNotUsed) {
  const fs::path dir = fresh_dir("beside_large");
  {
    ResultsWriter w(dir / "seed.json", results().meta);
    for (const Record& r : results().records) w.add(r);
  }
  write_json(dir / "ncu_metrics.json", metrics_json("seed.json"));
  fs::resize_file(dir / "ncu_metrics.json", kMaxResultsFileBytes + 1);  // the valid text, then zero bytes
  EXPECT_FALSE(find_ncu_metrics_beside(dir / "seed.json"));
  std::ostringstream out, err;
  EXPECT_EQ(run_report(dir / "seed.json", {}, out, err), kExitOk) << err.str();
  EXPECT_EQ(out.str().find("Nsight Compute"), std::string::npos);
}

TEST(ReportNcu, BadMetricsFilesAreRejectedWithTheReason) {
  const fs::path dir = fresh_dir("bad");
  {
    ResultsWriter w(dir / "r.json", results().meta);
    for (const Record& r : results().records) w.add(r);
  }
  auto expect_bad = [&](const std::string& text, const std::string& reason) {
    std::ofstream(dir / "m.json") << text;
    std::ostringstream out, err;
    EXPECT_EQ(run_report(dir / "r.json", {}, out, err, ReportOptions{dir / "m.json", false}), kExitBadInput);
    EXPECT_EQ(err.str().rfind("report: ", 0), 0u);
    EXPECT_NE(err.str().find(reason), std::string::npos) << err.str();
  };
  expect_bad("{\"schema\": \"convmish.ncu_met", "not JSON");
  expect_bad("{\"schema\": \"convmish.results\"}", "not a convmish.ncu_metrics file");
  expect_bad("{\"schema\": 5}", "not a convmish.ncu_metrics file");  // a type error escaped here once
  expect_bad("  \n", "empty file");
  expect_bad(std::string(300, '[') + std::string(300, ']'), "nested deeper than");
  expect_bad("{\"schema\": \"convmish.ncu_metrics\", \"schema_version\": 2, \"kernels\": []}", "schema_version 2");
  expect_bad("{\"schema\": \"convmish.ncu_metrics\", \"schema_version\": 1, \"kernels\": [{\"record\": \"a\"}]}",
             "malformed kernel entry");
  expect_bad("{\"schema\": \"convmish.ncu_metrics\", \"schema_version\": 1, \"kernels\": [{\"record\": \"a\", "
             "\"kernel\": \"k\", \"calls\": 1, \"sm_throughput_pct\": \"high\"}]}",
             "'sm_throughput_pct' is not a number");
  std::ostringstream out, err;
  EXPECT_EQ(run_report(dir / "r.json", {}, out, err, ReportOptions{dir / "absent.json", false}), kExitBadInput);
  EXPECT_NE(err.str().find("cannot open"), std::string::npos);
}

// calls, record_id and schema_version are integers: a float or a number out of int's range (hand-edited or
// another tool's file) is refused with the field named, never truncated or converted out of range.
TEST(ReportNcu, NonIntegerOrOutOfRangeCountsAreRejectedWithTheField) {
  const fs::path dir = fresh_dir("ints");
  auto message = [&](const nlohmann::json& j) {
    write_json(dir / "m.json", j);
    try {
      read_ncu_metrics(dir / "m.json");
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto with = [](const char* key, const nlohmann::json& value) {
    nlohmann::json j = metrics_json("seed.json");
    j["kernels"][0][key] = value;
    return j;
  };
  EXPECT_EQ(message(metrics_json("seed.json")), "no error");
  EXPECT_NE(message(with("calls", 1.5)).find("'calls' must be an integer, not 1.5"), std::string::npos);
  EXPECT_NE(message(with("calls", 1e300)).find("'calls' must be an integer"), std::string::npos);
  EXPECT_NE(message(with("calls", 4294967296LL)).find("'calls' = 4294967296 is outside 0..2147483647"),
            std::string::npos);
  EXPECT_NE(message(with("calls", -1)).find("'calls' = -1 is outside"), std::string::npos);
  EXPECT_NE(message(with("calls", "3")).find("'calls' must be an integer, not a string"), std::string::npos);
  EXPECT_NE(message(with("record_id", 2.5)).find("'record_id' must be an integer"), std::string::npos);
  EXPECT_NE(message(with("record_id", 1e300)).find("'record_id' must be an integer"), std::string::npos);
  EXPECT_NE(message(with("record_id", 18446744073709551615ULL)).find("'record_id' = 18446744073709551615 is out of "
                                                                     "range"),
            std::string::npos);
  EXPECT_EQ(message(with("record_id", nullptr)), "no error");  // null: no record id, as before
  for (const nlohmann::json v : {nlohmann::json(1.0), nlohmann::json(1e300), nlohmann::json("1")}) {
    nlohmann::json j = metrics_json("seed.json");
    j["schema_version"] = v;
    EXPECT_NE(message(j).find("schema_version " + v.dump() + ", expected 1"), std::string::npos) << message(j);
  }
  for (const std::string& m : {message(with("calls", 1.5)), message(with("record_id", 2.5))})
    EXPECT_NE(m.find("malformed kernel entry"), std::string::npos) << m;
}

TEST(ReportNcu, NoKernelOfTheBestConfigurationsIsSaidPlainly) {
  nlohmann::json j = metrics_json("seed.json");
  j["kernels"] = {j["kernels"][3]};  // only a configuration that is not the best of its variant
  const fs::path dir = fresh_dir("none");
  write_json(dir / "m.json", j);
  const NcuMetrics m = read_ncu_metrics(dir / "m.json");
  const std::string md = report_markdown(results(), &m);
  EXPECT_NE(md.find("m.json holds no kernel of these configurations"), std::string::npos) << md;
  EXPECT_NE(md.find(" | - | - | - | - |"), std::string::npos) << md;
}
