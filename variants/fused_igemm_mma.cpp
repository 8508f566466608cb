// fused.igemm_tf32 and fused.igemm_3xtf32: implicit-GEMM convolution on tensor cores (mma.sync m16n8k8) fused
// with bias + Mish (kernels/conv_igemm_mma.cu). TF32 rounds both operands (tf32 class); 3xTF32 splits each into a
// TF32 big and small part and accumulates big*big + big*small + small*big (fp32 class with an accurate Mish form).
// Launch: a tiny pass arranges the weights as [C/ck][R*S][kpad][ck] in the workspace, then the fused kernel.
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {
namespace {

struct Tile {
  int64_t th, tw, bn, ck, wm, wn, stages, minb, unroll;
  explicit Tile(const Config& c)
      : th(c.at("th")), tw(c.at("tw")), bn(c.at("bn")), ck(c.at("ck")), wm(c.at("wm")), wn(c.at("wn")),
        stages(c.at("stages")), minb(c.at("minb")), unroll(c.at("unroll")) {}
  int64_t threads() const { return wm * wn * 32; }
  int64_t mi() const { return th * tw / wm / 16; }
  int64_t ni() const { return bn / wn / 8; }
  // Shared memory per CTA, mirroring the kernel's macros.
  int64_t smem_bytes(const Problem& p) const {
    const int64_t ph = (th - 1) * p.stride + p.R, pw = (tw - 1) * p.stride + p.S;
    const int64_t cstr = (ck % 32 == 0 || ck % 32 == 16) ? ck + 8 : ck;
    return 4 * stages * cstr * (ph * pw + p.R * p.S * bn);
  }
  int64_t kpad(const Problem& p) const { return (p.K + bn - 1) / bn * bn; }
  int64_t weight_floats(const Problem& p) const { return (p.C + ck - 1) / ck * ck * p.R * p.S * kpad(p); }
};

class IgemmInstance : public Instance {
 public:
  IgemmInstance(const Problem& p, const Tile& t, std::vector<LoadedKernel> k)
      : p_(p), t_(t), prep_(k.at(0)), main_(k.at(1)) {}
  size_t workspace_bytes() const override { return size_t(t_.weight_floats(p_)) * 4; }
  void launch(const Buffers& b, cudaStream_t s) override {
    float* wt = static_cast<float*>(b.workspace);
    const float* w = b.w;
    int K = int(p_.K), C = int(p_.C), RS = int(p_.R * p_.S), kpad = int(t_.kpad(p_));
    const int64_t n = t_.weight_floats(p_);
    convmish::launch(prep_, dim3(unsigned((n + 255) / 256)), dim3(256), 0, s, w, wt, K, C, RS, kpad);
    ConvMishArgs a = p_.args(b.x, b.w, b.b, b.y);
    const float* cwt = wt;
    convmish::launch(main_, grid(), dim3(unsigned(t_.threads())), size_t(t_.smem_bytes(p_)), s, a, cwt, kpad);
  }
  nlohmann::json details() const override {
    const dim3 g = grid();
    return {{"grid", {g.x, g.y}}, {"block", t_.threads()}, {"smem_bytes", t_.smem_bytes(p_)},
            {"kpad", t_.kpad(p_)}, {"accumulators_per_thread", t_.mi() * t_.ni() * 4}};
  }

 private:
  dim3 grid() const {
    const int64_t tiles = (p_.P() + t_.th - 1) / t_.th * ((p_.Q() + t_.tw - 1) / t_.tw) * p_.N;
    return dim3(unsigned(tiles), unsigned(t_.kpad(p_) / t_.bn));
  }
  Problem p_;
  Tile t_;
  LoadedKernel prep_, main_;
};

template <bool kThreeX>
class FusedIgemm : public Variant {
 public:
  FusedIgemm() {
    space_.add("th", {4, 8, 2}, "output rows per CTA")
        .add("tw", {32, 16, 64}, "output columns per CTA (multiple of 16)")
        .add("bn", {128, 64}, "output channels per CTA")
        .add("ck", {8, 16}, "input channels per pipeline stage")
        .add("wm", {2, 4, 1}, "warps along the pixels")
        .add("wn", {4, 2}, "warps along the channels")
        .add("stages", {2, 3}, "cp.async pipeline depth")
        .add("minb", {1, 2}, "__launch_bounds__ minimum CTAs per SM (caps registers)")
        .add("unroll", {0, 1}, "1: unroll the R*S taps (more registers, fewer index operations)")
        .add("form", kThreeX ? std::vector<int64_t>{1, 0, 2} : std::vector<int64_t>{2, 3, 1},
             "Mish form in the epilogue: 0 precise, 1 oneexp, 2 fast, 3 tanh_approx");
    space_.require("th*tw divisible by 16*wm",
                   [](const Config& c) { return c.at("th") * c.at("tw") % (16 * c.at("wm")) == 0; })
        .require("bn divisible by 8*wn", [](const Config& c) { return c.at("bn") % (8 * c.at("wn")) == 0; })
        .require("64 <= threads <= 512", [](const Config& c) {
          const int64_t th = c.at("wm") * c.at("wn") * 32;
          return th >= 64 && th <= 512;
        })
        .require("accumulators + fragments fit the register cap 65536/(threads*minb) (max 255)", [](const Config& c) {
          // Estimate calibrated on ptxas -v (sm_90): fragments are double-buffered by the compiler.
          const Tile t(c);
          const int64_t frag = t.mi() * 4 + t.ni() * 2;
          const int64_t need = t.mi() * t.ni() * 4 + (kThreeX ? 4 * frag + 56 : 2 * frag + 40);
          const int64_t cap = std::min<int64_t>(255, 65536 / (t.threads() * t.minb));
          return need <= cap;
        });
  }
  std::string id() const override { return kThreeX ? "fused.igemm_3xtf32" : "fused.igemm_tf32"; }
  std::string description() const override {
    return kThreeX ? "implicit GEMM on mma.sync, 3xTF32 (fp32-accurate), cp.async pipeline, bias + Mish epilogue"
                   : "implicit GEMM on mma.sync TF32, cp.async pipeline, bias + Mish epilogue";
  }
  std::string precision(const Config& c) const override {
    if (!kThreeX) return "tf32";
    return c.at("form") >= 2 ? "fp32_fastmath" : "fp32";
  }
  const ParamSpace& space() const override { return space_; }
  Support supports(const Problem& p, const Config& c, const DeviceInfo& d) const override {
    if (d.cc_major < 8) return Support::no("mma.sync TF32 needs compute capability 8.0 or newer");
    const Tile t(c);
    const int64_t smem = t.smem_bytes(p);
    if (smem > int64_t(d.smem_per_block_optin))
      return Support::no("shared memory " + std::to_string(smem) + " B exceeds the device's " +
                         std::to_string(d.smem_per_block_optin) + " B per block");
    if (t.minb > 1 && smem * t.minb > int64_t(d.smem_per_sm))
      return Support::no("minb " + std::to_string(t.minb) + " CTAs of " + std::to_string(smem) +
                         " B do not fit the SM's shared memory");
    if (p.R > 7 || p.S > 7) return Support::no("filters larger than 7x7 are not unrolled by this kernel");
    const int64_t tiles = (p.P() + t.th - 1) / t.th * ((p.Q() + t.tw - 1) / t.tw) * p.N;
    if (tiles > 0x7fffffffLL || t.kpad(p) / t.bn > 65535) return Support::no("grid too large");
    return Support::yes();
  }
  std::vector<KernelSpec> kernels(const Problem& p, const Config& c) const override {
    std::vector<std::pair<std::string, std::string>> defs = {
        {"KR", std::to_string(p.R)}, {"KS", std::to_string(p.S)}, {"STRIDE", std::to_string(p.stride)},
        {"PAD", std::to_string(p.pad)}, {"THREEX", kThreeX ? "1" : "0"}};
    for (const char* name : {"th", "tw", "bn", "ck", "wm", "wn", "stages", "minb"}) {
      std::string up = name;
      for (char& ch : up) ch = char(std::toupper(static_cast<unsigned char>(ch)));
      defs.emplace_back(up, std::to_string(c.at(name)));
    }
    defs.emplace_back("MISH_FORM", std::to_string(c.at("form")));
    defs.emplace_back("UNROLL_TAPS", std::to_string(c.at("unroll")));
    return {KernelSpec{"conv_igemm_mma.cu", "igemm_weights", defs},
            KernelSpec{"conv_igemm_mma.cu", "conv_igemm_mma", defs}};
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv&) const override {
    return std::make_unique<IgemmInstance>(p, Tile(c), std::move(k));
  }

 private:
  ParamSpace space_;
};

using FusedIgemmTf32 = FusedIgemm<false>;
using FusedIgemm3xTf32 = FusedIgemm<true>;

}  // namespace
CONVMISH_REGISTER_VARIANT(FusedIgemmTf32);
CONVMISH_REGISTER_VARIANT(FusedIgemm3xTf32);
}  // namespace convmish
