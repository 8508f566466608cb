// fused.wgmma_rs_tf32f16 and fused.igemm_tf32f16 (3xTF32 with both cross terms in one f16 MMA) and the f16
// operands' range, beside the 3xTF32 defaults on the same inputs (--x-range, --w-scale): their defaults validate in the
// fp32 class on the magnitudes their scaling covers (inputs up to +-3e4, f16 holding 65504, and of +-1e-3; weights
// 1000x below and 100x above PyTorch's default bound) on `small` (the cp.async loader) and a TMA shape. Beyond f16's
// range (inputs up to 1e6) their operands saturate: the output stays finite and within the TF32 class, and the record
// says incorrect in the fp32 class, while 3xTF32, whose operands are all TF32, stays ok.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "gpu/gpu_fixture.hpp"
#include "tuner/param_space.hpp"
#include "tuner/results.hpp"
#include "tuner/tolerance.hpp"
#include "tuner/variant.hpp"

using namespace convmish;
namespace fs = std::filesystem;

TEST(F16CrossGpu, Fp32ClassAcrossTheScaledRangeAndSaturatingBeyondIt) {
  REQUIRE_GPU();
  const fs::path dir = convmish::testing::scratch_dir("f16_cross");
  convmish::testing::VariantConfigs configs;
  std::string pattern;
  for (const char* id : {"fused.wgmma_rs_tf32f16", "fused.wgmma_rs_3xtf32", "fused.igemm_tf32f16", "fused.igemm_3xtf32"}) {
    configs.emplace_back(id, Registry::instance().find(id)->space().default_config());
    pattern += (pattern.empty() ? "" : ",") + std::string(id);
  }
  auto mixed = [](const Record& r) { return r.variant.find("tf32f16") != std::string::npos; };
  for (const char* shape : {"small", "2,16,34,36,32,3"})
    for (const char* inputs : {"--x-range -3e4,3e4", "--x-range -1e-3,1e-3", "--w-scale 1e-3", "--w-scale 100",
                               "--x-range -1,1 --w-scale 30"}) {
      const auto run = convmish::testing::run_configs(dir, shape, pattern, configs, inputs);
      if (HasFatalFailure()) return;
      for (const Record& r : run.records) {
        EXPECT_EQ(r.status, Status::kOk) << shape << " " << inputs << " " << r.name() << ": " << r.reason << "\n"
                                         << run.log;
        EXPECT_EQ(r.precision, "fp32") << r.name();
      }
    }
  const double tf32_tol = tolerance_for("tf32").rel_l2;
  for (const char* shape : {"small", "2,16,34,36,32,3"}) {
    const auto run = convmish::testing::run_configs(dir, shape, pattern, configs, "--x-range 0,1e6");
    if (HasFatalFailure()) return;
    for (const Record& r : run.records) {
      if (!mixed(r)) {
        EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason;
        continue;
      }
      EXPECT_EQ(r.status, Status::kIncorrect) << shape << " " << r.name() << ": saturated f16 operands, yet "
                                              << r.reason;
      ASSERT_TRUE(r.verdict) << shape << " " << r.name();
      EXPECT_EQ(r.verdict->nonfinite, 0) << shape << " " << r.name();
      EXPECT_TRUE(std::isfinite(r.verdict->rel_l2)) << shape << " " << r.name();
      EXPECT_GT(r.verdict->rel_l2, tolerance_for("fp32").rel_l2) << shape << " " << r.name();
      EXPECT_LT(r.verdict->rel_l2, tf32_tol) << shape << " " << r.name()
                                             << ": the cross terms fall to TF32 accuracy, no further";
    }
  }
  if (!HasFailure()) fs::remove_all(dir);
}
