// GPU tests skip with the reason when no usable GPU is present (CTest reports them as skipped, never passed).
#pragma once
#include <gtest/gtest.h>

#include <string>

namespace convmish::testing {
// True when a GPU is usable; otherwise `why` says why not.
bool gpu_available(std::string* why);
}  // namespace convmish::testing

#define REQUIRE_GPU()                                                        \
  do {                                                                       \
    std::string cm_why_;                                                     \
    if (!::convmish::testing::gpu_available(&cm_why_))                      \
      GTEST_SKIP() << "no GPU: " << cm_why_;                                 \
  } while (0)
