#include "tuner/reference.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "mish.cuh"
#include "tuner/check.hpp"
#include "tuner/gpu_ops.hpp"

namespace convmish {

size_t problem_buffer_bytes(const Problem& p) {
  return 4 * (size_t(p.x_elems()) + size_t(p.w_elems()) + size_t(p.K) + 2 * size_t(p.y_elems()));
}

std::optional<std::string> memory_shortfall(const Problem& p, size_t free_bytes, size_t total_bytes) {
  const size_t need = problem_buffer_bytes(p);
  if (need <= free_bytes) return std::nullopt;
  auto gib = [](size_t b) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(2) << double(b) / double(size_t(1) << 30) << " GiB";
    return s.str();
  };
  return "problem " + p.shape_string() + " does not fit on this GPU: its buffers (x, w, b, y and the reference " +
         "output) need " + gib(need) + ", " + gib(free_bytes) + " of " + gib(total_bytes) + " are free";
}

ProblemBuffers::ProblemBuffers(const Problem& p) {
  // Checked before allocating anything; an allocation that fails all the same (memory taken meanwhile) gives the
  // same error with what the driver says.
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  if (const auto why = memory_shortfall(p, free_b, total_b)) throw UsageError(*why);
  try {
    x = DeviceBuffer(size_t(p.x_elems()) * 4);
    w = DeviceBuffer(size_t(p.w_elems()) * 4);
    b = DeviceBuffer(size_t(p.K) * 4);
    y = DeviceBuffer(size_t(p.y_elems()) * 4);
    ref = DeviceBuffer(size_t(p.y_elems()) * 4);
  } catch (const CudaError& e) {
    if (e.code() != cudaErrorMemoryAllocation) throw;
    throw UsageError("problem " + p.shape_string() + " does not fit on this GPU: " + e.what());
  }
}

void generate_inputs(const Problem& p, uint64_t seed, ProblemBuffers& buf, cudaStream_t s) {
  const float bound = float(p.w_scale / std::sqrt(double(p.C * p.R * p.S)));
  // Three independent streams of the same generator, one per tensor.
  fill_uniform(buf.x.as<float>(), p.x_elems(), seed * 3 + 0, float(p.x_lo), float(p.x_hi), s);
  fill_uniform(buf.w.as<float>(), p.w_elems(), seed * 3 + 1, -bound, bound, s);
  fill_uniform(buf.b.as<float>(), p.K, seed * 3 + 2, -bound, bound, s);
}

GpuReference::GpuReference(const Problem& p, cudnnHandle_t h, cudaStream_t s) : p_(p), s_(s) {
  conv_ = std::make_unique<CudnnConv>(h, p, ConvMath::kFma, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
  ws_ = DeviceBuffer(conv_->workspace_bytes());
}

void GpuReference::compute(ProblemBuffers& buf) {
  conv_->run(buf.x.as<float>(), buf.w.as<float>(), buf.ref.as<float>(), ws_.get());
  reference_epilogue(buf.ref.as<float>(), p_.bias ? buf.b.as<float>() : nullptr, p_.y_elems(), p_.P() * p_.Q(),
                     int(p_.K), p_.mish_count, s_);
}

std::vector<double> cpu_reference(const Problem& p, const std::vector<float>& x, const std::vector<float>& w,
                                  const std::vector<float>& b) {
  if (int64_t(x.size()) != p.x_elems() || int64_t(w.size()) != p.w_elems() || (p.bias && int64_t(b.size()) != p.K))
    throw UsageError("cpu_reference: tensor sizes do not match " + p.shape_string());
  const int64_t P = p.P(), Q = p.Q();
  std::vector<double> y(size_t(p.y_elems()));
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t k = 0; k < p.K; ++k)
      for (int64_t oh = 0; oh < P; ++oh)
        for (int64_t ow = 0; ow < Q; ++ow) {
          double acc = p.bias ? double(b[size_t(k)]) : 0.0;
          for (int64_t c = 0; c < p.C; ++c)
            for (int64_t r = 0; r < p.R; ++r)
              for (int64_t s = 0; s < p.S; ++s) {
                const int64_t h = oh * p.stride - p.pad + r, ww = ow * p.stride - p.pad + s;
                if (h < 0 || h >= p.H || ww < 0 || ww >= p.W) continue;
                acc += double(x[size_t(((n * p.C + c) * p.H + h) * p.W + ww)]) *
                       double(w[size_t(((k * p.C + c) * p.R + r) * p.S + s)]);
              }
          for (int i = 0; i < p.mish_count; ++i) acc = cm::mish_ref(acc);
          y[size_t(((n * p.K + k) * P + oh) * Q + ow)] = acc;
        }
  return y;
}

}  // namespace convmish
