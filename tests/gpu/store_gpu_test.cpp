// TMA output stores (`tstore` of fused.wgmma_rs_*): the epilogue stages each tile row's outputs in shared memory and
// sends them out as boxes of a [N][K][P x Q] tensor map, with the last tile column of a row shifted to end at Q. The
// tuner poisons the output before every run and validates every element, so a pixel that no box wrote, or a box
// written at the wrong place, fails the record. TMA boxes need W % 4 == 0 (loads) and Q % 4 == 0 (stores), so the
// shapes are padded 3x3, 1x1 and 5x5 convolutions: two column tiles that overlap by 60 pixels (Q 68), a third one
// overlapping (Q 132), exactly one (Q 64), rows past P in the last row tile, channels past K inside a box (K 44),
// C 3 and 5, K 256 over several channel blocks, and many tiles per warp group (each staging buffer reused across
// tiles); and shapes where tstore must fall back to the threads' stores (W % 4 != 0, Q < 64, Q % 4 != 0: the seed's
// kind), which details.tma_output_box tells apart.
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

TEST(StoreGpu, TmaStoreBoxesValidateOnEveryShapeAndFallBackWhereTheyCannot) {
  REQUIRE_GPU();
  const fs::path dir = convmish::testing::scratch_dir("store");
  const DeviceInfo device = probe_device(0);
  const std::string many = std::to_string((5 * device.sm_count / 15) | 1) + ",16,60,68,128,3,3,1,1";
  const std::vector<std::string> stored_shapes = {
      "2,16,34,68,32,3,3,1,1", "1,8,12,132,44,3,3,1,1", "2,16,9,64,32,3,3,1,1", "2,5,14,64,128,3,3,1,1",
      "2,3,20,64,16,1",        "1,16,10,68,256,5",      many};
  const std::vector<std::string> fallback_shapes = {"2,8,20,70,32,3", "2,16,34,36,32,3", "1,4,9,68,16,3"};
  convmish::testing::VariantConfigs configs;
  for (const char* id : {"fused.wgmma_rs_tf32", "fused.wgmma_rs_3xtf32", "fused.wgmma_rs_tf32f16"}) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    c["tstore"] = 1;
    configs.emplace_back(id, c);
  }
  {
    const Variant* v = Registry::instance().find("fused.wgmma_rs_tf32");
    Config clusters = v->space().default_config(), one_group = clusters;
    clusters["tstore"] = 1, clusters["mcast"] = 2, clusters["bn"] = 32;
    one_group["tstore"] = 1, one_group["groups"] = 1, one_group["order"] = 0, one_group["stages"] = 2;
    for (const Config& c : {clusters, one_group}) {
      ASSERT_FALSE(v->space().violation(c)) << v->space().violation(c).value_or("");
      configs.emplace_back(v->id(), c);
    }
  }
  int stored = 0;
  for (const auto* list : {&stored_shapes, &fallback_shapes})
    for (const std::string& shape : *list) {
      const auto run = convmish::testing::run_configs(dir, shape, "fused.wgmma_rs_*", configs);
      if (HasFatalFailure()) return;
      const Problem p = parse_problem(shape);
      const bool expect = list == &stored_shapes;
      ASSERT_EQ(expect, p.W % 4 == 0 && p.Q() >= 64 && p.Q() % 4 == 0) << shape;
      ASSERT_EQ(run.records.size(), configs.size()) << shape << "\n" << run.log;
      for (const Record& r : run.records) {
        EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason << "\n" << run.log;
        if (r.status != Status::kOk) continue;
        ASSERT_EQ(r.details.contains("tma_output_box"), expect) << shape << " " << r.name() << " " << r.details.dump();
        if (!expect) continue;
        ++stored;
        EXPECT_EQ(r.details.at("tma_output_box"), nlohmann::json::array({32, 8})) << r.details.dump();
        if (shape == many) {  // several tiles per warp group: each stage buffer stages several tiles' outputs
          const int64_t slots = r.details.at("grid").get<int64_t>() / r.details.at("kblocks").get<int64_t>() *
                                r.params.at("groups");
          EXPECT_GE(r.details.at("tiles").get<int64_t>() / slots, 2) << r.name() << " " << r.details.dump();
        }
      }
    }
  EXPECT_EQ(stored, int(configs.size() * stored_shapes.size()));
  if (!HasFailure()) fs::remove_all(dir);
}
