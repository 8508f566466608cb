// tuner --cubin without a GPU (write_cubins): the selected configurations' kernels, compiled as a sweep compiles them,
// land in the directory as ELF cubins with ptxas's report; a kernel that runs twice gets one file per run; what an
// H100 sweep would decline is skipped; a configuration that fits no selected variant, or a directory that cannot be
// made, is a usage error.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/cubins.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}
}  // namespace

TEST(Cubins, WritesEachKernelOfEachSelectedConfigurationWithItsPtxasReport) {
  const fs::path dir = fs::temp_directory_path() / ("convmish_cubins_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::ostringstream out;
  const int n = write_cubins(parse_problem("small"), "fused.naive,cudnn.eager",
                             {Config{{"block", 128}}, Config{{"tf32", 1}}}, dir, out);
  // fused.naive/block:128: one kernel; cudnn.eager/tf32:1: its two Mish passes (the convolution is cuDNN's).
  EXPECT_EQ(n, 3) << out.str();
  const fs::path naive = dir / "fused.naive__block-128.conv_naive_fused";
  const std::string cubin = read(naive.string() + ".cubin");
  ASSERT_GT(cubin.size(), 4u) << out.str();
  EXPECT_EQ(cubin.substr(0, 4), "\x7f" "ELF");
  const std::string log = read(naive.string() + ".log");
  EXPECT_NE(log.find("Compiling entry function 'conv_naive_fused' for 'sm_90'"), std::string::npos) << log;
  EXPECT_NE(log.find("registers"), std::string::npos) << log;
  for (const char* pass : {".1", ".2"})
    EXPECT_TRUE(fs::exists(dir / ("cudnn.eager__tf32-1.mish_vec4" + std::string(pass) + ".cubin"))) << out.str();
  EXPECT_NE(out.str().find(naive.string() + ".cubin (sm_90, "), std::string::npos) << out.str();
  fs::remove_all(dir);

  // What a sweep on an H100 would decline is listed and not compiled: the wgmma_rs kernels need stride 1.
  std::ostringstream strided;
  EXPECT_EQ(write_cubins(parse_problem("3,5,16,19,7,3,3,2,1"), "fused.wgmma_rs_tf32", {}, dir, strided), 0);
  EXPECT_NE(strided.str().find(": unsupported on an H100 (stride 2"), std::string::npos) << strided.str();
  fs::remove_all(dir);

  EXPECT_THROW(write_cubins(parse_problem("small"), "fused.naive", {Config{{"block", 7}}}, dir, out), UsageError);
  EXPECT_FALSE(fs::exists(dir));  // refused before anything is made
  try {
    write_cubins(parse_problem("small"), "fused.naive", {}, "/proc/convmish_no_such_dir", out);
    ADD_FAILURE() << "wrote into /proc";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--cubin: cannot create /proc/convmish_no_such_dir"), std::string::npos)
        << e.what();
  }
}
