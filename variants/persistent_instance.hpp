// The launch shared by the resident-weights kernels (fused.igemm_*, fused.wgmma_*): a tiny pass arranges the
// weights per block of output channels into the workspace, then persistent CTAs, as many as fit on the GPU at once,
// a multiple of the channel blocks and at most one tile per warp group (each CTA keeps one block's weights
// resident and walks every kblocks-th tile). variants/fused_export.cpp mirrors it for the PyTorch export.
#pragma once
#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/rtc.hpp"
#include "tuner/tensor_map.hpp"
#include "tuner/variant.hpp"

namespace convmish {

// What the launch needs from a variant's tile description.
struct PersistentShape {
  int64_t threads, smem_bytes, groups, kblocks, tiles, weight_floats;
  // TMA input loads (tma:1 of fused.wgmma_rs_* and fused.igemm_*): the box (columns, rows, channels) of the input as
  // [N][C][H][W] that the main kernel takes as its fourth argument, a tensor map encoded for each launch's input; 0s:
  // none.
  std::array<uint32_t, 3> input_box = {0, 0, 0};
  // TMA output stores (tstore:1 of fused.wgmma_rs_*, with input_box): the kernel's fifth argument, a tensor map of the
  // output as [N][K][P x Q] in 128-byte-swizzled boxes of these pixels x channels; 0s: none.
  std::array<uint32_t, 2> output_box = {0, 0};
  // CTAs per thread block cluster (mcast of fused.wgmma_rs_*: consecutive channel blocks sharing each TMA box); 1: no
  // clusters.
  int64_t cluster = 1;
};

class PersistentInstance : public Instance {
 public:
  // `kernels`: the weight pass (w, wt, K, C, kblocks) and the main kernel (args, wt, kblocks), in that order.
  PersistentInstance(const Problem& p, const PersistentShape& s, std::vector<LoadedKernel> kernels,
                     const DeviceInfo& d, const std::string& who)
      : p_(p), s_(s), prep_(kernels.at(0)), main_(kernels.at(1)) {
    const auto fn = reinterpret_cast<const void*>(main_.handle);
    CUDA_CHECK(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, int(s_.smem_bytes)));
    CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm_, fn, int(s_.threads), size_t(s_.smem_bytes)));
    if (per_sm_ < 1) throw UsageError(who + ": the kernel does not fit an SM (registers or shared memory)");
    const int64_t kb = s_.kblocks;
    int64_t resident = int64_t(per_sm_) * d.sm_count;
    if (s_.cluster > 1) {  // clusters fill whole GPCs' worth of SMs only: fewer may run at once than SMs allow
      clusters_ = max_active_clusters(main_, unsigned(s_.cluster), dim3(unsigned(s_.threads)), size_t(s_.smem_bytes));
      if (clusters_ < 1)
        throw UsageError(who + ": no cluster of " + std::to_string(s_.cluster) + " CTAs fits the device at once");
      resident = std::min<int64_t>(resident, int64_t(clusters_) * s_.cluster);
    }
    const int64_t want = std::min<int64_t>(resident, (s_.tiles + s_.groups - 1) / s_.groups * kb);
    ctas_ = std::max<int64_t>(kb, want / kb * kb);
  }
  size_t workspace_bytes() const override { return size_t(s_.weight_floats) * 4; }
  void launch(const Buffers& b, cudaStream_t s) override {
    float* wt = static_cast<float*>(b.workspace);
    const float* w = b.w;
    int K = int(p_.K), C = int(p_.C), kb = int(s_.kblocks);
    convmish::launch(prep_, dim3(unsigned((s_.weight_floats + 255) / 256)), dim3(256), 0, s, w, wt, K, C, kb);
    ConvMishArgs a = p_.args(b.x, b.w, b.b, b.y);
    const float* cwt = wt;
    const dim3 grid{unsigned(ctas_)}, block{unsigned(s_.threads)};
    if (s_.input_box[0]) {
      CUtensorMap xmap = encode_fp32_tensor_map(
          b.x, 4, {uint64_t(p_.W), uint64_t(p_.H), uint64_t(p_.C), uint64_t(p_.N)},
          {s_.input_box[0], s_.input_box[1], s_.input_box[2], 1});
      // (a cluster of 1 is a plain launch)
      if (s_.output_box[0]) {
        const uint64_t pq = uint64_t(p_.P()) * uint64_t(p_.Q());
        CUtensorMap ymap = encode_fp32_tensor_map(b.y, 3, {pq, uint64_t(p_.K), uint64_t(p_.N)},
                                                  {s_.output_box[0], s_.output_box[1], 1}, true);
        convmish::launch_clustered(main_, unsigned(s_.cluster), grid, block, size_t(s_.smem_bytes), s, a, cwt, kb,
                                   xmap, ymap);
      } else {
        convmish::launch_clustered(main_, unsigned(s_.cluster), grid, block, size_t(s_.smem_bytes), s, a, cwt, kb,
                                   xmap);
      }
    } else {
      convmish::launch(main_, grid, block, size_t(s_.smem_bytes), s, a, cwt, kb);
    }
  }
  // The launch's own details; a variant adds what describes its tiles.
  nlohmann::json launch_details() const {
    nlohmann::json j = {{"grid", ctas_},          {"block", s_.threads}, {"smem_bytes", s_.smem_bytes},
                        {"ctas_per_sm", per_sm_}, {"tiles", s_.tiles},   {"kblocks", s_.kblocks}};
    if (s_.input_box[0]) j["tma_input_box"] = s_.input_box;
    if (s_.output_box[0]) j["tma_output_box"] = s_.output_box;
    if (s_.cluster > 1) j["cluster"] = {{"ctas", s_.cluster}, {"max_active", clusters_}};
    return j;
  }

 private:
  Problem p_;
  PersistentShape s_;
  LoadedKernel prep_, main_;
  int per_sm_ = 0, clusters_ = 0;
  int64_t ctas_ = 0;
};

}  // namespace convmish
