// TMA input loads (`tma:1`) in fused.wgmma_rs_* and fused.igemm_*: each default with tma:1 validates with TMA boxes on
// every shape whose width is a multiple of 4 floats, with channels past C (C 3, 5 and 6 in boxes of 8), K 1 and a
// partial channel block, batch 1, a tiny image, padding (negative box coordinates), a 5x5 filter, and one shape with
// several tiles per warp group (each stage's mbarrier then goes through several phases); on an odd width it validates
// with the cp.async loader (no tma_input_box in its details); wgmma_rs declines stride 2 with the reason, igemm
// validates it where the strided patch fits the shared memory (a box of strided rows; 32-wide TF32 tiles) and declines
// the rest with that reason. The wgmma_rs defaults (warp-uniform group index, ugrp:1) run with ugrp:0 as well. The
// tuner runs isolated with a watchdog, so a wait on a barrier that never completes is a `timeout` record and a failed
// test, not a hung one.
#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "gpu/gpu_fixture.hpp"
#include "tuner/device.hpp"
#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"
#include "tuner/results.hpp"
#include "tuner/variant.hpp"

using namespace convmish;
namespace fs = std::filesystem;

TEST(TmaGpu, InputBoxesValidateOnEveryShapeTheyTakeAndNeverHang) {
  REQUIRE_GPU();
  const fs::path dir = convmish::testing::scratch_dir("tma");
  const DeviceInfo device = probe_device(0);
  const int sm = device.sm_count;
  const std::string many = std::to_string((5 * sm / 15) | 1) + ",16,62,68,64,3";  // as in TurnsGpu, W 68
  // The TMA shapes, then one with several tiles per warpgroup.
  std::vector<std::string> shapes = convmish::testing::tma_shapes();
  shapes.push_back(many);
  convmish::testing::VariantConfigs configs;
  for (const char* id : {"fused.wgmma_rs_tf32", "fused.wgmma_rs_3xtf32", "fused.wgmma_rs_tf32f16", "fused.igemm_tf32",
                         "fused.igemm_3xtf32", "fused.igemm_tf32f16"}) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    c["tma"] = 1;
    ASSERT_FALSE(v->space().violation(c)) << id;
    configs.emplace_back(id, c);
    if (std::string(id).rfind("fused.wgmma_rs_", 0) == 0) {  // each thread's own group index too (ugrp:0)
      Config own = c;
      own["ugrp"] = 0;
      ASSERT_FALSE(v->space().violation(own)) << id;
      configs.emplace_back(id, own);
    }
    if (std::string(id) == "fused.igemm_tf32") {  // 32-wide tiles too, whose strided patch fits the shared memory
      c["tw"] = 32;
      ASSERT_FALSE(v->space().violation(c)) << id;
      configs.emplace_back(id, c);
    }
  }
  for (const std::string& shape : shapes) {
    const auto run = convmish::testing::run_configs(dir, shape, "fused.wgmma_rs_*,fused.igemm_*", configs);
    if (HasFatalFailure()) return;
    const Problem p = parse_problem(shape);
    int strided_ok = 0;
    for (const Record& r : run.records) {
      const bool wgmma = r.variant.rfind("fused.wgmma_rs_", 0) == 0;
      // igemm on the strided shape: a strided patch is about twice as wide, and the tiles whose input stages then
      // exceed the shared memory are declined with that reason, as the variant's own check says on this GPU.
      const bool too_big = !wgmma && p.stride != 1 &&
                           !Registry::instance().find(r.variant)->supports(p, r.params, device).ok;
      if (p.stride != 1 && (wgmma || too_big)) {
        EXPECT_EQ(r.status, Status::kUnsupported) << shape << " " << r.name();
        EXPECT_NE(r.reason.find(wgmma ? "stride" : "shared memory"), std::string::npos) << r.reason;
      } else {
        strided_ok += p.stride != 1;
        EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason << "\n" << run.log;
        EXPECT_EQ(r.details.contains("tma_input_box"), p.W % 4 == 0) << shape << " " << r.details.dump();
      }
      if (shape == many && r.status == Status::kOk) {  // several tiles, so several chunks per stage buffer
        const int64_t groups = r.params.at("groups"), slots = r.details.at("grid").get<int64_t>() /
                                                               r.details.at("kblocks").get<int64_t>() * groups;
        EXPECT_GE(r.details.at("tiles").get<int64_t>() / slots, 2) << r.name() << " " << r.details.dump();
      }
    }
    if (p.stride != 1) EXPECT_GE(strided_ok, 1) << "no igemm configuration took the strided shape's TMA boxes";
  }
  if (!HasFailure()) fs::remove_all(dir);
}
