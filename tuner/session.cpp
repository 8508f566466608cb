#include "tuner/session.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "tuner/check.hpp"
#include "tuner/gpu_ops.hpp"
#include "tuner/nvtx.hpp"
#include "tuner/tolerance.hpp"

namespace convmish {

using nlohmann::json;

Session::Session(const Problem& p, const DeviceInfo& dev, const TimerSettings& timer, int checks)
    : p_(p), dev_(dev), checks_(checks), buf_(p),
      ref_(p, (cudnn_.set_stream(stream_.get()), cudnn_.get()), stream_.get()), timer_(dev, stream_.get(), timer) {}

PreparedConfig Session::prepare(const Variant& v, const Config& c, const std::vector<CompiledKernel>& compiled) {
  PreparedConfig out;
  std::vector<LoadedKernel> kernels;
  for (const auto& ck : compiled) {
    out.libs.emplace_back(ck);
    const LoadedKernel& k = out.libs.back().kernel();
    kernels.push_back(k);
    out.compile_ms += ck.compile_ms;
    out.kernels.push_back({{"name", k.name}, {"source", ck.spec.source}, {"arch", ck.arch},
                           {"registers", k.registers}, {"static_smem", k.static_smem},
                           {"local_bytes", k.local_bytes}, {"compile_ms", ck.compile_ms},
                           {"cache_hit", ck.cache_hit}, {"nvrtc_log", ck.log}});
  }
  out.instance = v.instantiate(p_, c, kernels, env());
  out.workspace = DeviceBuffer(out.instance->workspace_bytes());
  return out;
}

Verdict Session::validate(Instance& inst, const std::string& precision, Buffers& b, uint64_t seed) {
  NvtxPhase<phase::Validate> range;
  const Tolerance& tol = tolerance_for(precision);
  Verdict v;
  v.precision = precision;
  v.tol_rel_l2 = tol.rel_l2;
  // The absolute tolerance is set for torch.rand inputs and PyTorch's default weights; an fp32 convolution's absolute
  // error grows with the inputs' and weights' magnitudes (--x-range, --w-scale), so it scales with them (Mish's slope
  // is at most 1.1). Relative L2 and rtol need no scaling.
  const double atol = tol.atol * p_.input_magnitude();
  v.tol_atol = atol;
  v.tol_rtol = tol.rtol;
  for (int c = 0; c < std::max(1, checks_); ++c) {
    generate_inputs(p_, seed + uint64_t(c) * 7919u, buf_, stream_.get());
    {
      NvtxPhase<phase::Reference> r;
      ref_.compute(buf_);
    }
    fill_bits(buf_.y.as<float>(), p_.y_elems(), kPoisonBits, stream_.get());
    inst.launch(b, stream_.get());
    const CompareResult cr =
        compare_outputs(buf_.y.as<float>(), buf_.ref.as<float>(), p_.y_elems(), atol, tol.rtol, stream_.get());
    v.n = cr.n;
    v.rel_l2 = cr.rel_l2();
    v.max_abs = cr.max_abs;
    v.over_tol = cr.over_tol;
    v.nonfinite = cr.nonfinite;
    v.unwritten = cr.unwritten;
    v.ref_nonfinite = cr.ref_nonfinite;
    v.first_bad = cr.first_bad;
    v.checks = c + 1;
    v.pass = cr.over_tol == 0 && cr.nonfinite == 0 && cr.unwritten == 0 && cr.ref_nonfinite == 0 &&
             std::isfinite(v.rel_l2) && (v.rel_l2 <= tol.rel_l2 || v.n < kRelL2MinElements);
    if (!v.pass) break;
  }
  return v;
}

TimingStats Session::time(Instance& inst, Buffers& b) {
  NvtxPhase<phase::Measure> range;
  return timer_.measure([&] { inst.launch(b, stream_.get()); });
}

json Session::copy_bandwidth() {
  const size_t bytes = size_t(p_.y_elems()) * 4;
  const TimingStats t = timer_.measure([&] {
    CUDA_CHECK(cudaMemcpyAsync(buf_.ref.get(), buf_.y.get(), bytes, cudaMemcpyDeviceToDevice, stream_.get()));
  });
  copy_gbps_ = 2.0 * double(bytes) / (t.median_ms * 1e-3) / 1e9;
  return {{"bytes", 2 * bytes}, {"median_ms", t.median_ms}, {"noise", t.noise}, {"gbps", copy_gbps_}};
}

json Session::time_parts(Instance& inst, Buffers& b) {
  json out = json::array();
  const auto parts = inst.parts();
  const size_t bytes = size_t(p_.y_elems()) * 4;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::function<void()> setup;
    if (i > 0) {
      for (size_t j = 0; j < i; ++j) inst.launch_part(j, b, stream_.get());
      CUDA_CHECK(cudaMemcpyAsync(buf_.ref.get(), buf_.y.get(), bytes, cudaMemcpyDeviceToDevice, stream_.get()));
      setup = [&] {
        CUDA_CHECK(cudaMemcpyAsync(buf_.y.get(), buf_.ref.get(), bytes, cudaMemcpyDeviceToDevice, stream_.get()));
      };
    }
    NvtxPhase<phase::Measure> range;
    const TimingStats t = timer_.measure([&] { inst.launch_part(i, b, stream_.get()); }, setup);
    json j = {{"name", parts[i].name}, {"median_ms", t.median_ms}, {"noise", t.noise}, {"samples", t.samples}};
    if (parts[i].bytes > 0) {
      const double gbps = parts[i].bytes / (t.median_ms * 1e-3) / 1e9;
      j["bytes"] = parts[i].bytes;
      j["gbps"] = gbps;
      if (copy_gbps_ > 0) j["pct_of_copy"] = 100.0 * gbps / copy_gbps_;
    }
    out.push_back(j);
  }
  return out;
}

Buffers Session::buffers(void* workspace) {
  return Buffers{buf_.x.as<float>(), buf_.w.as<float>(), p_.bias ? buf_.b.as<float>() : nullptr,
                 buf_.y.as<float>(), workspace};
}

}  // namespace convmish
