// fused.wgmma_tf32: implicit-GEMM convolution on Hopper's warpgroup MMA (wgmma.mma_async TF32, sm_90a) fused with
// bias + Mish (kernels/conv_wgmma.cu). GEMM M = 64 output channels whose weights stay resident in shared memory,
// N = one output row segment of TW pixels read from a channels-inner input patch, K = C x R x S.
// Launch: a tiny pass arranges the weights as [K/64][R*S][C/4][64][4] in the workspace, then persistent CTAs (one
// per SM: the resident weights take most of the shared memory), each with GROUPS warpgroups on their own tiles.
#include <algorithm>

#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {
namespace {

constexpr int64_t kBn = 64;  // wgmma M: output channels per CTA

// Mirrors of the kernel's macros (kernels/conv_wgmma.cu).
struct WgTile {
  int64_t th, tw, ck, groups, epi, depth, bufs;
  explicit WgTile(const Config& c)
      : th(c.at("th")), tw(c.at("tw")), ck(c.at("ck")), groups(c.at("groups")), epi(c.at("epi")),
        depth(c.at("depth")), bufs(c.at("bufs")) {}
  int64_t threads() const { return groups * 128; }
  int64_t cpad(const Problem& p) const { return (p.C + ck - 1) / ck * ck; }
  int64_t w_floats(const Problem& p) const { return p.R * p.S * cpad(p) * kBn; }
  int64_t ncg(const Problem& p) const { return (tw + p.S - 1 + 3) / 4; }
  int64_t pws(const Problem& p) const { return 4 * ncg(p) + 1; }
  int64_t a_stage(const Problem& p) const { return ck * (th + p.R - 1) * pws(p); }
  // Resident weights, `bufs` input patches per warpgroup and the block's 64 biases.
  int64_t smem_bytes(const Problem& p) const { return 4 * (w_floats(p) + groups * bufs * a_stage(p) + kBn); }
  // Loader registers: 16 floats per item and register stage, (ck/4) * patch rows * column groups items over 128
  // threads.
  int64_t staging_regs(const Problem& p) const {
    return depth * 16 * ((ck / 4 * (th + p.R - 1) * ncg(p) + 127) / 128);
  }
  int64_t kblocks(const Problem& p) const { return (p.K + kBn - 1) / kBn; }
  int64_t tiles(const Problem& p) const { return (p.P() + th - 1) / th * ((p.Q() + tw - 1) / tw) * p.N; }
  int64_t accumulators() const { return th * tw / 2 * (epi ? 2 : 1); }
};

class WgmmaInstance : public Instance {
 public:
  WgmmaInstance(const Problem& p, const WgTile& t, std::vector<LoadedKernel> k, const DeviceInfo& d)
      : p_(p), t_(t), prep_(k.at(0)), main_(k.at(1)) {
    const auto fn = reinterpret_cast<const void*>(main_.handle);
    const int smem = int(t_.smem_bytes(p_));
    CUDA_CHECK(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm_, fn, int(t_.threads()), size_t(smem)));
    if (per_sm_ < 1) throw UsageError("fused.wgmma: the kernel does not fit an SM (registers or shared memory)");
    const int64_t kb = t_.kblocks(p_);
    const int64_t want =
        std::min<int64_t>(int64_t(per_sm_) * d.sm_count, (t_.tiles(p_) + t_.groups - 1) / t_.groups * kb);
    ctas_ = std::max<int64_t>(kb, want / kb * kb);
  }
  size_t workspace_bytes() const override { return size_t(t_.kblocks(p_) * t_.w_floats(p_)) * 4; }
  void launch(const Buffers& b, cudaStream_t s) override {
    float* wt = static_cast<float*>(b.workspace);
    const float* w = b.w;
    int K = int(p_.K), C = int(p_.C), kb = int(t_.kblocks(p_));
    const int64_t n = t_.kblocks(p_) * t_.w_floats(p_);
    convmish::launch(prep_, dim3(unsigned((n + 255) / 256)), dim3(256), 0, s, w, wt, K, C, kb);
    ConvMishArgs a = p_.args(b.x, b.w, b.b, b.y);
    const float* cwt = wt;
    convmish::launch(main_, dim3(unsigned(ctas_)), dim3(unsigned(t_.threads())), size_t(t_.smem_bytes(p_)), s, a,
                     cwt, kb);
  }
  nlohmann::json details() const override {
    return {{"grid", ctas_},           {"block", t_.threads()},   {"smem_bytes", t_.smem_bytes(p_)},
            {"ctas_per_sm", per_sm_},  {"tiles", t_.tiles(p_)},   {"kblocks", t_.kblocks(p_)},
            {"wgmma", "m64n" + std::to_string(t_.tw) + "k8 x " + std::to_string(t_.th) + " row(s)"},
            {"accumulators_per_thread", t_.accumulators()}};
  }

 private:
  Problem p_;
  WgTile t_;
  LoadedKernel prep_, main_;
  int per_sm_ = 0;
  int64_t ctas_ = 0;
};

class FusedWgmmaTf32 : public Variant {
 public:
  FusedWgmmaTf32() {
    space_.add("tw", {128, 64}, "output columns per tile = the wgmma N (64 or 128)")
        .add("th", {1, 2}, "output rows per tile (one wgmma per row and tap)")
        .add("ck", {8, 16}, "input channels per pipeline stage")
        .add("groups", {3, 2, 4, 1},
             "warpgroups per CTA, each on its own tiles (one's loads and epilogue overlap another's MMAs)")
        .add("depth", {1, 2}, "register stages of the input loader: its loads run this many stages ahead")
        .add("bufs", {2, 3}, "input patch buffers per warpgroup (3: MMAs of one stage stay queued across stages)")
        .add("epi", {0, 1}, "1: the epilogue of a tile runs in slices while the next tile's wgmmas are in flight")
        .add("form", {2, 3, 1}, "Mish form in the epilogue: 0 precise, 1 oneexp, 2 fast, 3 tanh_approx");
    space_.require("accumulators (th*tw/2, twice with epi) at most 128 per thread",
                   [](const Config& c) { return WgTile(c).accumulators() <= 128; });
  }
  std::string id() const override { return "fused.wgmma_tf32"; }
  std::string description() const override {
    return "implicit GEMM on Hopper wgmma TF32 (sm_90a), resident weights, channels-inner input patches transposed "
           "in registers, persistent CTAs, several warpgroups on their own tiles, bias + Mish epilogue";
  }
  std::string precision(const Config&) const override { return "tf32"; }
  const ParamSpace& space() const override { return space_; }
  Support supports(const Problem& p, const Config& c, const DeviceInfo& d) const override {
    if (d.cc_major != 9 || d.cc_minor != 0)
      return Support::no("wgmma needs sm_90a (compute capability 9.0); this GPU is " + std::to_string(d.cc_major) +
                         "." + std::to_string(d.cc_minor));
    if (p.stride != 1) return Support::no("stride " + std::to_string(p.stride) + ": the wgmma variant needs stride 1 " +
                                          "(a tap's pixels must be consecutive 16-byte rows of the patch)");
    const WgTile t(c);
    const int64_t smem = t.smem_bytes(p);
    if (smem > int64_t(d.smem_per_block_optin))
      return Support::no("shared memory " + std::to_string(smem) + " B (resident weights " +
                         std::to_string(4 * t.w_floats(p)) + " B + input stages) exceeds the device's " +
                         std::to_string(d.smem_per_block_optin) + " B per block");
    // Calibrated on ptxas -v (sm_90a): accumulators, loader staging and ~40 for addresses, indices and Mish.
    const int64_t regs = t.accumulators() + t.staging_regs(p) + 40, cap = std::min<int64_t>(255, 65536 / t.threads());
    if (regs > cap)
      return Support::no("registers: about " + std::to_string(regs) + " per thread (accumulators " +
                         std::to_string(t.accumulators()) + ", loader " + std::to_string(t.staging_regs(p)) +
                         "), at most " + std::to_string(cap) + " with " + std::to_string(t.threads()) + " threads");
    if (t.tiles(p) > 0x7fffffffLL || t.kblocks(p) * t.w_floats(p) > 0x7fffffffLL)
      return Support::no("problem too large");
    return Support::yes();
  }
  std::vector<KernelSpec> kernels(const Problem& p, const Config& c) const override {
    const WgTile t(c);
    auto s = [](int64_t v) { return std::to_string(v); };
    std::vector<std::pair<std::string, std::string>> defs = {
        {"KR", s(p.R)},          {"KS", s(p.S)},          {"PAD", s(p.pad)},     {"CPAD", s(t.cpad(p))},
        {"BN", s(kBn)},          {"TH", s(t.th)},         {"TW", s(t.tw)},       {"CK", s(t.ck)},
        {"GROUPS", s(t.groups)}, {"EPI", s(t.epi)},       {"DEPTH", s(t.depth)}, {"NBUF", s(t.bufs)},
        {"MISH_FORM", s(c.at("form"))}, {"MISH_COUNT", s(p.mish_count)},
        {"VEC", p.W % 4 == 0 && p.pad % 4 == 0 ? "1" : "0"}};
    KernelSpec prep{"conv_wgmma.cu", "wgmma_weights", defs};
    KernelSpec main{"conv_wgmma.cu", "conv_wgmma", defs};
    prep.arch_specific = main.arch_specific = true;
    return {prep, main};
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv& env) const override {
    return std::make_unique<WgmmaInstance>(p, WgTile(c), std::move(k), env.device);
  }

 private:
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(FusedWgmmaTf32);
}  // namespace convmish
