// cudnn.eager: what PyTorch eager runs for Conv2d -> F.mish -> F.mish. cuDNN convolution (algorithm by
// cudnnFind, as cudnn.benchmark=True), bias by cudnnAddTensor, then one precise Mish kernel per application.
// tf32:1 allows TF32 tensor cores (PyTorch's default for convolutions; the baseline of every speedup),
// tf32:0 is strict fp32 (FMA math).
#include "tuner/cudnn_conv.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {
namespace {

class CudnnEagerInstance : public Instance {
 public:
  CudnnEagerInstance(const Problem& p, ConvMath math, LoadedKernel mish, const LaunchEnv& env)
      : p_(p), conv_(env.cudnn, p, math), mish_(std::move(mish)) {}
  size_t workspace_bytes() const override { return conv_.workspace_bytes(); }
  void launch(const Buffers& b, cudaStream_t s) override {
    conv_.run(b.x, b.w, b.y, b.workspace);
    if (b.b) conv_.add_bias(b.b, b.y);
    MishArgs a{b.y, nullptr, p_.y_elems(), p_.P() * p_.Q(), int(p_.K), 1};
    const dim3 grid(unsigned((a.n + kBlock - 1) / kBlock));
    for (int i = 0; i < p_.mish_count; ++i) convmish::launch(mish_, grid, dim3(kBlock), 0, s, a);
  }
  nlohmann::json details() const override { return conv_.details(); }

  static constexpr int kBlock = 256;

 private:
  Problem p_;
  CudnnConv conv_;
  LoadedKernel mish_;
};

class CudnnEager : public Variant {
 public:
  CudnnEager() { space_.add("tf32", {1, 0}, "1: TF32 tensor cores allowed (PyTorch default), 0: strict fp32"); }
  std::string id() const override { return "cudnn.eager"; }
  std::string description() const override {
    return "cuDNN conv (cudnnFind) + cudnnAddTensor bias + one precise Mish kernel per application (PyTorch eager)";
  }
  std::string precision(const Config& c) const override { return c.at("tf32") ? "tf32" : "fp32"; }
  const ParamSpace& space() const override { return space_; }
  std::vector<KernelSpec> kernels(const Problem&, const Config&) const override {
    return {KernelSpec{"mish_elementwise.cu", "mish_scalar",
                       {{"BLOCK", std::to_string(CudnnEagerInstance::kBlock)}, {"MISH_FORM", "CM_MISH_PRECISE"}}}};
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv& env) const override {
    return std::make_unique<CudnnEagerInstance>(p, c.at("tf32") ? ConvMath::kTf32 : ConvMath::kFma, k.at(0), env);
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(CudnnEager);
}  // namespace convmish
