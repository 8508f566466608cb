// Every kernel source compiles with NVRTC for sm_90 at each variant's default configuration (NVRTC needs no GPU),
// and every .cu file under kernels/ is used by some variant.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "tuner/check.hpp"
#include "tuner/embedded.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

using namespace convmish;

namespace {
std::vector<std::string> variant_ids() {
  std::vector<std::string> ids;
  for (const auto& v : Registry::instance().all()) ids.push_back(v->id());
  return ids;
}
}  // namespace

class NvrtcCompile : public testing::TestWithParam<std::string> {};

TEST_P(NvrtcCompile, DefaultConfigurationCompilesForSm90) {
  const Variant* v = Registry::instance().find(GetParam());
  ASSERT_NE(v, nullptr);
  const Problem p = parse_problem("seed");
  const Compiler compiler(9, 0, {});
  for (const auto& spec : v->kernels(p, v->space().default_config())) {
    CompiledKernel k;
    ASSERT_NO_THROW(k = compiler.compile(spec)) << spec.source;
    EXPECT_GT(k.cubin.size(), 100u);
    EXPECT_FALSE(k.cache_hit);
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, NvrtcCompile, testing::ValuesIn(variant_ids()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '.') c = '_';
                           return s;
                         });

TEST(NvrtcCompile, EveryKernelFileIsUsedByAVariant) {
  std::set<std::string> used;
  const Problem p = parse_problem("seed");
  // Each variant's default and every configuration one parameter away from it (a kernel file chosen by a parameter's
  // value shows there; walking the whole spaces, millions of configurations, took minutes).
  for (const auto& v : Registry::instance().all()) {
    const ParamSpace& space = v->space();
    const Config base = space.default_config();
    std::vector<Config> near = {base};
    for (const Param& param : space.params())
      for (int64_t value : param.values) {
        Config c = base;
        c[param.name] = value;
        if (!space.violation(c)) near.push_back(c);
      }
    for (const auto& c : near)
      for (const auto& k : v->kernels(p, c)) used.insert(k.source);
  }
  for (const auto& f : embedded_kernel_files())
    if (f.name.ends_with(".cu")) EXPECT_TRUE(used.count(f.name)) << f.name << " is compiled by no variant";
}

TEST(NvrtcCompile, BrokenSourceIsACompileErrorWithTheLog) {
  const Compiler compiler(9, 0, {});
  KernelSpec spec{"conv_naive_fused.cu", "conv_naive_fused", {{"BLOCK", "256"}, {"MISH_FORM", "does_not_exist"}}};
  try {
    compiler.compile(spec);
    FAIL() << "an undefined identifier compiled";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("does_not_exist"), std::string::npos) << e.what();
  }
}

TEST(NvrtcCompile, CacheReturnsTheSameCubinAndKeysOnDefines) {
  const auto dir = std::filesystem::temp_directory_path() / "convmish_cache_test";
  std::filesystem::remove_all(dir);
  const Compiler compiler(9, 0, dir);
  KernelSpec spec{"conv_naive_fused.cu", "conv_naive_fused", {{"BLOCK", "128"}}};
  const auto first = compiler.compile(spec);
  const auto second = compiler.compile(spec);
  EXPECT_FALSE(first.cache_hit);
  EXPECT_TRUE(second.cache_hit);
  EXPECT_EQ(first.cubin, second.cubin);
  spec.defines[0].second = "64";
  const auto other = compiler.compile(spec);
  EXPECT_FALSE(other.cache_hit);
  EXPECT_NE(other.key, first.key);
  std::filesystem::remove_all(dir);
}

TEST(NvrtcCompile, ParallelCompilationGivesEveryResult) {
  const Compiler compiler(9, 0, {});
  std::vector<std::future<CompiledKernel>> fs;
  for (int b : {64, 128, 256, 512})
    fs.push_back(compiler.compile_async({"conv_naive_fused.cu", "conv_naive_fused", {{"BLOCK", std::to_string(b)}}}));
  for (auto& f : fs) EXPECT_GT(f.get().cubin.size(), 100u);
}
