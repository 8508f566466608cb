// fused.igemm_tf32 / fused.igemm_3xtf32 without a GPU: the 3xTF32 default is the configuration measured fastest in
// the fp32 class, and both defaults compile for the seed without spills (ptxas through NVRTC), as do the TF32
// default with the epilogue turns (order:2) and both with TMA input loads (tma:1, sm_90 only, W % 4 == 0).
#include <gtest/gtest.h>

#include "kernel_defines.hpp"
#include "mish.cuh"
#include "ptxas_log.hpp"
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

using namespace convmish;

namespace {
const Variant* igemm(const char* id) { return Registry::instance().find(id); }

// The 3xTF32 configuration with two warp groups (64x32 warp tiles, to fit the register cap), for the turns tests
// (since 2026-12-06 the default has them too).
Config two_groups_3x() {
  Config c = igemm("fused.igemm_3xtf32")->space().default_config();
  c["bn"] = 32, c["wn"] = 1, c["groups"] = 2;
  return c;
}
}  // namespace

TEST(FusedIgemm, ThreeXDefaultIsTheFastestFp32ClassConfigurationMeasured) {
  const Variant* v = igemm("fused.igemm_3xtf32");
  ASSERT_NE(v, nullptr);
  // 8.633 ms on the seed, H100, 2026-12-05 (results/h100/2026-12-05_3f46d83-call6) as one group of 64x32 warp tiles;
  // with tma:1 (2026-12-06) two groups of 64x32 tiles (bn 32) taking turns at their epilogues beat it by 0.7-2.8 % in
  // three rounds (results/h100/2026-12-06_c3e4335-igemm-defaults).
  const Config want{{"th", 8},      {"tw", 32},     {"bn", 32},    {"ck", 16},    {"wm", 4},
                    {"wn", 1},      {"stages", 2},  {"unroll", 1}, {"groups", 2}, {"stagger", 0},
                    {"order", 2},   {"pairs", 0},   {"epi", 1},    {"bfrag", 1},  {"tma", 1},
                    {"fold", 2},    {"split", 1},   {"wpre", 0},   {"form", CM_MISH_FAST_ACCURATE}};
  EXPECT_EQ(v->space().default_config(), want);
  EXPECT_EQ(v->precision(want), "fp32");
}

namespace {
// The main kernel of (id, c) compiles for the seed (sm_90) without spills, within the register cap.
void expect_compiles_without_spills(const char* id, const Config& c) {
  const testing_ptxas::VerbosePtxas verbose;
  const Compiler compiler(9, 0, {});
  const Problem seed = parse_problem("seed");
  const Variant* v = igemm(id);
  ASSERT_NE(v, nullptr) << id;
  ASSERT_FALSE(v->space().violation(c)) << id;
  int checked = 0;
  for (const KernelSpec& spec : v->kernels(seed, c)) {
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
}  // namespace

TEST(FusedIgemm, DefaultsCompileForTheSeedWithoutSpills) {
  for (const char* id : {"fused.igemm_tf32", "fused.igemm_3xtf32", "fused.igemm_tf32f16"})
    expect_compiles_without_spills(id, igemm(id)->space().default_config());
}

// order:2, the two warp groups' turns at their epilogues (named barriers): the TF32 default (two groups, order:2 since
// TMA loads made it faster) and the 3xTF32 one with two groups of 64x32 warp tiles (two_groups_3x) compile with it
// cleanly; one group has no one to take turns with.
TEST(FusedIgemm, EpilogueTurnsCompileCleanlyAndNeedTwoGroups) {
  Config x3 = two_groups_3x();
  x3["order"] = 2;
  expect_compiles_without_spills("fused.igemm_3xtf32", x3);
  Config c = igemm("fused.igemm_tf32")->space().default_config();
  ASSERT_EQ(c.at("groups"), 2);
  EXPECT_EQ(c.at("order"), 2);
  expect_compiles_without_spills("fused.igemm_tf32", c);
  c["groups"] = 1;
  const auto why = igemm("fused.igemm_tf32")->space().violation(c);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("order:2 needs groups 2"), std::string::npos) << *why;
}

TEST(FusedIgemm, StaggerNeedsASecondWarpGroup) {
  for (const char* id : {"fused.igemm_tf32", "fused.igemm_3xtf32"}) {
    const Variant* v = igemm(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    c["order"] = 0;  // (the TF32 default's turns need two groups as well; this is about the stagger)
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

// tma:1 (TMA boxes for the input patches, as in fused.wgmma_rs_*): both defaults have it and compile cleanly, and the
// TF32 one with either weight layout (bfrag 1 and 0, whose channel order follows the dense planes: t and t + 4) and
// with pairs:1 (its 64-bit fragment loads); TMA=1 reaches the kernel only where W % 4 == 0; GPUs before sm_90
// decline it with the reason, and take tma:0.
TEST(FusedIgemm, TmaLoadsCompileCleanlyNeedSm90AndGiveWayToCpAsyncOnOddWidths) {
  for (const char* id : {"fused.igemm_tf32", "fused.igemm_3xtf32", "fused.igemm_tf32f16"}) {
    Config c = igemm(id)->space().default_config();
    ASSERT_EQ(c.at("tma"), 1) << id;
    expect_compiles_without_spills(id, c);
    if (std::string(id) == "fused.igemm_tf32") {  // (the 3xTF32 default at 255 registers spills with either, tma:0 too)
      c["bfrag"] = 0;
      expect_compiles_without_spills(id, c);
      c["bfrag"] = 1, c["pairs"] = 1;
      expect_compiles_without_spills(id, c);
      c["pairs"] = 0;
    }
    auto tma_define = [&](const char* shape) {
      return testing_defines::main_kernel_define(*igemm(id), parse_problem(shape), c, "TMA");
    };
    EXPECT_EQ(tma_define("seed"), "1") << id;
    EXPECT_EQ(tma_define("small"), "0") << id;  // W 37
    DeviceInfo d;
    d.cc_major = 8, d.cc_minor = 0, d.sm_count = 108, d.smem_per_block_optin = 166912;
    const Problem p = parse_problem("small");
    const Support s = igemm(id)->supports(p, c, d);
    EXPECT_FALSE(s.ok) << id;
    EXPECT_NE(s.reason.find("tma:1"), std::string::npos) << s.reason;
    c["tma"] = 0;
    EXPECT_EQ(igemm(id)->supports(p, c, d).reason.find("tma"), std::string::npos) << id;
  }
}

// fused.igemm_tf32f16: 3xTF32's space with the kernel built with XF16=1 (the cross terms in one f16
// m16n8k16), the fp32 class with an accurate Mish form, and a ceiling of two MMAs per multiply-add.
TEST(FusedIgemm, F16CrossTermsTakeThreeXsSpaceAndTheF16Kernel) {
  const Variant* v = igemm("fused.igemm_tf32f16");
  const Variant* x3 = igemm("fused.igemm_3xtf32");
  ASSERT_NE(v, nullptr);
  // 3xTF32's default but for one group of 64x64-channel tiles, measured faster with the f16 cross terms (H100,
  // 2026-12-06: 7.62-7.68 ms against 8.09-8.30; results/h100/2026-12-06_0b9344f-igemm-tf32f16 and _2a92703-fadds).
  const Config c = v->space().default_config();
  Config want = x3->space().default_config();
  want["bn"] = 64, want["wn"] = 2, want["groups"] = 1, want["order"] = 0;
  EXPECT_EQ(c, want);
  EXPECT_EQ(v->precision(c), "fp32");
  auto define = [](const Variant* var, const Config& cfg, const char* name) {
    return testing_defines::main_kernel_define(*var, parse_problem("seed"), cfg, name);
  };
  EXPECT_EQ(define(v, c, "XF16"), "1");
  EXPECT_EQ(define(v, c, "THREEX"), "1");
  EXPECT_EQ(define(x3, c, "XF16"), "0");
  DeviceInfo d;
  d.cc_major = 9, d.cc_minor = 0, d.sm_count = 132, d.smem_per_block_optin = 232448;
  const auto ceiling = v->ceiling(c, d);
  ASSERT_TRUE(ceiling);
  EXPECT_DOUBLE_EQ(ceiling->flops_per_clk_per_sm, kMmaSyncTf32FlopsPerClkPerSm / 2);
}

// wpre:1 (the weights' big and small parts both resident, split once by igemm_weights): fragment order only, twice
// the weights' shared memory (so the 3xTF32 default's 16-channel stages no longer fit the seed beside them, and the
// variant says so), and clean compiles of the shapes that fit, with WPRE defined for both kernels.
TEST(FusedIgemm, PreSplitWeightsNeedFragmentOrderAndTwiceTheSharedMemory) {
  DeviceInfo d;
  d.cc_major = 9, d.cc_minor = 0, d.sm_count = 132, d.smem_per_block_optin = 232448;
  const Problem seed = parse_problem("seed");
  for (const char* id : {"fused.igemm_3xtf32", "fused.igemm_tf32f16"}) {
    const Variant* v = igemm(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    EXPECT_EQ(c.at("wpre"), 0) << id;
    c["bn"] = 32, c["wn"] = 1, c["ck"] = 16, c["stages"] = 2, c["groups"] = 2, c["order"] = 2, c["wpre"] = 1;
    ASSERT_FALSE(v->space().violation(c)) << id;
    const Support big = v->supports(seed, c, d);
    EXPECT_FALSE(big.ok) << id;
    EXPECT_NE(big.reason.find("resident weights 147456 B"), std::string::npos) << big.reason;
    c["wpre"] = 0;
    EXPECT_TRUE(v->supports(seed, c, d).ok) << id << ": 73728 B of weights";
    c["ck"] = 8, c["stages"] = 3, c["fold"] = 1, c["wpre"] = 1;
    EXPECT_TRUE(v->supports(seed, c, d).ok) << id;
    expect_compiles_without_spills(id, c);
    const auto specs = v->kernels(seed, c);
    ASSERT_FALSE(specs.empty());
    for (const KernelSpec& spec : specs) {
      bool wpre_defined = false;
      for (const auto& [name, value] : spec.defines) wpre_defined |= name == "WPRE" && value == "1";
      EXPECT_TRUE(wpre_defined) << id << " " << spec.name;
    }
    c["bfrag"] = 0;
    const auto why = v->space().violation(c);
    ASSERT_TRUE(why) << id;
    EXPECT_NE(why->find("wpre:1 needs bfrag:1"), std::string::npos) << *why;
  }
  EXPECT_FALSE(igemm("fused.igemm_tf32")->space().default_config().count("wpre")) << "TF32 has no small parts";
}
