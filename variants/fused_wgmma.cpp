// fused.wgmma_tf32: implicit-GEMM convolution on Hopper's warpgroup MMA (wgmma.mma_async TF32, sm_90a) fused with
// bias + Mish (kernels/conv_wgmma.cu). GEMM M = 64 output channels whose weights stay resident in shared memory,
// N = one output row segment of TW pixels read from a channels-inner input patch, K = C x R x S.
// Launch: a tiny pass arranges the weights as [K/64][R*S][C/4][64][4] in the workspace, then persistent CTAs (one
// per SM: the resident weights take most of the shared memory), each with GROUPS warpgroups on their own tiles.
#include <algorithm>

#include "variants/persistent_instance.hpp"

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

class WgmmaInstance : public PersistentInstance {
 public:
  WgmmaInstance(const Problem& p, const WgTile& t, std::vector<LoadedKernel> k, const DeviceInfo& d)
      : PersistentInstance(p,
                           {t.threads(), t.smem_bytes(p), t.groups, t.kblocks(p), t.tiles(p),
                            t.kblocks(p) * t.w_floats(p)},
                           std::move(k), d, "fused.wgmma"),
        t_(t) {}
  nlohmann::json details() const override {
    nlohmann::json j = launch_details();
    j["wgmma"] = "m64n" + std::to_string(t_.tw) + "k8 x " + std::to_string(t_.th) + " row(s)";
    j["accumulators_per_thread"] = t_.accumulators();
    return j;
  }

 private:
  WgTile t_;
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
        .add("form", {2, 3, 1, 4},
             "Mish form in the epilogue: 0 precise, 1 oneexp, 2 fast, 3 tanh_approx, 4 fast_accurate");
    space_.require("accumulators (th*tw/2, twice with epi) at most 128 per thread",
                   [](const Config& c) { return WgTile(c).accumulators() <= 128; });
  }
  std::string id() const override { return "fused.wgmma_tf32"; }
  std::string description() const override {
    return "implicit GEMM on Hopper wgmma TF32 (sm_90a), resident weights, channels-inner input patches transposed "
           "in registers, persistent CTAs, several warpgroups on their own tiles, bias + Mish epilogue";
  }
  std::optional<Ceiling> ceiling(const Config&, const DeviceInfo&) const override {
    return Ceiling{"wgmma TF32 (dense)", kWgmmaTf32FlopsPerClkPerSm};
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
