// Thread block clusters (`mcast` of fused.wgmma_rs_*): clusters of 2 and 4 CTAs on consecutive channel blocks, whose
// rank 0 multicasts each TMA box into all of them, validate in their precision class on every TMA test shape and on
// shapes whose channel blocks the cluster divides: K 64 to 256 (one to four clusters per tile), a tiny image, a 1x1
// filter, padding, and one shape with several tiles per warp group (each stage's `full` and `empty` mbarriers go
// through several phases, and rank 0 waits for the others before reusing a stage). Where the cluster does not divide
// the channel blocks, or TMA does not run (odd width), the kernel runs without clusters: the record's details say
// which (details.cluster). The tuner runs isolated with a watchdog, so a wait that never completes is a `timeout`
// record and a failed test, not a hung one.
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

TEST(ClusterGpu, MulticastBoxesValidateOnEveryShapeAndNeverHang) {
  REQUIRE_GPU();
  const fs::path dir = convmish::testing::scratch_dir("cluster");
  const DeviceInfo device = probe_device(0);
  const std::string many = std::to_string((5 * device.sm_count / 15) | 1) + ",16,62,68,128,3";
  std::vector<std::string> shapes = convmish::testing::tma_shapes();
  shapes.insert(shapes.end(), {"2,16,34,36,128,3", "1,5,9,8,64,3", "2,3,20,20,256,1", "2,5,14,16,128,3,3,1,1",
                               "2,8,20,21,128,3", many});
  convmish::testing::VariantConfigs configs;
  for (const char* id : {"fused.wgmma_rs_tf32", "fused.wgmma_rs_3xtf32", "fused.wgmma_rs_tf32f16"}) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    for (int64_t mc : {2, 4}) {
      Config c = v->space().default_config();
      c["mcast"] = mc, c["bn"] = 32;  // bn 32: clusters of 4 on K 128
      ASSERT_FALSE(v->space().violation(c)) << id << ": " << v->space().violation(c).value_or("");
      configs.emplace_back(id, c);
    }
  }
  int clustered = 0;
  for (const std::string& shape : shapes) {
    const auto run = convmish::testing::run_configs(dir, shape, "fused.wgmma_rs_*", configs);
    if (HasFatalFailure()) return;
    const Problem p = parse_problem(shape);
    for (const Record& r : run.records) {
      if (p.stride != 1) {
        EXPECT_EQ(r.status, Status::kUnsupported) << shape << " " << r.name();
        continue;
      }
      EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason << "\n" << run.log;
      if (r.status != Status::kOk) continue;
      const int64_t mc = r.params.at("mcast"), kblocks = r.details.at("kblocks").get<int64_t>();
      const bool expect = p.W % 4 == 0 && kblocks % mc == 0;
      ASSERT_EQ(r.details.contains("cluster"), expect) << shape << " " << r.name() << " " << r.details.dump();
      if (!expect) continue;
      ++clustered;
      EXPECT_EQ(r.details.at("cluster").at("ctas").get<int64_t>(), mc) << r.details.dump();
      EXPECT_GE(r.details.at("cluster").at("max_active").get<int64_t>(), 1) << r.details.dump();
      EXPECT_EQ(r.details.at("grid").get<int64_t>() % mc, 0) << r.details.dump();
      if (shape == many) {  // several tiles, so several chunks per stage buffer
        const int64_t slots = r.details.at("grid").get<int64_t>() / kblocks * r.params.at("groups");
        EXPECT_GE(r.details.at("tiles").get<int64_t>() / slots, 2) << r.name() << " " << r.details.dump();
      }
    }
  }
  // 3 variants x 2 cluster sizes on the 4 shapes with 4 or 8 channel blocks (bn 32, K 128 or 256) and even width,
  // and mcast 2 alone on K 64: no record may fall back to no cluster where one fits.
  EXPECT_EQ(clustered, 3 * 2 * 4 + 3);
  if (!HasFailure()) fs::remove_all(dir);
}
