// mish.float4: cuDNN convolution (TF32), then one pass of [bias +] Mish^k with 16-byte loads and stores, `vec`
// vectors in flight per thread, exact or grid-stride grid, any Mish form; head and tail handled for any count.
#include "variants/conv_then_mish.hpp"

namespace convmish {
namespace {

class MishFloat4 : public ConvThenMishVariant {
 public:
  MishFloat4() {
    space_.add("form", {CM_MISH_FAST, CM_MISH_TANH_APPROX, CM_MISH_ONEEXP, CM_MISH_PRECISE, CM_MISH_FAST_ACCURATE},
               "0 precise, 1 oneexp, 2 fast, 3 tanh_approx, 4 fast_accurate")
        .add("block", {256, 512, 128}, "threads per block")
        .add("vec", {2, 1, 4}, "float4 vectors per thread per step")
        .add("grid_stride", {1, 0}, "1: one wave of blocks striding over the tensor, 0: exact grid")
        .add("bias_fused", {1, 0}, "1: bias added in the Mish pass, 0: by cudnnAddTensor");
  }
  std::string id() const override { return "mish.float4"; }
  std::string description() const override {
    return "cuDNN conv (TF32), then one float4 pass: [bias +] Mish^k, vectors in flight, any form";
  }
  const ParamSpace& space() const override { return space_; }
  std::vector<MishPassSpec> passes(const Problem& p, const Config& c) const override {
    MishPassSpec s{"mish_vec4", p.mish_count, p.bias && c.at("bias_fused") != 0, int(c.at("block")),
                   int(c.at("vec")), c.at("grid_stride") != 0};
    s.form = int(c.at("form"));
    return {s};
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(MishFloat4);
}  // namespace convmish
