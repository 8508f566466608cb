// mish.fused2: cuDNN convolution, then one kernel that applies Mish twice (precise form) per element, one element
// per thread: half the passes of mish.naive. bias_fused:1 adds the bias in that kernel instead of cudnnAddTensor.
#include "variants/conv_then_mish.hpp"

namespace convmish {
namespace {

class MishFused2 : public ConvThenMishVariant {
 public:
  MishFused2() {
    space_.add("block", {256, 128, 512}, "threads per block")
        .add("bias_fused", {1, 0}, "1: bias added in the Mish kernel, 0: by cudnnAddTensor")
        .add("tf32", {1, 0}, "convolution with TF32 allowed (1) or strict fp32 (0)");
  }
  std::string id() const override { return "mish.fused2"; }
  std::string description() const override {
    return "cuDNN conv, then one scalar kernel: [bias +] Mish applied mish_count times (precise)";
  }
  const ParamSpace& space() const override { return space_; }
  std::vector<MishPassSpec> passes(const Problem& p, const Config& c) const override {
    return {MishPassSpec{"mish_scalar", p.mish_count, p.bias && c.at("bias_fused") != 0, int(c.at("block"))}};
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(MishFused2);
}  // namespace convmish
