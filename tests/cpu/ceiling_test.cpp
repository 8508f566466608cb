// The arithmetic ceilings that timed records are measured against (details.ceiling): the fp32 FFMA peak of an
// H100 SXM, the wgmma rate of the datasheet, 3xTF32 at a third of mma.sync TF32, and which variants declare which.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tuner/device.hpp"
#include "tuner/variant.hpp"

using namespace convmish;

namespace {
DeviceInfo gpu(int major, int minor) {
  DeviceInfo d;
  d.cc_major = major, d.cc_minor = minor, d.sm_count = 132;
  return d;
}
// The ceiling of a variant's default configuration; a missing variant throws (the test fails, nothing crashes).
std::optional<Ceiling> default_ceiling(const char* id, const DeviceInfo& d = gpu(9, 0)) {
  const Variant* v = Registry::instance().find(id);
  if (v == nullptr) throw std::runtime_error(std::string("no variant ") + id);
  return v->ceiling(v->space().default_config(), d);
}
}  // namespace

TEST(Ceiling, FfmaPeakOfAnH100At1980MHzIs66Point9TflopsAndPctIsTheRecordsShare) {
  const nlohmann::json j = ceiling_json(Ceiling{"fp32 FFMA", kFfmaFlopsPerClkPerSm}, 132, 1980, 47.47);
  EXPECT_EQ(j.at("name"), "fp32 FFMA");
  EXPECT_EQ(j.at("clock_mhz"), 1980);
  EXPECT_NEAR(j.at("tflops").get<double>(), 66.90, 0.01);
  EXPECT_NEAR(j.at("pct").get<double>(), 100.0 * 47.47 / 66.90, 0.01);
  // A slower clock lowers the ceiling in proportion.
  EXPECT_NEAR(ceiling_json(Ceiling{"x", kFfmaFlopsPerClkPerSm}, 132, 990, 1.0).at("tflops").get<double>(), 33.45,
              0.01);
  EXPECT_EQ(ceiling_json(Ceiling{"x", 1.0}, 0, 1980, 1.0).at("pct").get<double>(), 0.0);  // no SMs: no division
}

TEST(Ceiling, WgmmaRateIsTheDatasheetsDenseTf32Figure) {
  EXPECT_NEAR(ceiling_json(Ceiling{"t", kWgmmaTf32FlopsPerClkPerSm}, 132, 1830, 1).at("tflops").get<double>(), 494.7,
              0.1);
}

TEST(Ceiling, VariantsDeclareTheUnitTheirKernelsRunOn) {
  for (const char* id : {"fused.tiled_fp32", "fused.naive"}) {
    const auto c = default_ceiling(id);
    ASSERT_TRUE(c) << id;
    EXPECT_EQ(c->name, "fp32 FFMA");
    EXPECT_EQ(c->flops_per_clk_per_sm, kFfmaFlopsPerClkPerSm);
  }
  const auto tf32 = default_ceiling("fused.igemm_tf32");
  const auto threex = default_ceiling("fused.igemm_3xtf32");
  ASSERT_TRUE(tf32 && threex);
  EXPECT_DOUBLE_EQ(threex->flops_per_clk_per_sm * 3, tf32->flops_per_clk_per_sm);
  const auto wg = default_ceiling("fused.wgmma_tf32");
  ASSERT_TRUE(wg);
  EXPECT_EQ(wg->flops_per_clk_per_sm, kWgmmaTf32FlopsPerClkPerSm);
  // Other GPUs: an A100 (sm_80) has half the FFMA lanes an SM; the mma.sync rate is known for sm_90 only.
  EXPECT_EQ(default_ceiling("fused.tiled_fp32", gpu(8, 0))->flops_per_clk_per_sm, kFfmaFlopsPerClkPerSm / 2);
  EXPECT_EQ(default_ceiling("fused.tiled_fp32", gpu(8, 9))->flops_per_clk_per_sm, kFfmaFlopsPerClkPerSm);
  EXPECT_EQ(default_ceiling("fused.naive", gpu(7, 5))->flops_per_clk_per_sm, kFfmaFlopsPerClkPerSm / 2);
  EXPECT_FALSE(default_ceiling("fused.igemm_tf32", gpu(8, 0)));
  // cuDNN and the elementwise Mish variants run several kernels on different units: no single ceiling.
  EXPECT_FALSE(default_ceiling("cudnn.eager"));
  EXPECT_FALSE(default_ceiling("mish.float4"));
}
