// GPU tests skip with the reason when no usable GPU is present (CTest reports them as skipped, never passed).
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tuner/param_space.hpp"
#include "tuner/results.hpp"

namespace convmish::testing {
// True when a GPU is usable; otherwise `why` says why not.
bool gpu_available(std::string* why);
// A fresh folder for one test's files, convmish_<name>_gpu_<pid> in the temporary directory (created).
std::filesystem::path scratch_dir(const std::string& name);
// Runs `command` through the shell with stdout and stderr into `log`; returns its exit code (128 + signal when a
// signal ended it) and the log's text.
std::pair<int, std::string> run_logged(const std::string& command, const std::filesystem::path& log);

// The configurations given to one tuner run (-c each), with their variants, and what the run recorded for each.
using VariantConfigs = std::vector<std::pair<std::string, Config>>;
struct ConfigRun {
  std::vector<Record> records;  // records[i] belongs to configs[i]
  std::string log;
};
// Runs the tuner (CONVMISH_TUNER, isolated, watchdog 120 s) on problem `shape` over the variants `pattern` with each
// configuration of `configs`, no baseline, two checks and token timing, in `dir`, with `options` added (e.g.
// "--x-range -1,1"). Fails the calling test (fatal failures, so check HasFatalFailure()) when the tuner exits non-zero
// or a configuration has no record.
ConfigRun run_configs(const std::filesystem::path& dir, const std::string& shape, const std::string& pattern,
                      const VariantConfigs& configs, const std::string& options = "");

// The shapes the TMA loaders are checked on (TmaGpu, SumsGpu): `small` with W 36 instead of 37; C 3 and K 1; a 9x8
// image; padding 1; a 5x5 filter with padding 2 (negative box coordinates); K 65 (a partial channel block); W 21
// (the cp.async loader); stride 2.
const std::vector<std::string>& tma_shapes();
}  // namespace convmish::testing

#define REQUIRE_GPU()                                                        \
  do {                                                                       \
    std::string cm_why_;                                                     \
    if (!::convmish::testing::gpu_available(&cm_why_))                      \
      GTEST_SKIP() << "no GPU: " << cm_why_;                                 \
  } while (0)
