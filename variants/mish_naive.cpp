// mish.naive: cuDNN convolution, bias by cudnnAddTensor, then one precise Mish kernel per application, one
// element per thread (expf, log1pf, tanhf): the naive form the others improve on.
#include "variants/conv_then_mish.hpp"

namespace convmish {
namespace {

class MishNaive : public ConvThenMishVariant {
 public:
  MishNaive() {
    space_.add("block", {256, 128, 512}, "threads per block")
        .add("tf32", {1, 0}, "convolution with TF32 allowed (1) or strict fp32 (0)");
  }
  std::string id() const override { return "mish.naive"; }
  std::string description() const override {
    return "cuDNN conv + bias, then one precise scalar Mish kernel per application";
  }
  const ParamSpace& space() const override { return space_; }
  std::vector<MishPassSpec> passes(const Problem& p, const Config& c) const override {
    return std::vector<MishPassSpec>(size_t(p.mish_count), MishPassSpec{"mish_scalar", 1, false, int(c.at("block"))});
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(MishNaive);
}  // namespace convmish
