// Pre-split weights (`wpre:1`) in fused.igemm_3xtf32 and fused.igemm_tf32f16: igemm_weights stores each weight's big
// and small parts (tf32f16: the big part and the f16 pair) in fragment order, and the kernel loads both instead of
// splitting at every use. Each validates in the fp32 class, beside the same configuration with wpre:0 on the same
// inputs, on `small` (the cp.async loader), every TMA shape (C 3 to 6, K 1, a partial channel block, padding, a 5x5
// filter, stride 2) and, for the f16 pairs' scaling, on inputs and weights of other magnitudes; a configuration whose
// doubled weights exceed the shared memory is declined with that reason, never run.
#include <filesystem>
#include <string>
#include <vector>

#include "gpu/gpu_fixture.hpp"
#include "tuner/device.hpp"
#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"
#include "tuner/results.hpp"
#include "tuner/variant.hpp"

using namespace convmish;
namespace fs = std::filesystem;

TEST(WpreGpu, PreSplitWeightsValidateInTheFp32ClassWhereTheyFit) {
  REQUIRE_GPU();
  const fs::path dir = convmish::testing::scratch_dir("wpre");
  const DeviceInfo device = probe_device(0);
  convmish::testing::VariantConfigs configs;
  // Shapes that fit twice the weights: 3xTF32's 64x32 warp tiles with 8-channel stages, tf32f16's with bn 32.
  for (const char* id : {"fused.igemm_3xtf32", "fused.igemm_tf32f16"}) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    c["bn"] = 32, c["ck"] = 8, c["stages"] = 3, c["fold"] = 1, c["wn"] = 1;
    for (int64_t wpre : {0, 1}) {
      c["wpre"] = wpre;
      ASSERT_FALSE(v->space().violation(c)) << id;
      configs.emplace_back(id, c);
    }
  }
  std::vector<std::string> shapes = convmish::testing::tma_shapes();
  shapes.insert(shapes.begin(), "small");
  int ran = 0;
  auto check = [&](const std::string& shape, const std::string& inputs) {
    const auto run = convmish::testing::run_configs(dir, shape, "fused.igemm_3xtf32,fused.igemm_tf32f16", configs,
                                                    inputs);
    if (HasFatalFailure()) return;
    const Problem p = parse_problem(shape);
    for (const Record& r : run.records) {
      if (!Registry::instance().find(r.variant)->supports(p, r.params, device).ok) {
        EXPECT_EQ(r.status, Status::kUnsupported) << shape << " " << r.name();
        EXPECT_NE(r.reason.find("shared memory"), std::string::npos) << r.reason;
        continue;
      }
      EXPECT_EQ(r.status, Status::kOk) << shape << " " << inputs << " " << r.name() << ": " << r.reason << "\n"
                                       << run.log;
      EXPECT_EQ(r.precision, "fp32") << r.name();
      ran += r.params.at("wpre") == 1 && r.status == Status::kOk;
    }
  };
  for (const std::string& shape : shapes) {
    check(shape, "");
    if (HasFatalFailure()) return;
  }
  for (const char* inputs : {"--x-range -3e4,3e4", "--x-range -1e-3,1e-3", "--w-scale 1e-3", "--w-scale 100"}) {
    check("2,16,34,36,32,3", inputs);
    if (HasFatalFailure()) return;
  }
  // (every shape but the strided one, whose wider patches exceed the shared memory beside twice the weights)
  EXPECT_GE(ran, 2 * (int(shapes.size()) - 1)) << "wpre:1 ran on too few shapes";
  if (!HasFailure()) fs::remove_all(dir);
}
