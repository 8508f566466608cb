// Out of memory for the problem (issue #9): on a GPU whose free memory is too small for the problem's buffers,
// ProblemBuffers refuses with a UsageError naming the sizes (the tuner's exit 2, before --out is touched), not a
// CudaError that would read as a lost context. The memory is made scarce by holding most of it here.
#include <string>

#include "gpu/gpu_fixture.hpp"
#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/reference.hpp"

using namespace convmish;

TEST(ProblemBuffersGpu, AProblemLargerThanTheFreeMemoryIsAUsageErrorWithTheSizes) {
  REQUIRE_GPU();
  probe_device();
  const Problem seed = parse_problem("seed");  // 4.9 GiB of buffers
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  ASSERT_GT(free_b, size_t(1) << 30);
  std::string what;
  {
    DeviceBuffer hog(free_b - (size_t(512) << 20));  // leave 512 MiB free
    try {
      ProblemBuffers b(seed);
      FAIL() << "the seed problem's buffers were allocated with about 512 MiB free";
    } catch (const UsageError& e) {
      what = e.what();
    }
  }
  EXPECT_NE(what.find("problem 64,64,256,256->128,3x3 does not fit on this GPU: its buffers (x, w, b, y and the "
                      "reference output) need 4.94 GiB"),
            std::string::npos)
      << what;
  // With the memory given back the same problem fits.
  EXPECT_NO_THROW(ProblemBuffers b(seed));
}
