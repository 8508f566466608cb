// Shared by the variants that run cuDNN's convolution and then Mish as separate elementwise passes (cudnn.eager
// and the mish.* family): the convolution (TF32 allowed or strict FMA, algorithm by cudnnFind), the bias either
// by cudnnAddTensor or inside the first Mish pass, then the passes. Parts "conv" and "mish" are timed apart.
#pragma once
#include <algorithm>
#include <optional>

#include "mish.cuh"

#include "tuner/cudnn_conv.hpp"
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {

// One elementwise pass: a kernel of mish_elementwise.cu and how to launch it.
struct MishPassSpec {
  std::string kernel;      // "mish_scalar" or "mish_vec4"
  int count = 1;           // Mish applications in this pass
  bool bias = false;       // this pass adds the bias
  int block = 256, vec = 1;
  bool grid_stride = false;
  int form = CM_MISH_PRECISE;
};

inline unsigned mish_pass_grid(const MishPassSpec& s, const Problem& p, const DeviceInfo& d) {
  return unsigned(mish_pass_blocks(p.y_elems(), s.kernel == "mish_vec4", s.block, s.vec, s.grid_stride, d.sm_count,
                                   d.max_threads_per_sm));
}

class ConvThenMishInstance : public Instance {
 public:
  ConvThenMishInstance(const Problem& p, bool tf32, std::vector<MishPassSpec> specs, std::vector<LoadedKernel> ks,
                       const LaunchEnv& env)
      : p_(p), conv_(env.cudnn, p, tf32 ? ConvMath::kTf32 : ConvMath::kFma), specs_(std::move(specs)),
        kernels_(std::move(ks)) {
    for (const auto& s : specs_) grids_.push_back(mish_pass_grid(s, p, env.device));
    bias_in_mish_ = std::any_of(specs_.begin(), specs_.end(), [](const MishPassSpec& s) { return s.bias; });
  }
  size_t workspace_bytes() const override { return conv_.workspace_bytes(); }
  void launch(const Buffers& b, cudaStream_t s) override {
    launch_part(0, b, s);
    launch_part(1, b, s);
  }
  std::vector<Part> parts() const override {
    double bytes = 0;
    for (size_t i = 0; i < specs_.size(); ++i) bytes += 8.0 * double(p_.y_elems());  // read + write y
    return {{"conv", 0}, {"mish", bytes}};
  }
  void launch_part(size_t index, const Buffers& b, cudaStream_t s) override {
    if (index == 0) {
      conv_.run(b.x, b.w, b.y, b.workspace);
      if (b.b && !bias_in_mish_) conv_.add_bias(b.b, b.y);
      return;
    }
    for (size_t i = 0; i < specs_.size(); ++i) {
      MishArgs a{b.y, specs_[i].bias ? b.b : nullptr, p_.y_elems(), p_.P() * p_.Q(), int(p_.K), specs_[i].count};
      convmish::launch(kernels_[i], dim3(grids_[i]), dim3(unsigned(specs_[i].block)), 0, s, a);
    }
  }
  nlohmann::json details() const override {
    nlohmann::json j = conv_.details();
    j["bias"] = bias_in_mish_ ? "in the first Mish pass" : "cudnnAddTensor";
    for (size_t i = 0; i < specs_.size(); ++i)
      j["passes"].push_back({{"kernel", specs_[i].kernel}, {"count", specs_[i].count}, {"grid", grids_[i]},
                             {"block", specs_[i].block}, {"vec", specs_[i].vec},
                             {"form", cm::mish_form_name(specs_[i].form)}});
    return j;
  }

 private:
  Problem p_;
  CudnnConv conv_;
  std::vector<MishPassSpec> specs_;
  std::vector<LoadedKernel> kernels_;
  std::vector<unsigned> grids_;
  bool bias_in_mish_ = false;
};

// Base of such variants: a subclass declares its space and its passes; "tf32" (default 1) and "form" (default
// precise) are read from the configuration when present.
class ConvThenMishVariant : public Variant {
 public:
  virtual std::vector<MishPassSpec> passes(const Problem& p, const Config& c) const = 0;

  static bool tf32(const Config& c) { return !c.count("tf32") || c.at("tf32"); }
  static int form(const Config& c) { return c.count("form") ? int(c.at("form")) : CM_MISH_PRECISE; }

  std::string precision(const Config& c) const override {
    if (tf32(c)) return "tf32";
    return cm::mish_form_is_fp32(form(c)) ? "fp32" : "fp32_fastmath";
  }
  std::vector<KernelSpec> kernels(const Problem& p, const Config& c) const override {
    std::vector<KernelSpec> out;
    for (const auto& s : passes(p, c))
      out.push_back({"mish_elementwise.cu", s.kernel,
                     {{"BLOCK", std::to_string(s.block)}, {"MISH_FORM", std::to_string(s.form)},
                      {"VEC", std::to_string(s.vec)}, {"GRID_STRIDE", s.grid_stride ? "1" : "0"}}});
    return out;
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv& env) const override {
    return std::make_unique<ConvThenMishInstance>(p, tf32(c), passes(p, c), std::move(k), env);
  }
};

}  // namespace convmish
