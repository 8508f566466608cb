// fused.igemm_tf32, fused.igemm_3xtf32 and fused.igemm_tf32f16: implicit-GEMM convolution on tensor cores (mma.sync
// m16n8k8) fused with bias + Mish (kernels/conv_igemm_mma.cu). TF32 rounds both operands (tf32 class); 3xTF32 splits
// each into a TF32 big and small part and accumulates big*big + big*small + small*big (fp32 class with an accurate
// Mish form); tf32f16 takes the two cross terms in one f16 MMA. The same kernel on Hopper's wgmma: fused.wgmma_rs_*.
// Launch: a tiny pass arranges the weights in the workspace in the kernel's shared layout ([K/bn][R*S][bn][channels],
// or with bfrag:1 in mma fragment order), then the fused kernel runs persistent CTAs (as many as fit at once), each
// with one channel block's weights resident in shared memory.
#include <algorithm>

#include "mish.cuh"
#include "variants/persistent_instance.hpp"

namespace convmish {
namespace {

struct Tile {
  int64_t th = 0, tw = 0, bn = 0, ck = 0, wm = 0, wn = 0, stages = 0, unroll = 0, groups = 0, bfrag = 0;
  bool is_wgmma = false;
  bool tma = false;    // tma:1 where W % 4 == 0: input patches by TMA boxes, channel planes dense
  int64_t wparts = 1;  // 3xTF32 on wgmma, or with wpre:1, keeps the weights' big and small parts resident
  bool f16_cross = false;  // fused.wgmma_rs_tf32f16: the cross terms in an f16 wgmma (k16)
  int64_t mcast = 1;        // fused.wgmma_rs_*: CTAs per cluster sharing each TMA box (1 where they cannot)
  bool tstore = false;      // fused.wgmma_rs_* tstore:1 where it runs: outputs by TMA store boxes
  Tile() = default;
  // fused.igemm_*; with the problem, tma follows W as in Tile::wgmma.
  explicit Tile(const Config& c, const Problem* p = nullptr)
      : th(c.at("th")), tw(c.at("tw")), bn(c.at("bn")), ck(c.at("ck")), wm(c.at("wm")), wn(c.at("wn")),
        stages(c.at("stages")), unroll(c.at("unroll")), groups(c.at("groups")), bfrag(c.at("bfrag")),
        tma(c.at("tma") != 0 && (!p || p->W % 4 == 0)), wparts(c.count("wpre") && c.at("wpre") ? 2 : 1) {}
  // fused.wgmma_rs_*: one warpgroup (4 warps along the pixels) per group, 64-pixel tile rows. tma:1 loads by TMA
  // where the problem allows it (W % 4 == 0: a tensor map's strides are multiples of 16 bytes), else by cp.async.
  static Tile wgmma(const Config& c, bool threex, const Problem* p = nullptr) {
    Tile t;
    t.th = c.at("th"), t.tw = 64, t.bn = c.at("bn"), t.ck = c.at("ck"), t.wm = 4, t.wn = 1;
    t.stages = c.at("stages"), t.unroll = 1, t.groups = c.at("groups"), t.bfrag = 0, t.is_wgmma = true;
    t.wparts = threex ? 2 : 1;
    t.tma = c.at("tma") != 0 && (!p || p->W % 4 == 0);
    t.mcast = c.at("mcast");
    if (p && (!t.tma || t.kblocks(*p) % t.mcast != 0)) t.mcast = 1;  // the kernel's MC: whole clusters of TMA users
    // TSTORE: with TMA input boxes (the kernel's TSTORE path is written for them), whole 64-pixel boxes within a
    // row (Q >= 64), and every row starting on 16 bytes (Q % 4 == 0): a TMA store whose first element is not
    // 16-byte aligned in global memory faults (cudaErrorIllegalInstruction on the H100 with the seed's Q = 254)
    t.tstore = c.at("tstore") != 0 && t.tma && (!p || (p->Q() >= 64 && p->Q() % 4 == 0));
    return t;
  }
  int64_t threads() const { return groups * wm * wn * 32; }
  int64_t mi() const { return th * tw / wm / 16; }
  int64_t ni() const { return bn / wn / 8; }
  // Mirrors of the kernel's macros (kernels/conv_igemm_mma.cu).
  int64_t cpad(const Problem& p) const { return (p.C + ck - 1) / ck * ck; }
  // (Tile::wgmma sets wm = 4, wn = 1 and tw = 64, and the kernel's WGMMA keeps the weight rows unpadded.)
  int64_t cps(const Problem& p) const { return cpad(p) % 32 == 16 && !bfrag && !is_wgmma ? cpad(p) + 8 : cpad(p); }
  int64_t b_floats(const Problem& p) const { return p.R * p.S * bn * cps(p) * wparts; }
  int64_t ph(const Problem& p) const { return (th - 1) * p.stride + p.R; }
  int64_t pws(const Problem& p) const {
    const int64_t sh = p.pad % 4 == 0 ? 0 : 4 - p.pad % 4;
    return (sh + (tw - 1) * p.stride + p.S + 3) / 4 * 4;
  }
  int64_t csa(const Problem& p) const {
    const int64_t plane = ph(p) * pws(p);
    return tma ? plane : plane + ((4 - plane % 16) + 16) % 16;
  }
  // Shared memory per CTA: resident weights, `stages` input patches per warp group, the bias, and with TMA one
  // 8-byte mbarrier per stage and group (clusters: two).
  int64_t smem_bytes(const Problem& p) const {
    return 4 * (b_floats(p) + groups * stages * ck * csa(p) + bn) + (tma ? 8 * groups * stages * (mcast > 1 ? 2 : 1) : 0);
  }
  int64_t kblocks(const Problem& p) const { return (p.K + bn - 1) / bn; }
  int64_t tiles(const Problem& p) const { return (p.P() + th - 1) / th * ((p.Q() + tw - 1) / tw) * p.N; }
  int64_t weight_floats(const Problem& p) const { return kblocks(p) * b_floats(p); }
  // The shared memory and index ranges of the kernel, on device d.
  Support fits(const Problem& p, const DeviceInfo& d) const {
    const int64_t smem = smem_bytes(p);
    if (smem > int64_t(d.smem_per_block_optin))
      return Support::no("shared memory " + std::to_string(smem) + " B (resident weights " +
                         std::to_string(4 * b_floats(p)) + " B + input stages) exceeds the device's " +
                         std::to_string(d.smem_per_block_optin) + " B per block");
    if (tiles(p) > 0x7fffffffLL || weight_floats(p) > 0x7fffffffLL) return Support::no("problem too large");
    return Support::yes();
  }
};

// TF32 rounds the operands (tf32 class); 3xTF32 is fp32-accurate, in the fp32 class with an accurate Mish form.
std::string tensor_core_precision(bool threex, const Config& c) {
  if (!threex) return "tf32";
  return cm::mish_form_is_fp32(int(c.at("form"))) ? "fp32" : "fp32_fastmath";
}

class IgemmInstance : public PersistentInstance {
 public:
  IgemmInstance(const Problem& p, const Tile& t, std::vector<LoadedKernel> k, const DeviceInfo& d)
      : PersistentInstance(p, shape(p, t), std::move(k), d, t.is_wgmma ? "fused.wgmma_rs" : "fused.igemm"),
        t_(t) {}
  nlohmann::json details() const override {
    nlohmann::json j = launch_details();
    if (t_.is_wgmma)
      j["wgmma"] = "m64n" + std::to_string(t_.bn) + "k8" +
                   (t_.f16_cross ? " TF32 + m64n" + std::to_string(t_.bn) + "k16 f16" : std::string()) + " x " +
                   std::to_string(t_.th) + " row(s), A from registers";
    else
      j["warp_tile"] = std::to_string(t_.mi() * 16) + "x" + std::to_string(t_.ni() * 8);
    j["accumulators_per_thread"] = t_.mi() * t_.ni() * 4;
    return j;
  }

 private:
  static PersistentShape shape(const Problem& p, const Tile& t) {
    PersistentShape s{t.threads(), t.smem_bytes(p), t.groups, t.kblocks(p), t.tiles(p), t.weight_floats(p)};
    if (t.tma) s.input_box = {uint32_t(t.pws(p)), uint32_t(t.ph(p)), uint32_t(t.ck)};
    if (t.tstore) s.output_box = {32, 8};  // (kernels/conv_igemm_mma.cu: two per staging unit)
    s.cluster = t.mcast;
    return s;
  }
  Tile t_;
};

// fused.igemm_tf32f16 (kF16Cross): 3xTF32 with both cross terms in one mma.sync m16n8k16 f16 instead of two TF32
// m16n8k8 ones (kernel XF16=1), as fused.wgmma_rs_tf32f16 does on wgmma; the same range (see there).
template <bool kThreeX, bool kF16Cross = false>
class FusedIgemm : public Variant {
 public:
  FusedIgemm() {
    // The first values make the default: the fastest configuration of each measured on the H100 (seed, 2026-12-05,
    // results/h100/2026-12-05_3f46d83* and _7d92a32): TF32 3.255-3.451 ms over four calls, 3xTF32 8.633 ms in the
    // fp32 class; neither uses local memory. Then with TMA input loads (H100, 2026-12-06,
    // results/h100/2026-12-06_cbb89a4-igemm-tma, --repeat 2): TF32 with tma:1 and order:2 3.123 / 3.171 ms against
    // 3.433 / 3.460 for the old default (tma:1 alone 3.387 / 3.381), 3xTF32 with tma:1 8.411 / 8.438 against 8.648 /
    // 8.778; then 3xTF32 with two groups of 64x32 warp tiles (bn 32, wn 1) and turns (order 2) beside it, faster in
    // three rounds of two calls: 8.626 / 8.505 against 8.686 / 8.752 and 8.284 against 8.390 ms
    // (results/h100/2026-12-06_c3e4335-igemm-defaults). On GPUs before sm_90 tma:1 is declined with the reason;
    // tma:0 runs there. fused.igemm_tf32f16 (f16 cross terms): one group of 64x64-channel tiles (bn 64, wn 2, no turns)
    // beat 3xTF32's default in two calls, 7.619 / 7.677 / 7.673 ms against 8.086 / 8.285 / 8.304 (H100, 2026-12-06,
    // results/h100/2026-12-06_0b9344f-igemm-tf32f16 and _2a92703-fadds).
    auto pick = [](std::vector<int64_t> tf32, std::vector<int64_t> threex, std::vector<int64_t> f16 = {}) {
      return kF16Cross && !f16.empty() ? f16 : kThreeX ? threex : tf32;
    };
    space_.add("th", pick({4, 8, 16, 32}, {8, 4, 16, 32}), "output rows per tile")
        .add("tw", pick({64, 32, 16}, {32, 64, 16}), "output columns per tile (multiple of 16)")
        .add("bn", pick({64, 32, 128}, {32, 64, 128}, {64, 32, 128}),
             "output channels per CTA (their weights stay in shared memory)")
        .add("ck", pick({8, 16}, {16, 8}), "input channels per pipeline stage")
        .add("wm", {4, 8, 2}, "warps along the pixels")
        .add("wn", pick({1, 2}, {1, 2}, {2, 1}), "warps along the output channels")
        .add("stages", pick({3, 2, 4}, {2, 3, 4}), "input pipeline depth (patches in flight)")
        .add("unroll", {1, 0}, "1: unroll the R*S taps (fewer index operations, more registers)")
        .add("groups", pick({2, 1}, {2, 1}, {1, 2}),
             "warp groups per CTA, each on its own tiles (one's epilogue overlaps another's MMAs)")
        .add("stagger", {0, 1}, "1: the second warp group starts half a tile late, so that the groups' epilogues alternate")
        .add("order", pick({2, 0}, {2, 0}, {0, 2}),
             "2: the two warp groups take turns at their epilogues (each tile's, not only the first); 0 none")
        .add("pairs", {0, 1}, "fragment rows g, g+8 are pixels 8 apart (0: 32-bit loads on every tap) or adjacent (1: "
                              "64-bit loads on even taps, rebuilt fragments on odd ones)")
        .add("epi", {1, 0}, "epilogue stores: 1 predicated (one block, interleaved), 0 a branch around each pair")
        .add("bfrag", {1, 0}, "1: weights in fragment order, one 128-bit load per two n fragments (0: a 64-bit load each)")
        .add("tma", {1, 0},
             "input patches: 1 one TMA box per stage (sm_90; one thread issues it, completion on an mbarrier) where "
             "W % 4 == 0, else as 0: 16-byte cp.async by every thread (details.tma_input_box says which ran); "
             "before sm_90 only 0 runs");
    if (!kThreeX) space_.add("round", {0, 1}, "0: let the tensor core truncate the input to TF32, 1: round it to nearest");
    if (kThreeX)
      space_.add("fold", {2, 1, 0},
                 "IEEE add of the tensor core's sums into the accumulators after each 8-channel step (0), tap (1) or "
                 "filter row (2): the tensor core's own adds round toward zero");
    if (kThreeX)
      space_.add("split", {1, 0}, "operand split x = big + small: 1 big truncated (fewer instructions), 0 big rounded to nearest");
    if (kThreeX)
      space_.add("wpre", {0, 1},
                 "1: the weights' big and small parts both resident in shared memory (split once, before the kernel; "
                 "twice the weights' shared memory), 0: split in registers at every use");
    space_.add("form", pick({2, 3, 1, 4}, {4, 1, 0, 2}),
               "Mish form in the epilogue: 0 precise, 1 oneexp, 2 fast, 3 tanh_approx, 4 fast_accurate");
    space_.require("th*tw divisible by 16*wm",
                   [](const Config& c) { return c.at("th") * c.at("tw") % (16 * c.at("wm")) == 0; })
        .require("bn divisible by 8*wn", [](const Config& c) { return c.at("bn") % (8 * c.at("wn")) == 0; })
        .require("stagger:1 needs groups > 1 (it delays the second group)",
                 [](const Config& c) { return c.at("stagger") == 0 || c.at("groups") > 1; })
        .require("order:2 needs groups 2 (turns between two warp groups)",
                 [](const Config& c) { return c.at("order") == 0 || c.at("groups") == 2; })
        .require("wpre:1 needs bfrag:1 (the parts are stored in fragment order)",
                 [](const Config& c) { return !c.count("wpre") || c.at("wpre") == 0 || c.at("bfrag") == 1; })
        .require("bfrag:1 needs bn divisible by 16*wn",
                 [](const Config& c) { return c.at("bfrag") == 0 || c.at("bn") % (16 * c.at("wn")) == 0; })
        .require("warp tile at most 128x64 (mi <= 8, ni <= 8)",
                 [](const Config& c) { return Tile(c).mi() <= 8 && Tile(c).ni() <= 8; })
        .require("64 <= threads (groups*wm*wn*32) <= 512", [](const Config& c) {
          const int64_t th = Tile(c).threads();
          return th >= 64 && th <= 512;
        })
        .require("accumulators + fragments fit the register cap min(255, 65536/threads)", [](const Config& c) {
          // Estimate calibrated on ptxas -v (sm_90, 256 threads): accumulators, A and B fragments (3xTF32 holds
          // big and small parts and the fp32 values they come from), ~40 for addresses and indices.
          const Tile t(c);
          const int64_t frag = t.mi() * 4 + t.ni() * 2;
          // With fold > 0 the tensor core's partial sums are a second accumulator set.
          const int64_t acc = t.mi() * t.ni() * 4, fold = kThreeX ? c.at("fold") : 0;
          const int64_t need = acc * (fold > 0 ? 2 : 1) + (kThreeX ? 3 * frag + 48 : frag + 40);
          return need <= std::min<int64_t>(255, 65536 / t.threads());
        });
  }
  std::string id() const override {
    return kF16Cross ? "fused.igemm_tf32f16" : kThreeX ? "fused.igemm_3xtf32" : "fused.igemm_tf32";
  }
  std::string description() const override {
    if (kF16Cross)
      return "implicit GEMM on mma.sync, TF32 big x big + f16 cross terms (fp32-accurate for inputs of typical "
             "magnitude 6e-5 to 65504), "
             "resident weights, persistent CTAs, cp.async (tma:1: TMA) input pipeline, bias + Mish epilogue";
    return kThreeX ? "implicit GEMM on mma.sync, 3xTF32 (fp32-accurate), resident weights, persistent CTAs, "
                     "cp.async (tma:1: TMA) input pipeline, bias + Mish epilogue"
                   : "implicit GEMM on mma.sync TF32, resident weights, persistent CTAs, cp.async (tma:1: TMA) input "
                     "pipeline, bias + Mish epilogue";
  }
  std::optional<Ceiling> ceiling(const Config&, const DeviceInfo& d) const override {
    if (d.cc_major != 9) return std::nullopt;  // the mma.sync rate was measured on an H100 only
    if (kF16Cross)  // a TF32 m16n8k8 and an f16 m16n8k16 (taken to run at twice TF32's rate) per multiply-add
      return Ceiling{"mma.sync TF32 + f16 cross terms", kMmaSyncTf32FlopsPerClkPerSm / 2};
    return kThreeX ? Ceiling{"mma.sync 3xTF32", kMmaSyncTf32FlopsPerClkPerSm / 3}  // three MMAs a multiply-add
                   : Ceiling{"mma.sync TF32", kMmaSyncTf32FlopsPerClkPerSm};
  }
  std::string precision(const Config& c) const override { return tensor_core_precision(kThreeX, c); }
  const ParamSpace& space() const override { return space_; }
  Support supports(const Problem& p, const Config& c, const DeviceInfo& d) const override {
    if (d.cc_major < 8) return Support::no("mma.sync TF32 needs compute capability 8.0 or newer");
    if (c.at("tma") != 0 && d.cc_major < 9)
      return Support::no("tma:1 needs the tensor memory accelerator (compute capability 9.0 or newer); tma:0 loads "
                         "by cp.async");
    const Tile t(c, &p);
    return t.fits(p, d);
  }
  Config runs_as(const Problem& p, const Config& c) const override {
    Config r = c;
    r["tma"] = Tile(c, &p).tma;
    return r;
  }
  std::vector<KernelSpec> kernels(const Problem& p, const Config& c) const override {
    const Tile t(c, &p);
    std::vector<std::pair<std::string, std::string>> defs = {
        {"KR", std::to_string(p.R)}, {"KS", std::to_string(p.S)}, {"STRIDE", std::to_string(p.stride)},
        {"PAD", std::to_string(p.pad)}, {"CPAD", std::to_string(t.cpad(p))}, {"VEC", p.W % 4 == 0 ? "1" : "0"},
        {"THREEX", kThreeX ? "1" : "0"}, {"MISH_COUNT", std::to_string(p.mish_count)}};
    for (const char* name :
         {"th", "tw", "bn", "ck", "wm", "wn", "stages", "groups", "stagger", "order", "pairs", "bfrag"}) {
      std::string up = name;
      for (char& ch : up) ch = char(std::toupper(static_cast<unsigned char>(ch)));
      defs.emplace_back(up, std::to_string(c.at(name)));
    }
    defs.emplace_back("MISH_FORM", std::to_string(c.at("form")));
    defs.emplace_back("EPI_PRED", std::to_string(c.at("epi")));
    defs.emplace_back("UNROLL_TAPS", std::to_string(c.at("unroll")));
    defs.emplace_back("ROUND_A", kThreeX ? "1" : std::to_string(c.at("round")));
    defs.emplace_back("FOLD", kThreeX ? std::to_string(c.at("fold")) : "0");
    defs.emplace_back("SPLIT", kThreeX ? std::to_string(c.at("split")) : "0");
    defs.emplace_back("TMA", t.tma ? "1" : "0");
    defs.emplace_back("XF16", kF16Cross ? "1" : "0");
    defs.emplace_back("WPRE", kThreeX ? std::to_string(c.at("wpre")) : "0");
    return {KernelSpec{"conv_igemm_mma.cu", "igemm_weights", defs},
            KernelSpec{"conv_igemm_mma.cu", "conv_igemm_mma", defs}};
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv& env) const override {
    return std::make_unique<IgemmInstance>(p, Tile(c, &p), std::move(k), env.device);
  }

 private:
  ParamSpace space_;
};

// fused.wgmma_rs_tf32 and fused.wgmma_rs_3xtf32: the same implicit GEMM, loader and epilogue on Hopper's warpgroup
// MMA (kernel WGMMA=1): wgmma.mma_async m64nBNk8 TF32 with the A operand (64 pixels of a tile row x 8 channels) from
// registers, loaded from the NCHW patch as for mma.sync, and B (the resident weights) read by the tensor core from
// shared memory. 3xTF32 keeps the weights' big and small parts resident, splits A in registers, issues three
// wgmmas per product and adds the tensor core's sums into IEEE fp32 accumulators after at most 27 of its own adds.
// fused.wgmma_rs_tf32f16 (kF16Cross, kernel XF16=1) is 3xTF32 with its two cross terms, a_big w_small + a_small
// w_big, in one f16 wgmma m64nBNk16 instead of two TF32 ones: f16 has TF32's 11-bit significand, so each small term
// is rounded as in 3xTF32, and the k16 instruction costs what one TF32 k8 does; two wgmmas per product instead of
// three. f16's narrower exponent range is met by scaling (exact powers of two, see XB in the kernel): full fp32
// accuracy for inputs of typical magnitude 2^-14 to 65504 and weights of about 2^-20 to 2^9 (a few smaller values
// cost nothing measurable). Beyond, the f16 operands saturate and those terms' cross products fall to TF32 accuracy;
// never Inf or NaN from the split.
template <bool kThreeX, bool kF16Cross = false>
class FusedWgmmaRs : public Variant {
 public:
  FusedWgmmaRs() {
    // The first values make the default, the fastest measured on the H100 (seed, 2026-12-05, session 5 calls 3-5:
    // th 4 and 2 warpgroups well ahead, then nf 4 with la 2, wide 0, form 2; round 1 for accuracy at the same speed).
    // 3xTF32: bn 32, the widest whose two weight parts fit the seed's shared memory; nf 4 with order 2 (turns at the
    // epilogues): 6.423-6.471 ms against 6.759-6.801 ms for nf 3 with order 0 in three rounds of one run (H200,
    // 2026-12-05, results/h200/2026-12-05_6210252/ab_3x_b.json; nf 4 alone 6.544-6.563, order 2 alone 6.614-6.639).
    // TF32 kept order 0 with cp.async loads: order 1 took 2.79 ms and order 2 2.66-2.68 against 2.64-2.65
    // (ab_tf32.json). With TMA loads (tma:1, H100, 2026-12-06, results/h100/2026-12-06_6b22425-tma-defaults) order 2
    // wins for TF32 too: 2.422 / 2.384 ms against 2.458 / 2.461 for order 0 and 2.653 / 2.632 for tma:0; 3xTF32 with
    // tma:1 5.905 against 6.596 ms for tma:0 (one round; 5.995 / 5.951 against 6.574 / 6.536 in the call before).
    // 3xTF32 sums:2 needs th 3 and took 6.077 / 6.129 ms against the default's 5.997 / 6.046 (sums:1 at th 3: 6.251 /
    // 6.247; H100, 2026-12-06, results/h100/2026-12-06_7f4a6f3-sums). mcast (clusters sharing the TMA boxes) stays 1:
    // pairs took 6.085 / 6.139 ms for 3xTF32 against 6.079 / 6.177, 2.452 / 2.460 for TF32 against 2.403 / 2.420 and
    // 5.415 / 5.415 for tf32f16 against 5.238 / 5.240; clusters of 4 were 7-9 % slower (30 fit at once: 120 CTAs on
    // 132 SMs). H100, 2026-12-06, results/h100/2026-12-06_824dbfb-mcast. tstore (TMA store boxes) stays 0: it cannot
    // run on the seed (Q 254), and on its padded twin (Q 256) it took 2.950 / 2.934 ms for TF32 against 2.380 / 2.354,
    // 6.174 / 6.263 for 3xTF32 against 6.061 / 6.170 and 5.547 / 5.594 for tf32f16 against 5.235 / 5.259 (H100,
    // 2026-12-06, results/h100/2026-12-06_76b2f79-tstore/call2_76b2f79). 3xTF32 takes 2 input stages instead of 3:
    // 5.461 / 5.412 and 5.450 / 5.428 ms against 5.697 / 5.673 and 5.667 / 5.666 in two calls on one H100 (2026-12-07,
    // results/h100/2026-12-07_6684679-floor-stages), as on an H200 the day before (5.586 / 5.663 against 5.797 /
    // 5.711); tf32f16 keeps 3 (4.767 / 4.825 ms against 4.965 / 4.967 for 2, in the second call).
    auto pick = [](std::vector<int64_t> tf32, std::vector<int64_t> threex) { return kThreeX ? threex : tf32; };
    space_.add("th", {4, 2, 3}, "output rows per tile (64 pixels each, one wgmma per row, tap and 8 channels)")
        .add("bn", pick({64, 32}, {32, 64}),
             "output channels per CTA = the wgmma N (their weights stay in shared memory)")
        .add("ck", {8, 16}, "input channels per pipeline stage")
        .add("stages", kThreeX && !kF16Cross ? std::vector<int64_t>{2, 3, 4} : std::vector<int64_t>{3, 2, 4},
             "input pipeline depth (patches in flight)")
        .add("groups", {2, 1, 3}, "warpgroups per CTA, each on its own tiles (one's epilogue overlaps another's MMAs)")
        .add("nf", {4, 3, 2, 6},
             "A fragment register sets in rotation: wgmmas of up to nf-la-1 input rows stay queued")
        .add("la", {2, 1, 0}, "steps (input rows) by which the A fragment loads run ahead of their wgmmas")
        .add("wide", {0, 1}, "1: a step loads an input row's A fragments for every tap column (up to R*S wgmmas a "
                             "step), 0: for one tap column (up to R)")
        .add("epi", {1, 0}, "epilogue stores: 1 predicated (one block, interleaved), 0 a branch around each pair")
        .add("order", {2, 0, 1},
             "turns between the two warpgroups: 1 at issuing a tile's wgmmas, so that one's epilogue runs beside the "
             "other's MMAs (ping-pong); 2 at the epilogue only (the MMAs overlap, the epilogues alternate); 0 none");
    if (kThreeX)
      space_.add("split", {1, 0},
                 "operand split x = big + small: 1 big truncated (fewer instructions), 0 big rounded to nearest");
    if (kThreeX)
      space_.add("fadds", {27, 36, 54},
                 "the most tensor-core adds (which round toward zero) into a sum before its IEEE add into the "
                 "accumulators: fewer waits for the wgmmas with more, and more error (the fp32 class was measured "
                 "with 27)");
    if (kThreeX && !kF16Cross)
      space_.add("sums", {1, 2},
               "tensor-core sum sets per row: 1 all three products' (an IEEE fold every 27 of their adds), 2 the "
               "small terms' apart (folds every 27 adds of the big product alone, fewer folds, more registers)");
    if (!kThreeX)
      space_.add("round", {1, 0}, "0: let the tensor core truncate the input to TF32, 1: round it to nearest");
    space_.add("tma", {1, 0},
               "input patches: 1 one TMA box per stage (one thread issues it, completion on an mbarrier) where W % 4 "
               "== 0, else as 0: 16-byte cp.async by every thread (details.tma_input_box says which ran)");
    space_.add("mcast", {1, 2, 4},
               "with tma:1, clusters of this many CTAs on consecutive channel blocks of the same tiles: one CTA loads "
               "each input box and multicasts it to all (input read from L2 once per cluster); used where it divides "
               "the channel blocks, else 1 (details.cluster says which ran)");
    space_.add("tstore", {0, 1},
               "outputs: 1 TMA store boxes (32 pixels x 8 channels, staged in shared memory) where tma:1 runs, Q >= "
               "64 and Q % 4 == 0 (rows start on 16 bytes; not the seed's Q = 254), else as 0: each thread's stores "
               "from its accumulators (details.tma_output_box says which ran)");
    space_.add("form", pick({2, 4, 3, 1}, {4, 1, 0, 2}),
               "Mish form in the epilogue: 0 precise, 1 oneexp, 2 fast, 3 tanh_approx, 4 fast_accurate");
    space_.add("ugrp", {1, 0},
               "1: the warpgroup index broadcast from lane 0, so that the tile and chunk counters and the wgmma "
               "descriptors are warp-uniform (uniform registers; no two R2UR moves per wgmma), 0: each thread's own "
               "threadIdx.x / 128");
    space_.require("tstore:1 needs tma:1 (tile columns start anywhere)",
                   [](const Config& c) { return c.at("tstore") == 0 || c.at("tma") == 1; });
    space_.require("mcast > 1 needs tma:1 (the cluster shares TMA boxes)",
                   [](const Config& c) { return c.at("mcast") == 1 || c.at("tma") == 1; });
    space_.require("la < nf (a fragment set is loaded la steps before its wgmmas and reused nf steps later)",
                   [](const Config& c) { return c.at("la") < c.at("nf"); });
    space_.require("order:1 and order:2 need groups 2 (turns between two warpgroups)",
                   [](const Config& c) { return c.at("order") == 0 || c.at("groups") == 2; });
    space_.require("accumulators and fragments fit the register cap min(255, 65536/threads)", [](const Config& c) {
      // Estimate calibrated on ptxas -v (sm_90a, seed, th 4, 256 threads): accumulators (3xTF32: twice, the chunk's
      // sums beside the IEEE ones), A fragment sets (4*nf registers, 3x with wide, twice with 3xTF32's small parts),
      // and the rest for addresses, indices and the epilogue: ~100 for TF32 (254-255 registers without spills up to
      // nf 6, spills at nf 8 and with wide:1 from nf 3 on), 76 for 3xTF32 (239-241 registers without spills for nf 3
      // to 8, 248 with wide:1 and nf 3, spills with wide:1 and nf 4; NVRTC 13.0). wide counts 3 tap columns: the space
      // cannot see the filter, and wider filters are left to ptxas (spills show in the record).
      const Tile t = Tile::wgmma(c, kThreeX);
      const int64_t x = kThreeX ? 2 : 1, rest = kThreeX ? 76 : 100;
      const int64_t sets = kF16Cross ? 2 : kThreeX ? 1 + c.at("sums") : 1;  // acc and the tensor core's sums
      const int64_t need = sets * t.th * t.bn / 2 + x * 4 * c.at("nf") * (c.at("wide") ? 3 : 1) + rest;
      return need <= std::min<int64_t>(255, 65536 / t.threads());
    });
  }
  std::string id() const override {
    return kF16Cross ? "fused.wgmma_rs_tf32f16" : kThreeX ? "fused.wgmma_rs_3xtf32" : "fused.wgmma_rs_tf32";
  }
  std::string description() const override {
    return std::string("implicit GEMM on Hopper wgmma ") +
           (kF16Cross ? "TF32 big x big + f16 cross terms, fp32-accurate for inputs of typical magnitude 6e-5 to 65504"
            : kThreeX ? "3xTF32 (fp32-accurate)"
                      : "TF32") +
           " (sm_90a), A (pixels) from registers loaded from NCHW input patches, B (weights) resident in shared "
           "memory, persistent CTAs, cp.async input pipeline, bias + Mish epilogue";
  }
  std::optional<Ceiling> ceiling(const Config&, const DeviceInfo&) const override {
    if (kF16Cross)  // a TF32 k8 and an f16 k16 wgmma (the same time) per multiply-add
      return Ceiling{"wgmma TF32 + f16 cross terms (dense)", kWgmmaTf32FlopsPerClkPerSm / 2};
    return kThreeX ? Ceiling{"wgmma 3xTF32 (dense)", kWgmmaTf32FlopsPerClkPerSm / 3}  // three wgmmas a multiply-add
                   : Ceiling{"wgmma TF32 (dense)", kWgmmaTf32FlopsPerClkPerSm};
  }
  std::string precision(const Config& c) const override { return tensor_core_precision(kThreeX, c); }
  const ParamSpace& space() const override { return space_; }
  Support supports(const Problem& p, const Config& c, const DeviceInfo& d) const override {
    if (d.cc_major != 9 || d.cc_minor != 0)
      return Support::no("wgmma needs sm_90a (compute capability 9.0); this GPU is " + std::to_string(d.cc_major) +
                         "." + std::to_string(d.cc_minor));
    if (p.stride != 1)
      return Support::no("stride " + std::to_string(p.stride) +
                         ": the wgmma_rs variants need stride 1 (an input row's fragments serve R output rows)");
    const Tile t = Tile::wgmma(c, kThreeX, &p);
    return t.fits(p, d);
  }
  Config runs_as(const Problem& p, const Config& c) const override {
    const Tile t = Tile::wgmma(c, kThreeX, &p);
    Config r = c;
    r["tma"] = t.tma, r["mcast"] = t.mcast, r["tstore"] = t.tstore;
    return r;
  }
  std::vector<KernelSpec> kernels(const Problem& p, const Config& c) const override {
    const Tile t = Tile::wgmma(c, kThreeX, &p);
    auto s = [](int64_t v) { return std::to_string(v); };
    std::vector<std::pair<std::string, std::string>> defs = {
        {"KR", s(p.R)}, {"KS", s(p.S)}, {"STRIDE", "1"}, {"PAD", s(p.pad)}, {"CPAD", s(t.cpad(p))},
        {"VEC", p.W % 4 == 0 ? "1" : "0"}, {"THREEX", kThreeX ? "1" : "0"}, {"MISH_COUNT", s(p.mish_count)},
        {"WGMMA", "1"}, {"TH", s(t.th)}, {"TW", "64"}, {"BN", s(t.bn)}, {"CK", s(t.ck)}, {"WM", "4"}, {"WN", "1"},
        {"STAGES", s(t.stages)}, {"GROUPS", s(t.groups)}, {"STAGGER", "0"}, {"PAIRS", "0"}, {"BFRAG", "0"},
        {"NF", s(c.at("nf"))}, {"LA", s(c.at("la"))}, {"WIDE", s(c.at("wide"))}, {"MISH_FORM", s(c.at("form"))},
        {"EPI_PRED", s(c.at("epi"))}, {"UNROLL_TAPS", "1"}, {"ROUND_A", kThreeX ? "1" : s(c.at("round"))},
        {"FOLD", "0"}, {"SPLIT", kThreeX ? s(c.at("split")) : "0"}, {"ORDER", s(c.at("order"))},
        {"TMA", t.tma ? "1" : "0"}, {"SUMS", kThreeX && !kF16Cross ? s(c.at("sums")) : "1"},
        {"XF16", kF16Cross ? "1" : "0"}, {"FOLD_ADDS", kThreeX ? s(c.at("fadds")) : "27"}, {"MC", s(t.mcast)},
        {"TSTORE", t.tstore ? "1" : "0"}, {"UNIFORM_GRP", s(c.at("ugrp"))}};
    KernelSpec prep{"conv_igemm_mma.cu", "igemm_weights", defs}, main{"conv_igemm_mma.cu", "conv_igemm_mma", defs};
    prep.arch_specific = main.arch_specific = true;
    return {prep, main};
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv& env) const override {
    Tile t = Tile::wgmma(c, kThreeX, &p);
    t.f16_cross = kF16Cross;
    return std::make_unique<IgemmInstance>(p, t, std::move(k), env.device);
  }

 private:
  ParamSpace space_;
};

using FusedIgemmTf32 = FusedIgemm<false>;
using FusedIgemm3xTf32 = FusedIgemm<true>;
using FusedIgemmTf32F16 = FusedIgemm<true, true>;

}  // namespace
CONVMISH_REGISTER_VARIANT(FusedIgemmTf32);
CONVMISH_REGISTER_VARIANT(FusedIgemm3xTf32);
CONVMISH_REGISTER_VARIANT(FusedIgemmTf32F16);
using FusedWgmmaRsTf32 = FusedWgmmaRs<false>;
using FusedWgmmaRs3xTf32 = FusedWgmmaRs<true>;
CONVMISH_REGISTER_VARIANT(FusedWgmmaRsTf32);
CONVMISH_REGISTER_VARIANT(FusedWgmmaRs3xTf32);
using FusedWgmmaRsTf32F16 = FusedWgmmaRs<true, true>;
CONVMISH_REGISTER_VARIANT(FusedWgmmaRsTf32F16);
}  // namespace convmish
