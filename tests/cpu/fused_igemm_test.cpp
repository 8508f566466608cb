// fused.igemm_tf32 / fused.igemm_3xtf32 without a GPU: the 3xTF32 default is the configuration measured fastest in
// the fp32 class, and both defaults compile for the seed without spills (ptxas through NVRTC).
#include <gtest/gtest.h>

#include "mish.cuh"
#include "ptxas_log.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

using namespace convmish;

namespace {
const Variant* igemm(const char* id) { return Registry::instance().find(id); }
}  // namespace

TEST(FusedIgemm, ThreeXDefaultIsTheFastestFp32ClassConfigurationMeasured) {
  const Variant* v = igemm("fused.igemm_3xtf32");
  ASSERT_NE(v, nullptr);
  // 8.633 ms on the seed, H100, 2026-12-05 (results/h100/2026-12-05_3f46d83-call6).
  const Config want{{"th", 8},      {"tw", 32},     {"bn", 64},    {"ck", 16},    {"wm", 4},
                    {"wn", 2},      {"stages", 2},  {"unroll", 1}, {"groups", 1}, {"stagger", 0},
                    {"pairs", 0},   {"epi", 1},     {"bfrag", 1},  {"fold", 2},   {"split", 1},
                    {"form", CM_MISH_FAST_ACCURATE}};
  EXPECT_EQ(v->space().default_config(), want);
  EXPECT_EQ(v->precision(want), "fp32");
}

TEST(FusedIgemm, DefaultsCompileForTheSeedWithoutSpills) {
  const testing_ptxas::VerbosePtxas verbose;
  const Compiler compiler(9, 0, {});
  const Problem seed = parse_problem("seed");
  for (const char* id : {"fused.igemm_tf32", "fused.igemm_3xtf32"}) {
    const Variant* v = igemm(id);
    ASSERT_NE(v, nullptr) << id;
    int checked = 0;
    for (const KernelSpec& spec : v->kernels(seed, v->space().default_config())) {
      if (spec.name != "conv_igemm_mma") continue;
      CompiledKernel k;
      ASSERT_NO_THROW(k = compiler.compile(spec)) << id;
      EXPECT_EQ(testing_ptxas::spill_bytes(k.log, spec.name), 0) << id << "\n" << k.log;
      const int regs = testing_ptxas::registers(k.log, spec.name);
      EXPECT_GT(regs, 0) << id << "\n" << k.log;
      EXPECT_LE(regs, 255) << id;
      ++checked;
    }
    EXPECT_EQ(checked, 1) << id << ": no conv_igemm_mma kernel among the specs";
  }
}

TEST(FusedIgemm, StaggerNeedsASecondWarpGroup) {
  for (const char* id : {"fused.igemm_tf32", "fused.igemm_3xtf32"}) {
    const Variant* v = igemm(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    c["bn"] = 32;  // two groups of 4 warps with 64x32 warp tiles fit the register cap in both variants
    c["wn"] = 1;
    c["groups"] = 2;
    c["stagger"] = 1;
    EXPECT_FALSE(v->space().violation(c)) << id;
    // With one group the delay means nothing: such draws would only repeat stagger:0.
    c["groups"] = 1;
    const auto why = v->space().violation(c);
    ASSERT_TRUE(why) << id;
    EXPECT_NE(why->find("stagger"), std::string::npos) << *why;
    c["stagger"] = 0;
    EXPECT_FALSE(v->space().violation(c)) << id;
  }
}
