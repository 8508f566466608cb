// cudnn.eager: what PyTorch eager runs for Conv2d -> F.mish -> F.mish. cuDNN convolution (algorithm by cudnnFind,
// as cudnn.benchmark=True), the bias by cudnnAddTensor, then one precise Mish pass per application, vectorised
// like PyTorch's elementwise kernels (float4, one vector per thread). tf32:1 allows TF32 tensor cores (PyTorch's
// default for convolutions; the baseline of every speedup), tf32:0 is strict fp32 (FMA math).
#include "variants/conv_then_mish.hpp"

namespace convmish {
namespace {

class CudnnEager : public ConvThenMishVariant {
 public:
  CudnnEager() { space_.add("tf32", {1, 0}, "1: TF32 tensor cores allowed (PyTorch default), 0: strict fp32"); }
  std::string id() const override { return "cudnn.eager"; }
  std::string description() const override {
    return "cuDNN conv (cudnnFind) + cudnnAddTensor bias + one precise float4 Mish pass per application "
           "(PyTorch eager)";
  }
  const ParamSpace& space() const override { return space_; }
  std::vector<MishPassSpec> passes(const Problem& p, const Config&) const override {
    return std::vector<MishPassSpec>(size_t(p.mish_count), MishPassSpec{"mish_vec4", 1, false, 128, 1, false});
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(CudnnEager);
}  // namespace convmish
