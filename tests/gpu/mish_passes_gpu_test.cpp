// The elementwise Mish kernels on awkward inputs: element counts that are not multiples of 4 and sub-tensors
// that start off a 16-byte boundary, with and without the bias, for each form, against the host Mish forms.
#include <cmath>
#include <random>
#include <vector>

#include "gpu/gpu_fixture.hpp"
#include "mish.cuh"
#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"

using namespace convmish;

namespace {
float host_mish(int form, float v) {
  switch (form) {
    case CM_MISH_PRECISE: return cm::mish_precise(v);
    case CM_MISH_ONEEXP: return cm::mish_oneexp(v);
    case CM_MISH_FAST: return cm::mish_fast(v);
    case CM_MISH_FAST_ACCURATE: return cm::mish_fast_accurate(v);
    default: return cm::mish_tanh_approx(v);
  }
}
}  // namespace

TEST(MishPasses, Vec4HandlesMisalignedStartsAndOddCounts) {
  REQUIRE_GPU();
  const DeviceInfo dev = probe_device();
  const Compiler compiler(dev.cc_major, dev.cc_minor, {});
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-8.f, 8.f);
  const int K = 3;
  const long long pq = 7;  // planes of 7 elements: vectors straddle channel boundaries
  std::vector<float> bias = {0.5f, -0.25f, 0.125f};
  DeviceBuffer d_bias(bias.size() * 4);
  CUDA_CHECK(cudaMemcpy(d_bias.get(), bias.data(), bias.size() * 4, cudaMemcpyHostToDevice));
  for (int form : {CM_MISH_PRECISE, CM_MISH_ONEEXP, CM_MISH_FAST, CM_MISH_TANH_APPROX, CM_MISH_FAST_ACCURATE})
    for (int vec : {1, 4})
      for (int grid_stride : {0, 1}) {
        const auto compiled = compiler.compile(
            {"mish_elementwise.cu", "mish_vec4",
             {{"BLOCK", "64"}, {"VEC", std::to_string(vec)}, {"GRID_STRIDE", std::to_string(grid_stride)},
              {"MISH_FORM", std::to_string(form)}}});
        LoadedLibrary lib(compiled);
        for (int offset : {0, 1, 2, 3})
          for (long long n : {1LL, 3LL, 5LL, 77LL, 1031LL}) {
            for (bool with_bias : {false, true}) {
              std::vector<float> h(size_t(n + offset + 4));
              for (auto& v : h) v = dist(rng);
              DeviceBuffer d(h.size() * 4);
              CUDA_CHECK(cudaMemcpy(d.get(), h.data(), h.size() * 4, cudaMemcpyHostToDevice));
              MishArgs a{d.as<float>() + offset, with_bias ? d_bias.as<float>() : nullptr, n, pq, K, 2};
              // A small grid on purpose: grid-stride must cover everything with fewer blocks than vectors.
              const unsigned grid = grid_stride ? 1u : unsigned((n / 4 + 64 * vec) / (64 * vec) + 1);
              launch(lib.kernel(), dim3(grid), dim3(64), 0, nullptr, a);
              std::vector<float> out(h.size());
              CUDA_CHECK(cudaMemcpy(out.data(), d.get(), out.size() * 4, cudaMemcpyDeviceToHost));
              for (size_t i = 0; i < h.size(); ++i) {
                const long long e = (long long)i - offset;
                if (e < 0 || e >= n) {
                  ASSERT_EQ(out[i], h[i]) << "element outside the tensor was written: " << i;
                  continue;
                }
                float want = h[i] + (with_bias ? bias[size_t((e / pq) % K)] : 0.f);
                want = host_mish(form, host_mish(form, want));
                const float tol = cm::mish_form_is_fp32(form) ? 2e-6f : 5e-5f;
                ASSERT_NEAR(out[i], want, tol * std::max(1.f, std::abs(want)))
                    << "form " << form << " vec " << vec << " stride " << grid_stride << " offset " << offset
                    << " n " << n << " element " << e;
              }
            }
          }
      }
}
