// Turns between two warp groups on named barriers (`order`): fused.wgmma_rs_* with order:1 (turns at issuing a
// tile's wgmmas) and order:2 (at the epilogues), fused.igemm_* with order:2. Each variant's default with them
// validates on every test shape but the strided one, which they decline with the reason (wgmma_rs: stride; igemm:
// shared memory), including one with several tiles per warp group, where the turns go back and forth; none hangs. The
// tiny shapes give CTAs whose groups have one tile, or one and none, where a turn passed to a group without a
// tile would leave the other waiting. The tuner runs isolated with a watchdog, so a deadlock is a `timeout` record
// and a failed test, not a hung one.
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

TEST(TurnsGpu, BetweenTwoGroupsValidateOnEveryShapeAndNeverHang) {
  REQUIRE_GPU();
  const fs::path dir = convmish::testing::scratch_dir("turns");
  // The shapes of VariantsGpu (variants_gpu_test.cpp): at most one tile per warp group there, so only the first
  // turn passes. Then one with several per group: 15 tiles of 4 x 64 pixels an image (P 60, Q 64) and an odd number
  // of images, so that the persistent grid (one CTA per SM, two groups) gives each TF32 group about 2.5 tiles and
  // each 3xTF32 group (bn 32: two channel blocks of K 64) about 5, and an odd tile count over an even number of
  // groups makes CTAs whose groups have (n, n), (n + 1, n) and (n + 1, n + 1) tiles all occur. C 16: two chunks.
  const int sm = probe_device(0).sm_count;
  const std::string many = std::to_string((5 * sm / 15) | 1) + ",16,62,66,64,3";
  std::vector<std::string> shapes = {"small",         "4,3,20,21,16,3",      "2,8,15,17,1,3", "1,32,40,44,64,3",
                                     "1,1,3,3,1,3",   "3,5,16,19,7,3,3,2,1", "2,6,11,13,9,5", many};
  // The defaults with their turns (fused.igemm_3xtf32's with two groups of 64x32 warp tiles, as its default since
  // 2026-12-06; fused.igemm_tf32f16's the same, which that configuration also runs for), every selected variant's in
  // one tuner run per shape.
  convmish::testing::VariantConfigs configs;
  for (const auto& [id, orders] : std::vector<std::pair<const char*, std::vector<int64_t>>>{
           {"fused.igemm_tf32", {2}},
           {"fused.igemm_3xtf32", {2}},
           {"fused.wgmma_rs_tf32", {1, 2}},
           {"fused.wgmma_rs_3xtf32", {1, 2}},
           {"fused.igemm_tf32f16", {2}},
           {"fused.wgmma_rs_tf32f16", {1, 2}}}) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    for (const int64_t order : orders) {
      Config c = v->space().default_config();
      if (std::string(id) == "fused.igemm_3xtf32" || std::string(id) == "fused.igemm_tf32f16")
        c["bn"] = 32, c["wn"] = 1, c["groups"] = 2;
      c["order"] = order;
      ASSERT_FALSE(v->space().violation(c)) << id;
      configs.emplace_back(id, c);
    }
  }
  for (const std::string& shape : shapes) {
    const auto run = convmish::testing::run_configs(dir, shape, "fused.igemm_*,fused.wgmma_rs_*", configs);
    if (HasFatalFailure()) return;
    for (const Record& r : run.records) {
      if (parse_problem(shape).stride != 1) {  // wgmma_rs: stride 1 only; igemm: the 64-wide tile's patch is too big
        EXPECT_EQ(r.status, Status::kUnsupported) << shape << " " << r.name();
        const bool wgmma = r.variant.rfind("fused.wgmma_rs", 0) == 0;
        EXPECT_NE(r.reason.find(wgmma ? "stride" : "shared memory"), std::string::npos) << r.reason;
      } else {
        EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason << "\n" << run.log;
      }
      if (shape == many && r.status == Status::kOk) {  // every group had several tiles: the turns went back and forth
        const int64_t groups = r.params.at("groups"), slots = r.details.at("grid").get<int64_t>() /
                                                               r.details.at("kblocks").get<int64_t>() * groups;
        EXPECT_GE(r.details.at("tiles").get<int64_t>() / slots, 2) << r.name() << " " << r.details.dump();
      }
    }
  }
  if (!HasFailure()) fs::remove_all(dir);
}
