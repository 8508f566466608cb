// mish.fastmath: mish.fused2 with a cheaper Mish form: form 1 one exponential (expf + IEEE divide), 2 the same
// with __expf/__fdividef, 3 tanh.approx.f32 on a __expf/__logf softplus. Accuracy per form: kernels/mish.cuh and
// the accuracy survey.
#include "variants/conv_then_mish.hpp"

namespace convmish {
namespace {

class MishFastmath : public ConvThenMishVariant {
 public:
  MishFastmath() {
    space_.add("form", {CM_MISH_FAST, CM_MISH_ONEEXP, CM_MISH_TANH_APPROX, CM_MISH_FAST_ACCURATE},
               "1 oneexp, 2 fast, 3 tanh_approx, 4 fast_accurate")
        .add("block", {256, 128, 512}, "threads per block")
        .add("bias_fused", {1, 0}, "1: bias added in the Mish kernel, 0: by cudnnAddTensor")
        .add("tf32", {1, 0}, "convolution with TF32 allowed (1) or strict fp32 (0)");
  }
  std::string id() const override { return "mish.fastmath"; }
  std::string description() const override {
    return "cuDNN conv, then one scalar kernel: [bias +] Mish^k with a one-exponential or intrinsic form";
  }
  const ParamSpace& space() const override { return space_; }
  std::vector<MishPassSpec> passes(const Problem& p, const Config& c) const override {
    MishPassSpec s{"mish_scalar", p.mish_count, p.bias && c.at("bias_fused") != 0, int(c.at("block"))};
    s.form = int(c.at("form"));
    return {s};
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(MishFastmath);
}  // namespace convmish
