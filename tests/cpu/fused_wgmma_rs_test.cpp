// fused.wgmma_rs_tf32 / fused.wgmma_rs_3xtf32 without a GPU: the defaults compile for sm_90a with neither spills nor
// serialized wgmmas (ptxas through NVRTC), on the seed and on a 5x5 filter (3xTF32 folds its sums per column group
// there), and so do 3xTF32's fold after every step, the warpgroups' turns (order:1, order:2) and TMA input loads
// (tma:1, which widths it takes, its shared memory) and 3xTF32's small-term sums apart (sums:2); the look-ahead,
// turns and register constraints; the resident weights' size with 3xTF32's two parts.
#include <gtest/gtest.h>

#include "kernel_defines.hpp"
#include "ptxas_log.hpp"
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

using namespace convmish;

namespace {
const char* kIds[] = {"fused.wgmma_rs_tf32", "fused.wgmma_rs_3xtf32", "fused.wgmma_rs_tf32f16"};

DeviceInfo h100() {
  DeviceInfo d;
  d.cc_major = 9, d.cc_minor = 0, d.sm_count = 132, d.smem_per_block_optin = 232448;
  return d;
}
}  // namespace

TEST(FusedWgmmaRs, PtxasNoteOfSerializedWgmmasIsRecognised) {
  EXPECT_TRUE(testing_ptxas::wgmma_serialized(
      "ptxas info    : (C7518) Potential Performance Loss: wgmma.mma_async instructions are serialized due to "
      "program dependence on compiler-inserted WG.DP in divergent path in the function 'conv_igemm_mma'"));
  EXPECT_FALSE(testing_ptxas::wgmma_serialized("ptxas info    : Used 254 registers, used 16 barriers"));
}

// Compiles the main kernel of (id, config) for `shape`: sm_90a, no spills, no serialized wgmmas.
void expect_clean_compile(const char* id, const Config& c, const char* shape) {
  const testing_ptxas::VerbosePtxas verbose;
  const Compiler compiler(9, 0, {});
  const Problem p = parse_problem(shape);
  const Variant* v = Registry::instance().find(id);
  ASSERT_NE(v, nullptr) << id;
  ASSERT_FALSE(v->space().violation(c)) << id;
  ASSERT_TRUE(v->supports(p, c, h100()).ok) << id << " " << shape;
  int checked = 0;
  for (const KernelSpec& spec : v->kernels(p, c)) {
    EXPECT_TRUE(spec.arch_specific) << id << " " << spec.name;
    if (spec.name != "conv_igemm_mma") continue;
    CompiledKernel k;
    ASSERT_NO_THROW(k = compiler.compile(spec)) << id;
    EXPECT_EQ(k.arch, "sm_90a") << id;
    EXPECT_EQ(testing_ptxas::spill_bytes(k.log, spec.name), 0) << id << " " << shape << "\n" << k.log;
    EXPECT_FALSE(testing_ptxas::wgmma_serialized(k.log)) << id << " " << shape << "\n" << k.log;
    EXPECT_GT(testing_ptxas::registers(k.log, spec.name), 0) << id << "\n" << k.log;
    ++checked;
  }
  EXPECT_EQ(checked, 1) << id << ": no conv_igemm_mma kernel among the specs";
}

TEST(FusedWgmmaRs, DefaultsCompileForSm90aWithoutSpillsOrSerializedWgmmas) {
  // On the seed and on a 5x5 filter, where 3xTF32 folds after each column group instead of each chunk.
  for (const char* shape : {"seed", "2,6,11,13,9,5"})
    for (const char* id : kIds)
      expect_clean_compile(id, Registry::instance().find(id)->space().default_config(), shape);
}

TEST(FusedWgmmaRs, ThreeXFoldAfterEveryStepCompilesCleanly) {
  // wide:1 on a 5x5 filter: a column group is 75 tensor-core adds, so the sums are folded after every step.
  Config c = Registry::instance().find("fused.wgmma_rs_3xtf32")->space().default_config();
  c["th"] = 2, c["wide"] = 1, c["nf"] = 2, c["la"] = 1;
  expect_clean_compile("fused.wgmma_rs_3xtf32", c, "2,6,11,13,9,5");
}

// order:1 and order:2, the warpgroups' turns (at the MMAs, at the epilogue): named barriers beside the wgmma issue
// and wait must not make ptxas serialize the wgmmas, and turns need exactly two warpgroups.
TEST(FusedWgmmaRs, TurnsBetweenWarpgroupsCompileCleanlyAndNeedTwoGroups) {
  for (const char* id : kIds) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    for (const int64_t order : {1, 2}) {
      Config c = v->space().default_config();
      c["order"] = order;
      expect_clean_compile(id, c, "seed");
      for (const int64_t groups : {1, 3}) {
        c["groups"] = groups;
        const auto why = v->space().violation(c);
        ASSERT_TRUE(why) << id << " groups " << groups;
        EXPECT_NE(why->find("order:1 and order:2 need groups 2"), std::string::npos) << *why;
      }
    }
  }
}

// The register estimate against ptxas on the seed: 3xTF32 with nf 4 and 6 (accepted since 2026-12-05) compiles
// without spills, and wide:1 with nf 4, which spills (28 bytes), is refused; so is TF32 with wide:1 and nf 3, which
// spills (44 bytes; NVRTC 13.0).
TEST(FusedWgmmaRs, RegisterEstimateAcceptsWhatFitsAndRefusesWhatSpills) {
  const Variant* v3 = Registry::instance().find("fused.wgmma_rs_3xtf32");
  Config x3 = v3->space().default_config();
  for (const int64_t nf : {4, 6}) {
    x3["nf"] = nf;
    expect_clean_compile("fused.wgmma_rs_3xtf32", x3, "seed");
  }
  x3["nf"] = 4, x3["wide"] = 1;
  EXPECT_TRUE(v3->space().violation(x3));
  const Variant* tf32 = Registry::instance().find("fused.wgmma_rs_tf32");
  Config t = tf32->space().default_config();
  t["nf"] = 6;
  EXPECT_FALSE(tf32->space().violation(t));
  t["nf"] = 3, t["wide"] = 1;
  const auto why = tf32->space().violation(t);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("register cap"), std::string::npos) << *why;
}

// The defaults are the configurations measured fastest: both with TMA input loads and turns at the epilogues (H100,
// 2026-12-06, results/h100/2026-12-06_6b22425-tma-defaults), 3xTF32 with nf 4 (H200, 2026-12-05,
// results/h200/2026-12-05_6210252), the warp-uniform group index (H100, 2026-12-06,
// results/h100/2026-12-06_9960326-ugrp; TF32 even with and without it), and 3xTF32 with 2 input stages (H100,
// 2026-12-07, results/h100/2026-12-07_6684679-floor-stages: 4 % faster than 3 in four rounds; tf32f16 keeps 3).
TEST(FusedWgmmaRs, DefaultsAreTheFastestMeasured) {
  const Config tf32 = Registry::instance().find("fused.wgmma_rs_tf32")->space().default_config();
  EXPECT_EQ(config_string(tf32),
            "bn:64/ck:8/epi:1/form:2/groups:2/la:2/mcast:1/nf:4/order:2/round:1/stages:3/th:4/tma:1/tstore:0/ugrp:1/"
            "wide:0");
  const Config x3 = Registry::instance().find("fused.wgmma_rs_3xtf32")->space().default_config();
  EXPECT_EQ(config_string(x3),
            "bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/stages:2/sums:1/th:4/tma:1/"
            "tstore:0/ugrp:1/wide:0");
}

// sums:2 (the small terms' sums apart): a third accumulator set, so 4 rows of 32 channels no longer fit the register
// cap and 3 do; it compiles cleanly (no spills, no serialized wgmmas, with the fold's wait only at the chunks that
// fold) on the seed (folds every 3 chunks), a 1x1 filter (every 27) and a 5x5 filter (every chunk).
TEST(FusedWgmmaRs, SmallTermSumsApartCompileCleanlyAndCountTowardsTheRegisterCap) {
  const Variant* v = Registry::instance().find("fused.wgmma_rs_3xtf32");
  Config c = v->space().default_config();
  c["sums"] = 2;
  const auto why = v->space().violation(c);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("register cap"), std::string::npos) << *why;
  c["th"] = 3;
  for (const char* shape : {"seed", "2,16,34,36,32,1", "2,6,11,13,9,5"})
    expect_clean_compile("fused.wgmma_rs_3xtf32", c, shape);
}

TEST(FusedWgmmaRs, LookAheadMustStayBelowTheFragmentSets) {
  for (const char* id : kIds) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    c["nf"] = 3, c["la"] = 2, c["wide"] = 0;
    EXPECT_FALSE(v->space().violation(c)) << id;
    // A set loaded la steps ahead and reused nf steps after its use: la >= nf would overwrite it in flight.
    c["nf"] = 2;
    const auto why = v->space().violation(c);
    ASSERT_TRUE(why) << id;
    EXPECT_NE(why->find("la < nf"), std::string::npos) << *why;
  }
}

TEST(FusedWgmmaRs, ThreeXKeepsBothWeightPartsResidentAndDeclinesWhatDoesNotFit) {
  const Problem seed = parse_problem("seed");
  const Variant* tf32 = Registry::instance().find("fused.wgmma_rs_tf32");
  const Variant* x3 = Registry::instance().find("fused.wgmma_rs_3xtf32");
  ASSERT_NE(tf32, nullptr);
  ASSERT_NE(x3, nullptr);
  Config c = x3->space().default_config();
  EXPECT_EQ(c.at("bn"), 32);
  EXPECT_EQ(x3->precision(c), "fp32");
  EXPECT_TRUE(x3->supports(seed, c, h100()).ok);
  // 64 output channels' big and small weights take 2 x 147456 B: more than an H100 block may have.
  c["bn"] = 64;
  const Support s = x3->supports(seed, c, h100());
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.reason.find("shared memory"), std::string::npos) << s.reason;
  // The same tile in TF32 keeps one part and fits.
  Config t = tf32->space().default_config();
  EXPECT_EQ(t.at("bn"), 64);
  EXPECT_TRUE(tf32->supports(seed, t, h100()).ok);
  // Other GPUs and strides are declined with the reason.
  DeviceInfo a100 = h100();
  a100.cc_major = 8;
  EXPECT_NE(tf32->supports(seed, t, a100).reason.find("sm_90a"), std::string::npos);
  const Problem strided = parse_problem("3,5,16,19,7,3,3,2,1");
  EXPECT_NE(tf32->supports(strided, t, h100()).reason.find("stride"), std::string::npos);
}

// tma:1: the input patches by TMA boxes. Compiles cleanly on the seed and on a 5x5 filter with padding 2 (negative
// box coordinates), with TMA=1 among the kernel's defines; where W % 4 != 0 it compiles the cp.async loader (TMA=0)
// instead of declining the shape.
TEST(FusedWgmmaRs, TmaLoadsCompileCleanlyAndGiveWayToCpAsyncOnOddWidths) {
  auto tma_define = [](const Variant* v, const Problem& p, const Config& c) {
    return testing_defines::main_kernel_define(*v, p, c, "TMA");
  };
  for (const char* id : kIds) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    c["tma"] = 1;
    ASSERT_FALSE(v->space().violation(c)) << id;
    for (const char* shape : {"seed", "2,6,11,12,9,5,5,1,2"}) {
      expect_clean_compile(id, c, shape);
      EXPECT_EQ(tma_define(v, parse_problem(shape), c), "1") << id << " " << shape;
    }
    const Problem odd = parse_problem("2,6,11,13,9,5");
    EXPECT_TRUE(v->supports(odd, c, h100()).ok) << id;
    EXPECT_EQ(tma_define(v, odd, c), "0") << id << ": W 13 takes the cp.async loader";
    c["tma"] = 0;
    EXPECT_EQ(tma_define(v, parse_problem("seed"), c), "0") << id;
  }
}

// fused.wgmma_rs_tf32f16: 3xTF32's parameters without sums (one sum set: the f16 wgmma adds into the big product's),
// the kernel built with XF16=1, the fp32 class with an accurate Mish form, both weight parts resident as in 3xTF32
// (the f16 pairs take the small part's bytes), and a ceiling of two wgmmas per multiply-add. Its default is 3xTF32's
// (the fastest of ten neighbours on the seed: H100, 2026-12-06, results/h100/2026-12-06_5ecc109-tf32f16) but for
// 3 input stages, which stayed faster for it when 3xTF32 took 2 (results/h100/2026-12-07_6684679-floor-stages).
TEST(FusedWgmmaRs, F16CrossTermsTakeThreeXsSpaceWithOneSumSetAndTheF16Kernel) {
  const Variant* v = Registry::instance().find("fused.wgmma_rs_tf32f16");
  ASSERT_NE(v, nullptr);
  Config c = v->space().default_config();
  EXPECT_EQ(config_string(c),
            "bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/stages:3/th:4/tma:1/tstore:0/"
            "ugrp:1/wide:0");
  EXPECT_EQ(v->precision(c), "fp32");
  Config fast = c;
  fast["form"] = 2;
  EXPECT_EQ(v->precision(fast), "fp32_fastmath");
  const Problem seed = parse_problem("seed");
  auto define = [&](const Config& cfg, const char* name) {
    return testing_defines::main_kernel_define(*v, seed, cfg, name);
  };
  EXPECT_EQ(define(c, "XF16"), "1");
  EXPECT_EQ(define(c, "SUMS"), "1");
  EXPECT_EQ(define(c, "THREEX"), "1");
  const Variant* x3 = Registry::instance().find("fused.wgmma_rs_3xtf32");
  EXPECT_EQ(testing_defines::main_kernel_define(*x3, seed, x3->space().default_config(), "XF16"), "0");
  const auto ceiling = v->ceiling(c, h100());
  ASSERT_TRUE(ceiling);
  EXPECT_DOUBLE_EQ(ceiling->flops_per_clk_per_sm, kWgmmaTf32FlopsPerClkPerSm / 2);
  EXPECT_TRUE(v->supports(seed, c, h100()).ok);
  c["bn"] = 64;  // two resident parts of 64 channels: over an H100 block's shared memory, as for 3xTF32
  const Support s = v->supports(seed, c, h100());
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.reason.find("shared memory"), std::string::npos) << s.reason;
}

// mcast: clusters of 2 or 4 CTAs that share each TMA box. The kernel gets MC = mcast where TMA runs and the cluster
// divides the channel blocks (the seed at bn 32: 4 blocks; at bn 64: 2), else MC = 1 (K 65 at bn 32: 3 blocks; an odd
// width: the cp.async loader); mcast > 1 with tma:0 is outside the space. Clustered kernels compile cleanly (no
// spills, no serialized wgmmas: the multicast, the remote arrive and the cluster barriers are outside the wgmmas' way).
TEST(FusedWgmmaRs, ClustersShareTmaBoxesWhereTheyDivideTheChannelBlocks) {
  for (const char* id : kIds) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    EXPECT_EQ(c.at("mcast"), 1) << id;
    const Problem seed = parse_problem("seed");
    EXPECT_EQ(testing_defines::main_kernel_define(*v, seed, c, "MC"), "1") << id;
    c["bn"] = 32;
    for (const int64_t mc : {2, 4}) {
      c["mcast"] = mc;
      ASSERT_FALSE(v->space().violation(c)) << id;
      EXPECT_EQ(testing_defines::main_kernel_define(*v, seed, c, "MC"), std::to_string(mc)) << id;
      EXPECT_EQ(testing_defines::main_kernel_define(*v, parse_problem("1,32,40,44,65,3"), c, "MC"), "1") << id;
      EXPECT_EQ(testing_defines::main_kernel_define(*v, parse_problem("2,8,20,21,128,3"), c, "MC"), "1") << id;
      Config no_tma = c;
      no_tma["tma"] = 0;
      const auto why = v->space().violation(no_tma);
      ASSERT_TRUE(why.has_value()) << id;
      EXPECT_NE(why->find("tma:1"), std::string::npos) << *why;
    }
    c["mcast"] = 4;
    expect_clean_compile(id, c, "seed");
    c["bn"] = 64;
    if (!v->space().violation(c)) {  // 2 channel blocks of 64 on the seed: clusters of 4 do not divide them
      EXPECT_EQ(testing_defines::main_kernel_define(*v, seed, c, "MC"), "1") << id;
      c["mcast"] = 2;
      EXPECT_EQ(testing_defines::main_kernel_define(*v, seed, c, "MC"), "2") << id;
    }
  }
}

// tstore: TMA store boxes for the outputs where the kernel can use them: TMA input boxes (W % 4 == 0), whole 64-pixel
// boxes in a row (Q >= 64) and every output row starting on 16 bytes (Q % 4 == 0; the H100 faulted with an illegal
// instruction on the seed's Q = 254). So the seed falls back (TSTORE 0), as do tma:0 (outside the space), narrow and
// unaligned outputs; its padded twin (Q = 256) stores by TMA, and those kernels compile cleanly.
TEST(FusedWgmmaRs, TmaStoresWhereEveryOutputRowStartsOn16Bytes) {
  for (const char* id : kIds) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    EXPECT_EQ(c.at("tstore"), 0) << id;
    auto define = [&](const char* shape, const Config& cfg) {
      return testing_defines::main_kernel_define(*v, parse_problem(shape), cfg, "TSTORE");
    };
    EXPECT_EQ(define("64,64,256,256,128,3,3,1,1", c), "0") << id;
    c["tstore"] = 1;
    ASSERT_FALSE(v->space().violation(c)) << id;
    EXPECT_EQ(define("64,64,256,256,128,3,3,1,1", c), "1") << id;  // Q 256
    EXPECT_EQ(define("2,3,20,64,16,1", c), "1") << id;              // Q 64
    EXPECT_EQ(define("seed", c), "0") << id;                        // Q 254: odd rows 8 bytes off
    EXPECT_EQ(define("2,16,34,36,32,3,3,1,1", c), "0") << id;       // Q 36
    EXPECT_EQ(define("2,16,34,66,32,3,3,1,1", c), "0") << id;       // W 66: no TMA loads
    Config no_tma = c;
    no_tma["tma"] = 0;
    const auto why = v->space().violation(no_tma);
    ASSERT_TRUE(why.has_value()) << id;
    EXPECT_NE(why->find("tma:1"), std::string::npos) << *why;
    expect_clean_compile(id, c, "64,64,256,256,128,3,3,1,1");
  }
}

// ugrp:1 (the warpgroup index broadcast from lane 0, so that the wgmma descriptors are warp-uniform): on in the
// defaults since it was timed (H100, 2026-12-06, results/h100/2026-12-06_9960326-ugrp: 3xTF32 10 % and tf32f16 7 %
// faster, TF32 even); UNIFORM_GRP reaches the kernel as given, and each default compiles cleanly with it, on the seed
// and on a 5x5 filter, within the register cap (NVRTC 13.0 on the seed: TF32 246 registers against 252 without,
// 3xTF32 and tf32f16 235 against 231).
TEST(FusedWgmmaRs, WarpUniformGroupIndexCompilesCleanly) {
  const testing_ptxas::VerbosePtxas verbose;
  const Compiler compiler(9, 0, {});
  for (const char* id : kIds) {
    const Variant* v = Registry::instance().find(id);
    ASSERT_NE(v, nullptr) << id;
    Config c = v->space().default_config();
    EXPECT_EQ(c.at("ugrp"), 1) << id;
    int regs[2] = {0, 0};
    for (int64_t u : {0, 1}) {
      c["ugrp"] = u;
      EXPECT_EQ(testing_defines::main_kernel_define(*v, parse_problem("seed"), c, "UNIFORM_GRP"), std::to_string(u));
      for (const KernelSpec& spec : v->kernels(parse_problem("seed"), c))
        if (spec.name == "conv_igemm_mma") regs[u] = testing_ptxas::registers(compiler.compile(spec).log, spec.name);
      if (u == 1)
        for (const char* shape : {"seed", "2,6,11,13,9,5"}) expect_clean_compile(id, c, shape);
    }
    for (int r : regs) {
      EXPECT_GT(r, 0) << id;
      EXPECT_LE(r, 255) << id;
    }
  }
}
