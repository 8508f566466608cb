// GPU tests skip with the reason when no usable GPU is present (CTest reports them as skipped, never passed).
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>

namespace convmish::testing {
// True when a GPU is usable; otherwise `why` says why not.
bool gpu_available(std::string* why);
// Runs `command` through the shell with stdout and stderr into `log`; returns its exit code (128 + signal when a
// signal ended it) and the log's text.
std::pair<int, std::string> run_logged(const std::string& command, const std::filesystem::path& log);
}  // namespace convmish::testing

#define REQUIRE_GPU()                                                        \
  do {                                                                       \
    std::string cm_why_;                                                     \
    if (!::convmish::testing::gpu_available(&cm_why_))                      \
      GTEST_SKIP() << "no GPU: " << cm_why_;                                 \
  } while (0)
