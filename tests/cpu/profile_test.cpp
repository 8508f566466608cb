#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/nvtx.hpp"
#include "tuner/problem.hpp"
#include "tuner/profile.hpp"
#include "tuner/results.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

Record ok_record(int id, const std::string& variant, const Config& c, double median_ms,
                 Status status = Status::kOk) {
  Record r;
  r.id = id;
  r.variant = variant;
  r.params = c;
  r.precision = "fp32";
  r.status = status;
  if (status == Status::kOk) r.timing = summarize({median_ms, median_ms, median_ms});
  return r;
}

const Variant& float4_variant() { return *Registry::instance().find("mish.float4"); }

// A results file on `small` with one Mish application: two ok mish.float4 records (the second faster), one
// incorrect record (never the best), and a variant the registry no longer has; first, an ok record without timing
// under the best one's id and name (never the one profiled, nor dereferenced).
fs::path write_results(const std::string& name) {
  const auto configs = float4_variant().space().enumerate();
  Problem small = parse_problem("small");
  small.mish_count = 1;
  const fs::path path = fs::temp_directory_path() / ("convmish_profile_" + name + ".json");
  ResultsWriter w(path, {{"problem", small}});
  Record untimed = ok_record(9, "mish.float4", configs[1], 7.0);  // a damaged file's: the best's id and name
  untimed.timing.reset();
  w.add(untimed);
  w.add(ok_record(4, "mish.float4", configs[0], 2.0));
  w.add(ok_record(9, "mish.float4", configs[1], 1.0));
  w.add(ok_record(11, "mish.float4", configs[2], 0, Status::kIncorrect));
  w.add(ok_record(12, "gone.variant", {{"block", 1}}, 0.5));
  return path;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(NcuNvtxFilter, EscapesTheQuantifiersInRecordNamesAndMarksAPushPopRange) {
  EXPECT_EQ(ncu_nvtx_filter("mish.float4/bias_fused:1/block:256"), "convmish@mish.float4\\/bias_fused:1\\/block:256/");
  EXPECT_EQ(ncu_nvtx_filter("cudnn.eager"), "convmish@cudnn.eager/");
  EXPECT_EQ(ncu_nvtx_filter("a+b,c@d[e]*f"), "convmish@a\\+b\\,c\\@d\\[e\\]\\*f/");
  EXPECT_THROW(ncu_nvtx_filter("a\\b"), UsageError);
}

TEST(ProfileTargets, DefaultOrExplicitConfigurationOfEachSelectedVariant) {
  ProfileOptions o;
  o.variants = "mish.float4,fused.naive";
  Problem p = parse_problem("small");
  auto t = select_profile_targets(o, p, true);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, record_name(t[0].variant->id(), t[0].variant->space().default_config()));
  EXPECT_EQ(t[0].source, "default");
  EXPECT_EQ(t[1].id, 1);

  o.variants = "fused.naive";
  o.configs = {Config{{"block", 128}}};
  t = select_profile_targets(o, p, true);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].name, "fused.naive/block:128");
  o.configs.push_back(Config{{"block", 256}});  // -c twice: both, in the order given
  t = select_profile_targets(o, p, true);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].name, "fused.naive/block:256");
  EXPECT_EQ(t[1].id, 1);
  o.configs = {Config{{"block", 7}}};
  EXPECT_THROW(select_profile_targets(o, p, true), UsageError);
  o.variants = "nothing.*";
  EXPECT_THROW(select_profile_targets(o, p, true), UsageError);
}

TEST(ProfileTargets, BestOkConfigurationOfEachVariantInAResultsFileWithItsProblemAndRecordId) {
  ProfileOptions o;
  o.best_of = write_results("best");
  Problem p = parse_problem("seed");
  const auto t = select_profile_targets(o, p, false);
  ASSERT_EQ(t.size(), 1u);  // the vanished variant is not the registry's
  EXPECT_EQ(t[0].variant->id(), "mish.float4");
  EXPECT_EQ(t[0].config, float4_variant().space().enumerate()[1]);
  EXPECT_EQ(t[0].id, 9);
  EXPECT_DOUBLE_EQ(*t[0].median_ms, 1.0);
  EXPECT_EQ(p.shape_string(), parse_problem("small").shape_string());
  EXPECT_EQ(p.mish_count, 1);

  Problem given = parse_problem("seed");
  select_profile_targets(o, given, true);
  EXPECT_EQ(given.shape_string(), parse_problem("seed").shape_string());  // --problem wins

  o.variants = "fused.*";
  EXPECT_THROW(select_profile_targets(o, p, false), UsageError);  // no ok record of those
  o.variants = "*";
  o.configs = {Config{{"block", 128}}};
  EXPECT_THROW(select_profile_targets(o, p, false), UsageError);  // --config contradicts "best"
  o.configs.clear();
  o.launches = 0;
  EXPECT_THROW(select_profile_targets(o, p, false), UsageError);
  o.launches = 3;
  o.best_of = fs::temp_directory_path() / "convmish_profile_missing.json";
  EXPECT_THROW(select_profile_targets(o, p, false), UsageError);
}

TEST(ProfileCommands, NcuCapturesExactlyTheTargetsRangesWithTheHeadlineSectionsAndUnlockedClocks) {
  ProfileOptions o;
  o.variants = "fused.naive,mish.naive";
  o.ncu_report = "out/prof";
  o.argv = {"build/tuner", "--profile", "-v", "fused.naive,mish.naive", "--dry-run", "--plan", "p.json"};
  Problem p = parse_problem("small");
  const auto t = select_profile_targets(o, p, true);
  const auto cmd = ncu_command(t, o);
  ASSERT_GE(cmd.size(), 2u);
  EXPECT_EQ(cmd[0], "ncu");
  EXPECT_TRUE(contains(cmd, "--nvtx"));
  EXPECT_EQ(std::count(cmd.begin(), cmd.end(), "--nvtx-include"), 2);
  for (const auto& x : t) EXPECT_TRUE(contains(cmd, ncu_nvtx_filter(x.name))) << x.name;
  const std::string line = shell_join(cmd);
  EXPECT_NE(line.find("--profile-from-start off --clock-control none"), std::string::npos) << line;
  for (const auto& s : kNcuSections) EXPECT_NE(line.find("--section " + s), std::string::npos);
  EXPECT_NE(line.find("--export out/prof build/tuner --profile -v fused.naive,mish.naive --plan p.json"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find("--dry-run"), std::string::npos);
  EXPECT_NE(line.find("'convmish@fused.naive\\/block:"), std::string::npos) << line;  // quoted for the shell

  const auto fallback = ncu_command(t, o, true);
  EXPECT_EQ(std::count(fallback.begin(), fallback.end(), "--nvtx-include"), 1);
  EXPECT_TRUE(contains(fallback, std::string("convmish@") + kProfileRange + "/"));

  const std::string nsys = shell_join(nsys_command(o));
  EXPECT_EQ(nsys.rfind("nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop --trace=cuda,nvtx", 0),
            0u)
      << nsys;
  EXPECT_NE(nsys.find("--output=out/prof-nsys build/tuner"), std::string::npos);
}

TEST(ProfileCommands, ShellJoinQuotesWhatTheShellWouldSplitOrExpand) {
  EXPECT_EQ(shell_join({"a", "b c", "it's", "x*", ""}), "a 'b c' 'it'\\''s' 'x*' ''");
  EXPECT_EQ(shell_join({"-v", "mish.*"}), "-v 'mish.*'");
}

TEST(ProfilePlan, DryRunPrintsBothCommandsAndWritesThePlanWithoutAGpu) {
  ProfileOptions o;
  o.best_of = write_results("plan");
  o.plan = fs::temp_directory_path() / "convmish_profile_plan.json";
  o.argv = {"tuner", "--profile-best", o.best_of.string(), "--dry-run"};
  std::ostringstream out;
  EXPECT_EQ(profile_command(parse_problem("seed"), false, o, true, out), 0);
  EXPECT_NE(out.str().find("profile: 1 configuration(s) of small"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("[id 9] mish.float4/"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\n  ncu --nvtx --nvtx-include 'convmish@mish.float4\\/"), std::string::npos);
  EXPECT_NE(out.str().find("\n  nsys profile "), std::string::npos);
  std::ifstream f(o.plan);
  const auto plan = nlohmann::json::parse(f);
  EXPECT_EQ(plan["schema"], "convmish.profile_plan");
  EXPECT_EQ(plan["launches"], 3);
  EXPECT_EQ(plan["targets"][0]["id"], 9);
  EXPECT_EQ(plan["targets"][0]["status"], "planned");
  EXPECT_EQ(plan["targets"][0]["nvtx_filter"], ncu_nvtx_filter(plan["targets"][0]["name"].get<std::string>()));
  EXPECT_EQ(plan["ncu_command"].get<std::vector<std::string>>().back(), o.best_of.string());
}

TEST(Nvtx, RangesCanBeSwitchedOffAndTheSwitchReachesChildProcesses) {
  const bool before = nvtx_enabled();
  set_nvtx_enabled(false);
  EXPECT_FALSE(nvtx_enabled());
  EXPECT_STREQ(std::getenv("CONVMISH_NVTX"), "0");
  { NvtxConfig r("a/b:1", 1); NvtxPhase<phase::Measure> m; }  // no range, no crash
  set_nvtx_enabled(true);
  EXPECT_TRUE(nvtx_enabled());
  EXPECT_STREQ(std::getenv("CONVMISH_NVTX"), "1");
  { NvtxConfig r("a/b:1", 1); NvtxPhase<phase::Measure> m; }
  set_nvtx_enabled(before);
}
