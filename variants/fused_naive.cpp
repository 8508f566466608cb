// fused.naive: one thread per output element computes the direct convolution, adds the bias and applies Mish
// (precise form) in registers before its only store. Tunable: threads per block.
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {
namespace {

class FusedNaiveInstance : public Instance {
 public:
  FusedNaiveInstance(const Problem& p, int block, LoadedKernel k) : p_(p), block_(block), k_(std::move(k)) {}
  void launch(const Buffers& b, cudaStream_t s) override {
    ConvMishArgs a = p_.args(b.x, b.w, b.b, b.y);
    const dim3 grid(unsigned((p_.y_elems() + block_ - 1) / block_));
    convmish::launch(k_, grid, dim3(unsigned(block_)), 0, s, a);
  }
  nlohmann::json details() const override {
    return {{"grid", (p_.y_elems() + block_ - 1) / block_}, {"block", block_}};
  }

 private:
  Problem p_;
  int block_;
  LoadedKernel k_;
};

class FusedNaive : public Variant {
 public:
  FusedNaive() { space_.add("block", {256, 128, 512, 64}, "threads per block"); }
  std::string id() const override { return "fused.naive"; }
  std::string description() const override {
    return "direct convolution, one thread per output, bias + Mish (precise) in registers";
  }
  std::optional<Ceiling> ceiling(const Config&, const DeviceInfo& d) const override {
    return Ceiling{"fp32 FFMA", ffma_flops_per_clk_per_sm(d)};
  }
  std::string precision(const Config&) const override { return "fp32"; }
  const ParamSpace& space() const override { return space_; }
  Support supports(const Problem& p, const Config& c, const DeviceInfo&) const override {
    if ((p.y_elems() + c.at("block") - 1) / c.at("block") > 0x7fffffffLL)
      return Support::no("grid exceeds 2^31-1 blocks");
    return Support::yes();
  }
  std::vector<KernelSpec> kernels(const Problem&, const Config& c) const override {
    return {KernelSpec{"conv_naive_fused.cu", "conv_naive_fused",
                       {{"BLOCK", std::to_string(c.at("block"))}, {"MISH_FORM", "CM_MISH_PRECISE"}}}};
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv&) const override {
    return std::make_unique<FusedNaiveInstance>(p, int(c.at("block")), k.at(0));
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(FusedNaive);
}  // namespace convmish
