#include "tuner/mish_survey.hpp"

#include <cfloat>
#include <cmath>
#include <iomanip>
#include <vector>

#include <nlohmann/json.hpp>

#include "mish.cuh"
#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/sweep.hpp"

namespace convmish {

namespace {

constexpr int kBins = 8;
constexpr int kThreads = 256;
// Input ranges: the branch points of the forms (-20, -5, 20) and the sign change.
__host__ __device__ inline int bin_of(float x) {
  return x < -20.f ? 0 : x < -5.f ? 1 : x < -1.f ? 2 : x < 0.f ? 3 : x < 1.f ? 4 : x < 5.f ? 5 : x < 20.f ? 6 : 7;
}
const char* kBinNames[kBins] = {"x < -20", "-20 <= x < -5", "-5 <= x < -1", "-1 <= x < 0",
                                "0 <= x < 1", "1 <= x < 5", "5 <= x < 20", "x >= 20"};

struct BinStats {
  double max_ulp, max_abs, max_rel;
  float worst_x;
  unsigned long long count, nonfinite;
};

// Form kFastFtz: mish_fast_ftz, form 2 as the fused kernels compile it (CM_MISH_FAST_FTZ); here mish<2> is the
// __expf/__fdividef version that mish.fastmath and mish.float4 compile.
constexpr int kFastFtz = -1;
template <int Form>
__device__ __forceinline__ float survey_mish(float x) {
  if constexpr (Form == kFastFtz) return cm::mish_fast_ftz(x);
  else return cm::mish<Form>(x);
}
template <int Form>
__device__ __forceinline__ float survey_mish_again(float x) {
  if constexpr (Form == kFastFtz) return cm::mish_fast_ftz(x);
  else return cm::mish_again<Form>(x);
}

template <int Form, bool Twice>
__global__ void survey_kernel(uint32_t stride, BinStats* out) {
  BinStats s[kBins];
#pragma unroll
  for (int b = 0; b < kBins; ++b) s[b] = BinStats{0, 0, 0, 0.f, 0, 0};
  const uint64_t total = (uint64_t(1) << 32) / stride;
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < total; i += uint64_t(gridDim.x) * blockDim.x) {
    const float x = __uint_as_float(uint32_t(i * stride));
    if (!isfinite(x)) continue;
    float f = survey_mish<Form>(x);
    double r = cm::mish_ref(double(x));
    if (Twice) {  // as the kernels chain it (kernels/mish.cuh, mish_repeat)
      f = survey_mish_again<Form>(f);
      r = cm::mish_ref(r);
    }
    const int b = bin_of(x);
    // Runtime-indexed register arrays spill; walk the bins with constant indices instead.
#pragma unroll
    for (int k = 0; k < kBins; ++k) {
      if (k != b) continue;
      s[k].count++;
      if (!isfinite(f)) {
        s[k].nonfinite++;
        continue;
      }
      const double ar = fabs(r);
      const double ulp = ar < double(FLT_MIN) ? 0x1p-149 : exp2(floor(log2(ar)) - 23.0);
      const double err = fabs(double(f) - r);
      const double u = err / ulp;
      if (u > s[k].max_ulp) {
        s[k].max_ulp = u;
        s[k].worst_x = x;
      }
      s[k].max_abs = fmax(s[k].max_abs, err);
      // Relative error only where the result is a normal float: a denormal result carries fewer bits.
      if (ar >= double(FLT_MIN)) s[k].max_rel = fmax(s[k].max_rel, err / ar);
    }
  }
  // Warp reduction; lane 0 writes the warp's bins.
#pragma unroll
  for (int k = 0; k < kBins; ++k) {
    for (int off = 16; off > 0; off >>= 1) {
      const double u = __shfl_down_sync(0xffffffffu, s[k].max_ulp, off);
      const float wx = __shfl_down_sync(0xffffffffu, s[k].worst_x, off);
      if (u > s[k].max_ulp) {
        s[k].max_ulp = u;
        s[k].worst_x = wx;
      }
      s[k].max_abs = fmax(s[k].max_abs, __shfl_down_sync(0xffffffffu, s[k].max_abs, off));
      s[k].max_rel = fmax(s[k].max_rel, __shfl_down_sync(0xffffffffu, s[k].max_rel, off));
      s[k].count += __shfl_down_sync(0xffffffffu, s[k].count, off);
      s[k].nonfinite += __shfl_down_sync(0xffffffffu, s[k].nonfinite, off);
    }
  }
  if ((threadIdx.x & 31) == 0) {
    const size_t warp = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32;
#pragma unroll
    for (int k = 0; k < kBins; ++k) out[warp * kBins + k] = s[k];
  }
}

using SurveyFn = void (*)(unsigned, uint32_t, BinStats*);

template <int Form, bool Twice>
void launch_survey(unsigned grid, uint32_t stride, BinStats* out) {
  survey_kernel<Form, Twice><<<grid, kThreads>>>(stride, out);
  CUDA_CHECK_LAUNCH();
}

struct FormEntry {
  const char* name;
  const char* used_by;
  SurveyFn once, twice;
};

const FormEntry kForms[] = {
    {"precise", "cudnn.eager, mish.naive, mish.fused2, fused.naive, form:0 of mish.float4 and fused.*",
     launch_survey<CM_MISH_PRECISE, false>, launch_survey<CM_MISH_PRECISE, true>},
    {"oneexp", "mish.fastmath form:1, mish.float4 form:1, fused.* form:1", launch_survey<CM_MISH_ONEEXP, false>,
     launch_survey<CM_MISH_ONEEXP, true>},
    {"fast", "mish.fastmath form:2, mish.float4 form:2", launch_survey<CM_MISH_FAST, false>,
     launch_survey<CM_MISH_FAST, true>},
    {"tanh_approx", "mish.fastmath form:3, mish.float4 form:3, fused.* form:3",
     launch_survey<CM_MISH_TANH_APPROX, false>, launch_survey<CM_MISH_TANH_APPROX, true>},
    {"fast_ftz", "fused.tiled_fp32, fused.igemm_*, fused.wgmma_* form:2", launch_survey<kFastFtz, false>,
     launch_survey<kFastFtz, true>},
    {"fast_accurate", "form:4 of mish.fastmath, mish.float4 and fused.*", launch_survey<CM_MISH_FAST_ACCURATE, false>,
     launch_survey<CM_MISH_FAST_ACCURATE, true>},
};

}  // namespace

nlohmann::json run_mish_survey(int device, uint32_t stride, std::ostream& log) {
  using nlohmann::json;
  if (stride == 0) throw UsageError("survey stride must be at least 1");
  const DeviceInfo dev = probe_device(device);
  const unsigned grid = unsigned(dev.sm_count) * 8;
  const size_t warps = size_t(grid) * kThreads / 32;
  DeviceBuffer buf(warps * kBins * sizeof(BinStats));
  std::vector<BinStats> host(warps * kBins);
  json doc = run_metadata();
  doc["schema"] = "convmish.mish_survey";
  doc["schema_version"] = 1;
  doc["device"] = dev;
  doc["inputs"] = stride == 1 ? "every finite float (all 2^32 bit patterns, NaN and Inf skipped)"
                              : "every " + std::to_string(stride) + "-th float bit pattern";
  doc["reference"] = "mish_ref in double: x * tanh(log1p(exp(x))); the composition applies it twice";
  doc["ulp"] = "|f - ref| / spacing of floats at |ref| (2^-149 below FLT_MIN)";
  doc["max_rel"] = "|f - ref| / |ref| over results with |ref| >= FLT_MIN (normal floats)";
  doc["forms"] = json::array();
  log << std::left << std::setw(26) << "form" << std::right << std::setw(12) << "max ulp" << std::setw(12)
      << "max abs" << std::setw(12) << "max rel" << std::setw(14) << "worst x" << "\n";
  for (const auto& f : kForms)
    for (bool twice : {false, true}) {
      (twice ? f.twice : f.once)(grid, stride, buf.as<BinStats>());
      CUDA_CHECK(cudaMemcpy(host.data(), buf.get(), host.size() * sizeof(BinStats), cudaMemcpyDeviceToHost));
      json bins = json::array();
      BinStats all{0, 0, 0, 0.f, 0, 0};
      for (int k = 0; k < kBins; ++k) {
        BinStats b{0, 0, 0, 0.f, 0, 0};
        for (size_t w = 0; w < warps; ++w) {
          const BinStats& s = host[w * kBins + k];
          if (s.max_ulp > b.max_ulp) b.max_ulp = s.max_ulp, b.worst_x = s.worst_x;
          b.max_abs = std::max(b.max_abs, s.max_abs);
          b.max_rel = std::max(b.max_rel, s.max_rel);
          b.count += s.count;
          b.nonfinite += s.nonfinite;
        }
        bins.push_back({{"range", kBinNames[k]}, {"count", b.count}, {"nonfinite", b.nonfinite},
                        {"max_ulp", b.max_ulp}, {"max_abs", b.max_abs}, {"max_rel", b.max_rel},
                        {"worst_x", b.worst_x}});
        if (b.max_ulp > all.max_ulp) all.max_ulp = b.max_ulp, all.worst_x = b.worst_x;
        all.max_abs = std::max(all.max_abs, b.max_abs);
        all.max_rel = std::max(all.max_rel, b.max_rel);
        all.count += b.count;
        all.nonfinite += b.nonfinite;
      }
      const std::string name = twice ? std::string("mish(mish(x)) ") + f.name : std::string(f.name);
      doc["forms"].push_back({{"form", f.name}, {"composed", twice}, {"used_by", f.used_by}, {"bins", bins},
                              {"overall", {{"count", all.count}, {"nonfinite", all.nonfinite},
                                           {"max_ulp", all.max_ulp}, {"max_abs", all.max_abs},
                                           {"max_rel", all.max_rel}, {"worst_x", all.worst_x}}}});
      log << std::left << std::setw(26) << name << std::right << std::setw(12) << std::setprecision(4)
          << all.max_ulp << std::setw(12) << std::setprecision(3) << all.max_abs << std::setw(12) << all.max_rel
          << std::setw(14) << std::setprecision(7) << all.worst_x << (all.nonfinite ? "  NONFINITE" : "") << "\n";
    }
  return doc;
}

}  // namespace convmish
