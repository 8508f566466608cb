// fused.wgmma_rs_tf32f16 (3xTF32 with both cross terms in one f16 wgmma) and the f16 operands' range, beside the
// fused.wgmma_rs_3xtf32 default on the same inputs (--x-range, --w-scale): its default validates in the fp32 class on
// the magnitudes its scaling covers (inputs up to +-3e4, f16 holding 65504; weights 1000x below and 100x above
// PyTorch's default bound) on `small` (the cp.async loader) and a TMA shape. Beyond f16's range (inputs up to 1e6) its
// operands saturate: the output stays finite and within the TF32 class, and the record says incorrect in the fp32
// class, while 3xTF32, whose operands are all TF32, stays ok.
#include <unistd.h>

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
  const fs::path dir = fs::temp_directory_path() / ("convmish_f16_cross_gpu_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const char* kMixed = "fused.wgmma_rs_tf32f16";
  const char* kThreeX = "fused.wgmma_rs_3xtf32";
  const convmish::testing::VariantConfigs configs = {
      {kMixed, Registry::instance().find(kMixed)->space().default_config()},
      {kThreeX, Registry::instance().find(kThreeX)->space().default_config()}};
  const std::string pattern = std::string(kMixed) + "," + kThreeX;
  for (const char* shape : {"small", "2,16,34,36,32,3"})
    for (const char* inputs : {"--x-range -3e4,3e4", "--w-scale 1e-3", "--w-scale 100", "--x-range -1,1 --w-scale 30"}) {
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
    ASSERT_EQ(run.records.size(), 2u);
    const Record& mixed = run.records[0];
    EXPECT_EQ(mixed.status, Status::kIncorrect) << shape << ": saturated f16 operands, yet " << mixed.reason;
    ASSERT_TRUE(mixed.verdict) << shape;
    EXPECT_EQ(mixed.verdict->nonfinite, 0) << shape;
    EXPECT_TRUE(std::isfinite(mixed.verdict->rel_l2)) << shape;
    EXPECT_GT(mixed.verdict->rel_l2, tolerance_for("fp32").rel_l2) << shape;
    EXPECT_LT(mixed.verdict->rel_l2, tf32_tol) << shape << ": the cross terms fall to TF32 accuracy, no further";
    EXPECT_EQ(run.records[1].status, Status::kOk) << shape << " 3xTF32: " << run.records[1].reason;
  }
  if (!HasFailure()) fs::remove_all(dir);
}
