// fused.tiled_fp32: shared-memory tiled direct convolution in plain fp32 FFMA (no tensor cores, no TF32) with
// register blocking (RK channels x RH rows x RW columns per thread), cp.async staging STAGES deep, bias + Mish in
// registers and a coalesced store through a shared-memory transpose. R, S, the stride and the Mish count are
// compiled in.
#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "mish.cuh"

#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {
namespace {

// Everything the kernel's shape and shared memory depend on, computed once on the host and passed to the kernel as
// defines (the kernel static_asserts that its layout fits SMEM_FLOATS, so host and device cannot disagree silently).
struct TiledLayout {
  int tile_k, tile_h, tile_w, rk, rw, rh, c_chunk, stages, pipe;
  int r, s, stride;
  int threads = 0;
  int in_rows = 0, in_cols = 0;               // staged input patch (with halo)
  int in_pitch = 0, w_pitch = 0, out_pitch = 0;  // floats per shared-memory row
  int64_t stage_floats = 0, epilogue_floats = 0, smem_floats = 0;
  int reg_estimate = 0;  // accumulators + one tap's operands + ~24 for addresses and indices
  int min_blocks = 1;    // __launch_bounds__ minimum CTAs per SM (targets <= 128 registers when the estimate allows:
                         // every configuration of 64 accumulators; 128 accumulators get up to 255)
  size_t smem_bytes() const { return size_t(smem_floats) * 4; }
};

// Worst bank-conflict degree of the float4 accesses (row(lane) * pitch + col(lane)) of one warp, per quarter-warp
// (a 16-byte access is served 8 lanes at a time); lanes reading the same address count once (broadcast).
template <typename RowCol>
int conflict_degree(int pitch, RowCol row_col) {
  int worst = 0;
  for (int q = 0; q < 4; ++q) {
    int64_t addr[8];
    int distinct = 0;
    for (int l = 8 * q; l < 8 * q + 8; ++l) {
      const auto [row, col] = row_col(l);
      const int64_t a = int64_t(row) * pitch + col;
      if (std::find(addr, addr + distinct, a) == addr + distinct) addr[distinct++] = a;
    }
    int per_bank[32] = {};
    for (int i = 0; i < distinct; ++i)
      for (int b = 0; b < 4; ++b) worst = std::max(worst, ++per_bank[(addr[i] + b) % 32]);
  }
  return worst;
}

// The smallest pitch >= width (a multiple of 4) whose quarter-warp float4 accesses conflict at most `degree` ways,
// else the one with the fewest conflicts.
template <typename RowCol>
int pick_pitch(int width, int degree, RowCol row_col) {
  const int base = (width + 3) / 4 * 4;
  int best = base, best_degree = conflict_degree(base, row_col);
  for (int p = base + 4; p < base + 32 && best_degree > degree; p += 4)
    if (const int d = conflict_degree(p, row_col); d < best_degree) best = p, best_degree = d;
  return best;
}

TiledLayout layout_for(const Problem& p, const Config& c) {
  TiledLayout t{int(c.at("tile_k")), int(c.at("tile_h")), int(c.at("tile_w")), int(c.at("rk")),
                int(c.at("rw")),     int(c.at("rh")),     int(c.at("c_chunk")), int(c.at("stages")),
                int(c.at("pipe")),   int(p.R),            int(p.S),            int(p.stride)};
  const int tpx = t.tile_w / t.rw, tpy = t.tile_h / t.rh;
  t.threads = (t.tile_k / t.rk) * tpy * tpx;
  t.in_rows = (t.tile_h - 1) * t.stride + t.r;
  t.in_cols = (t.tile_w - 1) * t.stride + t.s;
  // The kernel's thread order: px fastest, then py, then the channel group kg.
  auto lane = [&](int l) { return std::array<int, 3>{l % tpx, (l / tpx) % tpy, l / (tpx * tpy)}; };
  t.in_pitch = pick_pitch(t.in_cols, 1, [&](int l) {  // main loop: a thread's input window, conflict-free
    const auto [px, py, kg] = lane(l);
    return std::pair<int, int>{py * t.rh * t.stride, px * 4 * t.stride};
  });
  t.w_pitch = t.tile_k + 4;  // = 4 mod 32 for tile_k a multiple of 32: the staging writes hit 32 distinct banks
  // Epilogue writes (16 float4 per thread per tile): 2-way conflicts tolerated to keep the buffer small.
  t.out_pitch = pick_pitch(t.tile_w, 2, [&](int l) {
    const auto [px, py, kg] = lane(l);
    return std::pair<int, int>{kg * t.rk * t.tile_h + py * t.rh, px * 4};
  });
  t.stage_floats = int64_t(t.c_chunk) * t.in_rows * t.in_pitch + int64_t(t.c_chunk) * t.r * t.s * t.w_pitch;
  t.epilogue_floats = int64_t(t.tile_k) * t.tile_h * t.out_pitch;
  t.smem_floats = std::max(t.stages * t.stage_floats, t.epilogue_floats);
  const int window = 3 * t.stride + t.s;
  t.reg_estimate = t.rk * t.rw * t.rh + t.rk + (t.rw / 4) * window + 24;
  t.min_blocks = t.reg_estimate <= 128 ? std::max(1, 512 / t.threads) : 1;
  return t;
}

class FusedTiledInstance : public Instance {
 public:
  FusedTiledInstance(const Problem& p, const TiledLayout& t, LoadedKernel k) : p_(p), t_(t), k_(std::move(k)) {
    const int64_t k_tiles = (p.K + t.tile_k - 1) / t.tile_k;
    const int64_t tiles = ((p.P() + t.tile_h - 1) / t.tile_h) * ((p.Q() + t.tile_w - 1) / t.tile_w);
    grid_ = dim3(unsigned(k_tiles * tiles), unsigned(std::min<int64_t>(p.N, 65535)), unsigned((p.N + 65534) / 65535));
  }
  void launch(const Buffers& b, cudaStream_t s) override {
    ConvMishArgs a = p_.args(b.x, b.w, b.b, b.y);
    convmish::launch(k_, grid_, dim3(unsigned(t_.threads)), t_.smem_bytes(), s, a);
  }
  nlohmann::json details() const override {
    return {{"grid", {grid_.x, grid_.y, grid_.z}},
            {"block", t_.threads},
            {"smem_bytes", t_.smem_bytes()},
            {"tile", {{"k", t_.tile_k}, {"h", t_.tile_h}, {"w", t_.tile_w}}},
            {"thread_block", {{"k", t_.rk}, {"h", t_.rh}, {"w", t_.rw}}},
            {"c_chunk", t_.c_chunk},
            {"stages", t_.stages},
            {"pipe", t_.pipe},
            {"pitch", {{"in", t_.in_pitch}, {"w", t_.w_pitch}, {"out", t_.out_pitch}}},
            {"min_blocks", t_.min_blocks}};
  }

 private:
  Problem p_;
  TiledLayout t_;
  LoadedKernel k_;
  dim3 grid_;
};

class FusedTiledFp32 : public Variant {
 public:
  FusedTiledFp32() {
    space_.add("tile_k", {64, 128}, "output channels per CTA")
        .add("tile_h", {4, 8, 16}, "output rows per CTA")
        .add("tile_w", {64, 32, 16}, "output columns per CTA")
        .add("rk", {8, 16}, "output channels per thread")
        .add("rw", {4, 8}, "output columns per thread (groups of 4)")
        .add("rh", {2, 1, 4}, "output rows per thread")
        .add("c_chunk", {16, 8, 4}, "input channels staged per step")
        .add("stages", {1, 2, 3}, "staging buffers: 1 no pipelining, 2 double buffer (cp.async), 3 triple")
        .add("pipe", {2, 1, 0},
             "register pipeline of the input window: 0 each channel loads its window then uses it, 1 rolling window "
             "(a row reloads with the next channel after its last tap), 2 rolling with 2 channels per loop iteration")
        .add("form", {CM_MISH_FAST_ACCURATE, CM_MISH_FAST, CM_MISH_ONEEXP, CM_MISH_PRECISE, CM_MISH_TANH_APPROX},
             "Mish form: 0 precise, 1 oneexp, 2 fast, 3 tanh_approx, 4 fast_accurate (forms 0, 1, 4: fp32 class)");
    space_.require("tile_k divisible by rk, tile_h by rh, tile_w by rw", [](const Config& c) {
      return c.at("tile_k") % c.at("rk") == 0 && c.at("tile_h") % c.at("rh") == 0 && c.at("tile_w") % c.at("rw") == 0;
    });
    space_.require("threads (tile_k/rk)*(tile_h/rh)*(tile_w/rw) in 64..1024 and a multiple of 32", [](const Config& c) {
      const int64_t t = threads(c);
      return t >= 64 && t <= 1024 && t % 32 == 0;
    });
    space_.require("rk*rw*rh accumulators per thread: 64 with 256 threads (2 CTAs of 8 warps per SM at <= 128 "
                   "registers) or with 128 threads (up to 4 CTAs of 4 warps, as shared memory allows), or 128 as "
                   "8x4x4 with 128 threads (2 CTAs of 4 warps at <= 255 registers)",
                   [](const Config& c) {
                     const int64_t acc = c.at("rk") * c.at("rw") * c.at("rh");
                     return (acc == 64 && (threads(c) == 256 || threads(c) == 128)) ||
                            (acc == 128 && c.at("rk") == 8 && c.at("rw") == 4 && threads(c) == 128);
                   });
    space_.require("8 <= c_chunk*stages <= 16 (channels in flight)", [](const Config& c) {
      const int64_t f = c.at("c_chunk") * c.at("stages");
      return f >= 8 && f <= 16;
    });
  }
  std::string id() const override { return "fused.tiled_fp32"; }
  std::string description() const override {
    return "smem-tiled direct conv, fp32 FFMA register blocking, cp.async staging, rolling register window, bias + "
           "Mish in registers";
  }
  std::optional<Ceiling> ceiling(const Config&, const DeviceInfo& d) const override {
    return Ceiling{"fp32 FFMA", ffma_flops_per_clk_per_sm(d)};
  }
  std::string precision(const Config& c) const override {
    return cm::mish_form_is_fp32(int(c.at("form"))) ? "fp32" : "fp32_fastmath";
  }
  const ParamSpace& space() const override { return space_; }

  Support supports(const Problem& p, const Config& c, const DeviceInfo& d) const override {
    if (d.cc_major < 8) return Support::no("cp.async needs compute capability 8.0 or newer");
    const TiledLayout t = layout_for(p, c);
    if (d.smem_per_block_optin > 0 && t.smem_bytes() > d.smem_per_block_optin)
      return Support::no("shared memory: " + std::to_string(t.smem_bytes()) + " bytes needed (" +
                         std::to_string(t.stages) + " stages x " + std::to_string(t.stage_floats * 4) +
                         " B, epilogue " + std::to_string(t.epilogue_floats * 4) + " B), the device allows " +
                         std::to_string(d.smem_per_block_optin) + " per block");
    if (t.reg_estimate > 255)
      return Support::no("registers: about " + std::to_string(t.reg_estimate) + " per thread needed, 255 at most");
    if (d.regs_per_sm > 0 && int64_t(t.threads) * t.reg_estimate > d.regs_per_sm)
      return Support::no("registers: " + std::to_string(t.threads) + " threads x ~" + std::to_string(t.reg_estimate) +
                         " exceed the register file (" + std::to_string(d.regs_per_sm) + ")");
    const int64_t k_tiles = (p.K + t.tile_k - 1) / t.tile_k;
    const int64_t tiles = ((p.P() + t.tile_h - 1) / t.tile_h) * ((p.Q() + t.tile_w - 1) / t.tile_w);
    if (double(k_tiles) * double(tiles) > double(std::numeric_limits<int32_t>::max()))
      return Support::no("grid: more than 2^31-1 CTAs along x");
    return Support::yes();
  }

  std::vector<KernelSpec> kernels(const Problem& p, const Config& c) const override {
    const TiledLayout t = layout_for(p, c);
    auto s = [](int64_t v) { return std::to_string(v); };
    return {KernelSpec{"conv_tiled_fused.cu",
                       "conv_tiled_fused",
                       {{"TILE_K", s(t.tile_k)},
                        {"TILE_H", s(t.tile_h)},
                        {"TILE_W", s(t.tile_w)},
                        {"RK", s(t.rk)},
                        {"RW", s(t.rw)},
                        {"RH", s(t.rh)},
                        {"C_CHUNK", s(t.c_chunk)},
                        {"STAGES", s(t.stages)},
                        {"PIPE", s(t.pipe)},
                        {"FILTER_R", s(t.r)},
                        {"FILTER_S", s(t.s)},
                        {"STRIDE", s(t.stride)},
                        {"IN_PITCH", s(t.in_pitch)},
                        {"W_PITCH", s(t.w_pitch)},
                        {"OUT_PITCH", s(t.out_pitch)},
                        {"SMEM_FLOATS", s(t.smem_floats)},
                        {"MIN_BLOCKS", s(t.min_blocks)},
                        {"MISH_FORM", s(c.at("form"))},
                        {"MISH_COUNT", s(p.mish_count)}}}};
  }

  std::unique_ptr<Instance> instantiate(const Problem& p, const Config& c, std::vector<LoadedKernel> k,
                                        const LaunchEnv&) const override {
    return std::make_unique<FusedTiledInstance>(p, layout_for(p, c), k.at(0));
  }

 private:
  static int64_t threads(const Config& c) {
    return (c.at("tile_k") / c.at("rk")) * (c.at("tile_h") / c.at("rh")) * (c.at("tile_w") / c.at("rw"));
  }
  ParamSpace space_;
};

}  // namespace
CONVMISH_REGISTER_VARIANT(FusedTiledFp32);
}  // namespace convmish
