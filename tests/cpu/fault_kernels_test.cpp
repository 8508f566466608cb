// The test-only fault kernels (tests/faults/, embedded into this binary as into tuner_faults, without their
// variants) compile with NVRTC for sm_90, so the GPU isolation test fails for the fault it injects, not for a
// kernel that does not build.
#include <gtest/gtest.h>

#include "tuner/embedded.hpp"
#include "tuner/rtc.hpp"

using namespace convmish;

TEST(FaultKernels, CompileForSm90) {
  ASSERT_NO_THROW(embedded_kernel("fault_kernels.cu"));
  const Compiler compiler(9, 0, {});
  for (const char* name : {"test_oob_write", "test_spin"}) {
    CompiledKernel k;
    ASSERT_NO_THROW(k = compiler.compile(KernelSpec{"fault_kernels.cu", name, {}})) << name;
    EXPECT_GT(k.cubin.size(), 100u) << name;
  }
}
