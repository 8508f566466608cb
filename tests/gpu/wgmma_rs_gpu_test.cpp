// fused.wgmma_rs_* with order:1 and order:2 (the two warpgroups take turns, on named barriers, at issuing their
// tiles' wgmmas or at their epilogues): each variant's default with either validates on every test shape with
// stride 1 (the other is declined with its reason), and none hangs. The
// tiny shapes give CTAs whose groups have one tile, or one and none, where a turn passed to a group without a
// tile would leave the other waiting. The tuner runs isolated with a watchdog, so a deadlock is a `timeout` record
// and a failed test, not a hung one.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gpu/gpu_fixture.hpp"
#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"
#include "tuner/results.hpp"
#include "tuner/variant.hpp"

using namespace convmish;
namespace fs = std::filesystem;

TEST(WgmmaRsGpu, TurnsBetweenWarpgroupsValidateOnEveryShapeAndNeverHang) {
  REQUIRE_GPU();
  const fs::path dir = fs::temp_directory_path() / ("convmish_wgmma_rs_gpu_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // The shapes of VariantsGpu (variants_gpu_test.cpp); the strided one is declined by these variants.
  const char* shapes[] = {"small", "4,3,20,21,16,3", "2,8,15,17,1,3", "1,32,40,44,64,3", "1,1,3,3,1,3",
                          "3,5,16,19,7,3,3,2,1", "2,6,11,13,9,5"};
  // Each variant's default with order:1 and with order:2, all four in one tuner run per shape (-c four times).
  std::vector<Config> configs;
  std::string c_options;
  for (const char* id : {"fused.wgmma_rs_tf32", "fused.wgmma_rs_3xtf32"}) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    for (const int64_t order : {1, 2}) {
      Config c = v->space().default_config();
      c["order"] = order;
      ASSERT_FALSE(v->space().violation(c)) << id;
      configs.push_back(c);
      c_options += " -c " + config_string(c);
    }
  }
  for (const char* shape : shapes) {
    const fs::path json = dir / "turns.json";
    fs::remove(json);
    fs::remove(journal_path(json));
    const auto [exit_code, log] = convmish::testing::run_logged(
        std::string("'") + CONVMISH_TUNER + "' -p " + shape + " -v 'fused.wgmma_rs_*'" + c_options +
            " --no-baseline --checks 2 --min-time 0 --max-time 0.02 --warmup-ms 1 --timeout 120 -o '" +
            json.string() + "'",
        dir / "turns.log");
    ASSERT_EQ(exit_code, 0) << shape << "\n" << log;
    const ResultsFile f = read_results(json);
    ASSERT_EQ(f.records.size(), configs.size()) << shape << "\n" << log;
    for (size_t i = 0; i < configs.size(); ++i) {
      const Record& r = f.records[i];
      EXPECT_EQ(r.params, configs[i]) << r.name();
      if (parse_problem(shape).stride != 1) {
        EXPECT_EQ(r.status, Status::kUnsupported) << shape << " " << r.name();
        EXPECT_NE(r.reason.find("stride"), std::string::npos) << r.reason;
      } else {
        EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason << "\n" << log;
      }
    }
  }
  if (!HasFailure()) fs::remove_all(dir);
}
