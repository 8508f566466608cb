// fused.tiled_fp32 without a GPU: its parameter space, its shared-memory and register checks with reasons, and NVRTC
// compilation for sm_90 of representative configurations (stride 2 with padding, a 5x5 filter, C=3 and K=1, every
// stage count, register pipeline and Mish form), with ptxas's report: no spills on the seed. Correctness on a GPU is
// the registry-wide tests/gpu/variants_gpu_test.cpp.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "mish.cuh"
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "ptxas_log.hpp"
#include "tuner/variant.hpp"

using namespace convmish;

namespace {

const Variant& tiled() {
  const Variant* v = Registry::instance().find("fused.tiled_fp32");
  if (v == nullptr) throw std::runtime_error("fused.tiled_fp32 is not registered");
  return *v;
}

DeviceInfo h100() {
  DeviceInfo d;
  d.name = "H100 (as described, no GPU)";
  d.cc_major = 9;
  d.sm_count = 132;
  d.smem_per_block_optin = 232448;  // 227 KB
  d.smem_per_sm = 233472;
  d.regs_per_sm = 65536;
  d.max_threads_per_sm = 2048;
  return d;
}

Config changed(Config c, std::initializer_list<std::pair<const char*, int64_t>> changes) {
  for (const auto& [k, v] : changes) c.at(k) = v;
  return c;
}

// The tests' fixed reference point: the default until 2026-12-05 (8-channel chunks, 2 stages, rolling window one
// channel a loop), so that what each case below covers does not move with the default.
Config base() {
  return Config{{"tile_k", 64}, {"tile_h", 4}, {"tile_w", 64}, {"rk", 8}, {"rw", 4}, {"rh", 2},
                {"c_chunk", 8}, {"stages", 2}, {"pipe", 1}, {"form", CM_MISH_FAST_ACCURATE}};
}

std::string define(const KernelSpec& k, const std::string& name) {
  for (const auto& [n, v] : k.defines)
    if (n == name) return v;
  return "<absent>";
}

}  // namespace

// 29 register/tile shapes (64 accumulators: 15 with 256 threads, 9 with 128; 5 of 128 accumulators with 128 threads)
// x 5 chunk/stage pairs x 3 register pipelines x 5 Mish forms.
TEST(FusedTiledFp32, SpaceHasAModestNumberOfValidConfigurationsWithTheDefaultFirst) {
  const auto all = tiled().space().enumerate();
  EXPECT_GE(all.size(), 50u);
  EXPECT_EQ(all.size(), 29u * 5 * 3 * 5);
  const Config def = tiled().space().default_config();
  // The fastest fp32-class configuration on the H100 (12.801 ms on the seed, 2026-12-05, commit 4ab52c7).
  EXPECT_EQ(def, changed(base(), {{"c_chunk", 16}, {"stages", 1}, {"pipe", 2}}));
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front(), def);
}

TEST(FusedTiledFp32, ViolationNamesTheThreadCountConstraint) {
  const Config c = changed(tiled().space().default_config(), {{"tile_h", 16}, {"tile_w", 32}});  // 512 threads
  const auto why = tiled().space().violation(c);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("threads"), std::string::npos) << *why;
}

TEST(FusedTiledFp32, EveryValidConfigurationIsSupportedOnTheSeedWithAnH100) {
  const Problem seed = parse_problem("seed");
  for (const auto& c : tiled().space().enumerate()) {
    const Support s = tiled().supports(seed, c, h100());
    EXPECT_TRUE(s.ok) << config_string(c) << ": " << s.reason;
  }
}

TEST(FusedTiledFp32, SharedMemoryOverTheDeviceBudgetIsUnsupportedWithAReason) {
  DeviceInfo small = h100();
  small.smem_per_block_optin = 16 * 1024;
  const Problem seed = parse_problem("seed");
  const Support s = tiled().supports(seed, tiled().space().default_config(), small);
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.reason.find("shared memory"), std::string::npos) << s.reason;
  // A large filter needs more than an H100 offers at the biggest weight tile; the reason says so, nothing crashes.
  const Problem big = parse_problem("1,64,64,64,64,11");
  const Config c =
      changed(base(), {{"tile_k", 128}, {"tile_h", 8}, {"tile_w", 16}, {"c_chunk", 16}, {"stages", 1}});
  ASSERT_FALSE(tiled().space().violation(c));
  const Support sb = tiled().supports(big, c, h100());
  EXPECT_FALSE(sb.ok);
  EXPECT_NE(sb.reason.find("shared memory"), std::string::npos) << sb.reason;
}

TEST(FusedTiledFp32, PrecisionClassFollowsTheMishForm) {
  const Config def = tiled().space().default_config();
  EXPECT_EQ(tiled().precision(changed(def, {{"form", 0}})), "fp32");
  EXPECT_EQ(tiled().precision(changed(def, {{"form", 1}})), "fp32");
  EXPECT_EQ(tiled().precision(changed(def, {{"form", 2}})), "fp32_fastmath");
  EXPECT_EQ(tiled().precision(changed(def, {{"form", 3}})), "fp32_fastmath");
}

TEST(FusedTiledFp32, KernelIsSpecialisedForTheFilterStrideAndMishCount) {
  Problem p = parse_problem("3,5,16,19,7,5,3,2,1");
  p.mish_count = 3;
  const auto ks = tiled().kernels(p, base());
  ASSERT_EQ(ks.size(), 1u);
  EXPECT_EQ(define(ks[0], "FILTER_R"), "5");
  EXPECT_EQ(define(ks[0], "FILTER_S"), "3");
  EXPECT_EQ(define(ks[0], "STRIDE"), "2");
  EXPECT_EQ(define(ks[0], "MISH_FORM"), std::to_string(CM_MISH_FAST_ACCURATE));
  EXPECT_EQ(define(ks[0], "MISH_COUNT"), "3");
  EXPECT_EQ(define(ks[0], "PIPE"), "1");
  const auto old = tiled().kernels(p, changed(base(), {{"pipe", 0}}));
  EXPECT_EQ(define(old[0], "PIPE"), "0");  // the window loaded whole per channel, as before the rolling window
}

TEST(FusedTiledFp32, AccumulatorsAndThreadsComeInTheTwoOccupancyShapes) {
  const Config def = base();
  // 128 accumulators (8x4x4) with 128 threads: two CTAs of 4 warps per SM.
  const Config big = changed(def, {{"rh", 4}});
  EXPECT_FALSE(tiled().space().violation(big));
  const Support s = tiled().supports(parse_problem("seed"), big, h100());
  EXPECT_TRUE(s.ok) << s.reason;
  EXPECT_EQ(define(tiled().kernels(parse_problem("seed"), big)[0], "MIN_BLOCKS"), "1");  // up to 255 registers
  EXPECT_EQ(define(tiled().kernels(parse_problem("seed"), def)[0], "MIN_BLOCKS"), "2");  // at most 128
  // 64 accumulators with 128 threads: four CTAs of 4 warps per SM at <= 128 registers.
  const Config quad = changed(def, {{"tile_w", 32}});
  EXPECT_FALSE(tiled().space().violation(quad));
  EXPECT_EQ(define(tiled().kernels(parse_problem("seed"), quad)[0], "MIN_BLOCKS"), "4");
  const auto why = tiled().space().violation(changed(def, {{"rh", 4}, {"tile_h", 8}}));  // 128 acc, 256 threads
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("accumulators"), std::string::npos) << *why;
}

TEST(FusedTiledFp32, RepresentativeConfigurationsCompileForSm90) {
  const Config def = base();
  const std::pair<const char*, Config> cases[] = {
      {"seed", tiled().space().default_config()},
      {"seed", def},
      {"seed", changed(def, {{"tile_k", 128}, {"tile_h", 8}, {"tile_w", 16}, {"rk", 16}, {"rh", 1}, {"c_chunk", 4},
                             {"form", 2}, {"pipe", 2}})},
      {"seed", changed(def, {{"stages", 3}, {"c_chunk", 4}, {"pipe", 0}})},
      {"3,5,16,19,7,3,3,2,1",  // stride 2, padding 1
       changed(def, {{"tile_h", 8}, {"tile_w", 32}, {"rk", 16}, {"rh", 1}, {"c_chunk", 16}, {"stages", 1},
                     {"form", 3}})},
      {"2,6,11,13,9,5",  // 5x5
       changed(def, {{"tile_h", 16}, {"tile_w", 16}, {"form", 0}})},
      {"4,3,20,21,1,3",  // C=3, K=1
       changed(def, {{"tile_k", 128}, {"tile_h", 4}, {"tile_w", 32}, {"rw", 8}, {"rh", 1}, {"c_chunk", 8},
                     {"stages", 1}, {"pipe", 0}})},
      {"seed", changed(def, {{"rh", 4}, {"pipe", 2}, {"form", 3}})},  // 128 accumulators, 128 threads
      {"2,6,11,13,9,5", changed(def, {{"rh", 4}, {"tile_h", 8}, {"tile_w", 32}, {"pipe", 1}})},
      {"4,3,20,21,16,3", changed(def, {{"tile_w", 32}, {"pipe", 2}})},  // 64 accumulators, 128 threads
  };
  const Compiler compiler(9, 0, {});
  for (const auto& [shape, c] : cases) {
    const Problem p = parse_problem(shape);
    ASSERT_FALSE(tiled().space().violation(c)) << config_string(c);
    const Support s = tiled().supports(p, c, h100());
    ASSERT_TRUE(s.ok) << shape << " " << config_string(c) << ": " << s.reason;
    for (const auto& spec : tiled().kernels(p, c)) {
      CompiledKernel k;
      ASSERT_NO_THROW(k = compiler.compile(spec)) << shape << " " << config_string(c);
      EXPECT_GT(k.cubin.size(), 100u);
    }
  }
}

// ptxas's report through NVRTC (--ptxas-options=-v): the configurations most likely to be the fastest on the seed,
// and one of each register shape, compile without spills within their register budget (<= 128 registers for 64
// accumulators, so that two CTAs of 256 threads or four of 128 fit an SM). The 1200 configurations the space had
// before the 128-thread shapes of 64 accumulators were checked the same way on the seed (a tool outside the tests:
// 20 minutes of compiling); of those shapes, all nine x 3 pipes x forms 0 and 4 (112-128 registers, no spills).
TEST(FusedTiledFp32, SeedConfigurationsCompileWithoutSpills) {
  const Config def = base();
  const Config cases[] = {
      tiled().space().default_config(),
      def,
      changed(def, {{"stages", 1}, {"form", 2}}),
      changed(def, {{"pipe", 2}, {"form", 2}}),
      changed(def, {{"pipe", 0}, {"c_chunk", 16}, {"stages", 1}, {"tile_h", 8}, {"tile_w", 32}}),
      changed(def, {{"rw", 8}, {"rh", 1}, {"tile_h", 8}, {"tile_w", 32}, {"form", 3}}),
      changed(def, {{"rk", 16}, {"rh", 1}, {"tile_h", 8}, {"tile_w", 32}, {"pipe", 2}}),
      changed(def, {{"rh", 4}, {"form", 2}}),
      changed(def, {{"rh", 4}, {"tile_k", 128}, {"tile_h", 8}, {"tile_w", 16}, {"pipe", 2}, {"form", 0}}),
      // 16-channel chunks with 128-channel tiles: 72-144 weight copies a thread per chunk (spilled when their base
      // pointers were all live at once)
      changed(def, {{"rh", 4}, {"tile_k", 128}, {"tile_h", 8}, {"tile_w", 16}, {"c_chunk", 16}, {"stages", 1}}),
      changed(def, {{"tile_k", 128}, {"tile_w", 32}, {"c_chunk", 16}, {"stages", 1}, {"pipe", 2}}),
      changed(def, {{"tile_w", 32}}),  // 64 accumulators, 128 threads (4 CTAs per SM where shared memory allows)
      changed(def, {{"tile_w", 32}, {"c_chunk", 16}, {"stages", 1}, {"form", 0}}),
  };
  const testing_ptxas::VerbosePtxas verbose;
  const Compiler compiler(9, 0, {});
  const Problem seed = parse_problem("seed");
  for (const Config& c : cases) {
    ASSERT_FALSE(tiled().space().violation(c)) << config_string(c);
    CompiledKernel k;
    ASSERT_NO_THROW(k = compiler.compile(tiled().kernels(seed, c).at(0))) << config_string(c);
    EXPECT_EQ(testing_ptxas::spill_bytes(k.log), 0) << config_string(c) << "\n" << k.log;
    const int regs = testing_ptxas::registers(k.log);
    EXPECT_GT(regs, 0) << k.log;
    EXPECT_LE(regs, c.at("rk") * c.at("rw") * c.at("rh") == 64 ? 128 : 255) << config_string(c);
  }
}
