// The GPU reference (cuDNN FMA convolution + double Mish) against the float64 CPU reference on small shapes.
#include <cmath>
#include <vector>

#include "gpu/gpu_fixture.hpp"
#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/reference.hpp"

using namespace convmish;

namespace {
std::vector<float> download(const DeviceBuffer& b, int64_t n) {
  std::vector<float> h(static_cast<size_t>(n));
  CUDA_CHECK(cudaMemcpy(h.data(), b.get(), size_t(n) * 4, cudaMemcpyDeviceToHost));
  return h;
}
}  // namespace

class ReferenceGpu : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceGpu, MatchesFloat64CpuReference) {
  REQUIRE_GPU();
  const DeviceInfo dev = probe_device();
  (void)dev;
  const Problem p = parse_problem(GetParam());
  Stream s;
  CudnnHandle h;
  h.set_stream(s.get());
  ProblemBuffers buf(p);
  GpuReference ref(p, h.get(), s.get());
  for (uint64_t seed : {11u, 12u}) {  // fresh inputs per check
    generate_inputs(p, seed, buf, s.get());
    ref.compute(buf);
    s.sync();
    const auto x = download(buf.x, p.x_elems()), w = download(buf.w, p.w_elems()), b = download(buf.b, p.K);
    const auto gpu = download(buf.ref, p.y_elems());
    const auto cpu = cpu_reference(p, x, w, b);
    double num = 0, den = 0;
    for (size_t i = 0; i < cpu.size(); ++i) {
      ASSERT_TRUE(std::isfinite(gpu[i])) << i;
      num += (gpu[i] - cpu[i]) * (gpu[i] - cpu[i]);
      den += cpu[i] * cpu[i];
    }
    ASSERT_GT(den, 0);
    EXPECT_LT(std::sqrt(num / den), 1e-6) << p.shape_string() << " seed " << seed;
    // Inputs look like torch.rand and nn.Conv2d's init.
    const float bound = float(1 / std::sqrt(double(p.C * p.R * p.S)));
    for (float v : x) ASSERT_TRUE(v >= 0.f && v < 1.f);
    for (float v : w) ASSERT_TRUE(v >= -bound && v <= bound);
  }
}

INSTANTIATE_TEST_SUITE_P(SmallShapes, ReferenceGpu,
                         ::testing::Values("small", "2,3,9,11,4,3", "1,5,7,10,1,3", "3,4,12,13,6,3,3,2,1",
                                           "2,8,6,6,5,1"));
