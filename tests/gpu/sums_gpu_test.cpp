// fused.wgmma_rs_3xtf32 with `sums:2` (the small terms' tensor-core sums in registers of their own, the big products'
// folded after 27 of their own adds, over several chunks): validates in the fp32 class on the shapes TmaGpu uses
// (TMA boxes; an odd width with the cp.async loader), on a 1x1 filter (its sums then run over 27 chunks between
// folds, 9 with sums:1, whose default is checked beside it on every shape) and on 64 channels of input (8 chunks, a
// fold after chunks 3, 6 and 8); it declines stride 2 with the reason.
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

TEST(SumsGpu, SmallTermsApartValidateInTheFp32ClassOnEveryShape) {
  REQUIRE_GPU();
  const fs::path dir = convmish::testing::scratch_dir("sums");
  std::vector<std::string> shapes = convmish::testing::tma_shapes();
  shapes.insert(shapes.end(), {"2,16,34,36,32,1", "1,64,12,68,40,3"});  // a 1x1 filter; 64 input channels
  const Variant* v = Registry::instance().find("fused.wgmma_rs_3xtf32");
  ASSERT_NE(v, nullptr);
  Config two = v->space().default_config();
  two["sums"] = 2, two["th"] = 3;
  ASSERT_FALSE(v->space().violation(two)) << v->space().violation(two).value_or("");
  const Config one = v->space().default_config();
  ASSERT_EQ(one.at("sums"), 1);
  const convmish::testing::VariantConfigs configs = {{v->id(), two}, {v->id(), one}};
  for (const std::string& shape : shapes) {
    const auto run = convmish::testing::run_configs(dir, shape, v->id(), configs);
    if (HasFatalFailure()) return;
    for (const Record& r : run.records) {
      if (parse_problem(shape).stride != 1) {
        EXPECT_EQ(r.status, Status::kUnsupported) << shape << " " << r.name();
        EXPECT_NE(r.reason.find("stride"), std::string::npos) << r.reason;
        continue;
      }
      EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason << "\n" << run.log;
      EXPECT_EQ(r.precision, "fp32") << shape << " " << r.name();
    }
  }
  if (!HasFailure()) fs::remove_all(dir);
}
