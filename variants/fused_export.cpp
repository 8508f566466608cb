// tuner export --pytorch for the fused variants: each one's Instance::launch as C++ on the CUDA runtime, written
// against the kernels' own defines and macros; block and shared memory come from the kernel's compile-time constants
// or the record's details (what the tuner launched), static_asserted against each other. The grid, a function of
// the run-time shape, is the launch's formula, checked here against the record's details (grid, tiles, kblocks) for
// the record's problem, so a variant whose launch changed fails the export instead of running differently.
#include <algorithm>
#include <string>

#include "tuner/check.hpp"
#include "tuner/export.hpp"

namespace convmish {
namespace {

std::string define(const std::vector<KernelSpec>& ks, const std::string& name) {
  for (const auto& [n, v] : ks.at(0).defines)
    if (n == name) return v;
  throw std::runtime_error("define " + name + " is not among the variant's kernel defines: the exporter " +
                           "(variants/fused_export.cpp) no longer matches the variant");
}

int64_t define_int(const std::vector<KernelSpec>& ks, const std::string& name) { return std::stoll(define(ks, name)); }

// The record's details[key] as an integer (element `i` when it is an array), or -1 when the record lacks it.
int64_t detail(const Record& r, const char* key, size_t i = 0) {
  if (!r.details.contains(key)) return -1;
  const auto& v = r.details[key];
  const nlohmann::json& e = v.is_array() ? (i < v.size() ? v[i] : nlohmann::json()) : (i == 0 ? v : nlohmann::json());
  return e.is_number_integer() ? e.get<int64_t>() : -1;
}

// Throws when the record's details disagree with the exporter's launch for the record's problem.
void expect_detail(const ExportContext& ctx, const char* key, int64_t want, size_t i = 0) {
  const int64_t got = detail(ctx.record, key, i);
  if (got >= 0 && got != want)
    throw std::runtime_error("the record's details." + std::string(key) + (i ? "[" + std::to_string(i) + "]" : "") +
                             " = " + std::to_string(got) + " but the export would launch " + std::to_string(want) +
                             " for " + ctx.problem.shape_string() + ": the variant's launch changed since the " +
                             "record was made, or variants/fused_export.cpp no longer matches it");
}

// static_asserts that the kernel's own constant equals what the record says the tuner launched with.
std::string assert_detail(const Record& r, const char* key, const std::string& expr) {
  const int64_t v = detail(r, key);
  if (v < 0) return {};
  return "static_assert(" + expr + " == " + std::to_string(v) + ", \"the record's details." + key +
         " (the tuner's launch) and the kernel's " + expr + " disagree: export from a results file of this build\");\n";
}

ExportLaunch naive(const ExportContext& ctx) {
  ExportLaunch l;
  l.kernels = ctx.variant.kernels(ctx.problem, ctx.config);
  const int64_t block = define_int(l.kernels, "BLOCK");
  expect_detail(ctx, "block", block);
  expect_detail(ctx, "grid", (ctx.problem.y_elems() + block - 1) / block);
  l.summary = {"conv_naive_fused: one thread per output (" + std::to_string(block) +
               " per block), direct convolution, bias and Mish in registers"};
  l.launch = assert_detail(ctx.record, "block", "BLOCK") + R"CU(
static size_t cm_workspace_bytes(const ConvMishArgs&) { return 0; }

static std::string cm_launch(const ConvMishArgs& a, void*, cudaStream_t s) {
  const long long blocks = ((long long)a.N * a.K * a.P * a.Q + BLOCK - 1) / BLOCK;
  if (blocks > 0x7fffffffLL) return "grid exceeds 2^31-1 blocks";
  conv_naive_fused<<<dim3((unsigned)blocks), dim3(BLOCK), 0, s>>>(a);
  return cm_launch_error("conv_naive_fused");
}
)CU";
  return l;
}

ExportLaunch tiled(const ExportContext& ctx) {
  ExportLaunch l;
  l.min_cc = 80;  // cp.async
  l.kernels = ctx.variant.kernels(ctx.problem, ctx.config);
  const Problem& p = ctx.problem;
  const int64_t tk = define_int(l.kernels, "TILE_K"), th = define_int(l.kernels, "TILE_H"),
                tw = define_int(l.kernels, "TILE_W");
  expect_detail(ctx, "grid", (p.K + tk - 1) / tk * ((p.P() + th - 1) / th) * ((p.Q() + tw - 1) / tw), 0);
  expect_detail(ctx, "grid", std::min<int64_t>(p.N, 65535), 1);
  expect_detail(ctx, "grid", (p.N + 65534) / 65535, 2);
  l.summary = {"conv_tiled_fused: " + std::to_string(tk) + " channels x " + std::to_string(th) + "x" +
               std::to_string(tw) + " pixels per CTA, fp32 FFMA, cp.async staging, bias and Mish in registers"};
  l.launch = assert_detail(ctx.record, "block", "tiled::kThreads") +
             assert_detail(ctx.record, "smem_bytes", "SMEM_FLOATS * 4") + R"CU(
static size_t cm_workspace_bytes(const ConvMishArgs&) { return 0; }

// Grid: x = pixel tile * K tiles + K tile (K tiles fastest), y + 65535 z = image.
static std::string cm_launch(const ConvMishArgs& a, void*, cudaStream_t s) {
  const long long k_tiles = (a.K + TILE_K - 1) / TILE_K;
  const long long tiles = (long long)((a.P + TILE_H - 1) / TILE_H) * ((a.Q + TILE_W - 1) / TILE_W);
  if (k_tiles * tiles > 0x7fffffffLL) return "grid: more than 2^31-1 CTAs along x";
  const dim3 grid((unsigned)(k_tiles * tiles), (unsigned)(a.N < 65535 ? a.N : 65535), (unsigned)((a.N + 65534) / 65535));
  const size_t smem = size_t(SMEM_FLOATS) * 4;
  const std::string e = cm_dynamic_smem((const void*)conv_tiled_fused, "conv_tiled_fused", smem);
  if (!e.empty()) return e;
  conv_tiled_fused<<<grid, dim3(tiled::kThreads), smem, s>>>(a);
  return cm_launch_error("conv_tiled_fused");
}
)CU";
  return l;
}

// fused.igemm_*: the kernel walks its tiles with a stride of the grid, so any multiple of the channel blocks is
// correct; the tuner's grid (as many CTAs as fit, a multiple of the channel blocks, at most one tile per warp group)
// is what makes it fast. Shared memory is the record's details.smem_bytes: it depends only on compiled-in values
// (filter, tiles, stages, groups, CPAD), so it holds for every shape the export admits.
// fused.wgmma_tf32 launches the same way with its own kernels (wgmma_weights, conv_wgmma, W_FLOATS); fused.wgmma_rs_*
// with the igemm kernels themselves, compiled for sm_90a.
struct PersistentKernels {
  const char *prep, *main, *floats, *math;
  int min_cc;
};

ExportLaunch persistent(const ExportContext& ctx, const PersistentKernels& pk) {
  ExportLaunch l;
  l.min_cc = pk.min_cc;
  l.kernels = ctx.variant.kernels(ctx.problem, ctx.config);
  const Problem& p = ctx.problem;
  const int64_t th = define_int(l.kernels, "TH"), tw = define_int(l.kernels, "TW"), bn = define_int(l.kernels, "BN");
  int64_t groups = 1;
  for (const auto& [n, v] : l.kernels.at(0).defines)
    if (n == "GROUPS") groups = std::stoll(v);
  const int64_t smem = detail(ctx.record, "smem_bytes");
  if (smem <= 0)
    throw UsageError(ctx.record.name() + ": its record has no details.smem_bytes (the tuner's launch); export a " +
                     "record that the tuner measured");
  const int64_t kblocks = (p.K + bn - 1) / bn, tiles = (p.P() + th - 1) / th * ((p.Q() + tw - 1) / tw) * p.N;
  expect_detail(ctx, "kblocks", kblocks);
  expect_detail(ctx, "tiles", tiles);
  bool threex = false, tma = false, tstore = false;
  int64_t cluster = 1;  // fused.wgmma_rs_* mcast: CTAs per thread block cluster
  for (const auto& [n, v] : l.kernels.at(0).defines) {
    if (n == "THREEX") threex = v == "1";
    if (n == "TMA") tma = v == "1";
    if (n == "TSTORE") tstore = v == "1";
    if (n == "MC") cluster = std::stoll(v);
  }
  const int64_t per_sm = detail(ctx.record, "ctas_per_sm");
  const int64_t sms = ctx.meta.contains("device") ? ctx.meta["device"].value("sm_count", int64_t(-1)) : -1;
  if (per_sm > 0 && sms > 0) {
    int64_t fit = per_sm * sms;
    if (cluster > 1 && ctx.record.details.contains("cluster"))  // clusters fit whole GPCs: at most this many at once
      fit = std::min(fit, ctx.record.details["cluster"].value("max_active", fit) * cluster);
    const int64_t want = std::min(fit, (tiles + groups - 1) / groups * kblocks);
    expect_detail(ctx, "grid", std::max(kblocks, want / kblocks * kblocks));
  }
  if (tma) l.min_cc = std::max(l.min_cc, 90);  // fused.igemm_* tma:1: TMA boxes need sm_90
  l.summary = {std::string(pk.prep) + ": the weights arranged per channel block into the workspace" +
                   (threex ? "" : " (rounded to TF32)"),
               std::string(pk.main) + ": persistent CTAs (as many as fit), each with one block of " +
                   std::to_string(bn) + " output channels' weights resident in shared memory (" +
                   std::to_string(smem) + " B), " + std::to_string(groups) + " warp group(s) on " +
                   std::to_string(th) + "x" + std::to_string(tw) + " pixel tiles, " + pk.math +
                   (threex ? " 3xTF32" : " TF32") + ", bias and Mish epilogue" +
                   (cluster > 1 ? ", in clusters of " + std::to_string(cluster) + " CTAs sharing each input box" : "") +
                   (tstore ? ", outputs by TMA store boxes" : "")};
  // The launch below is written for the igemm kernels; the wgmma kernels differ only in their names.
  auto rename = [&](std::string code) {
    for (auto [from, to] : {std::pair<std::string, std::string>{"igemm_weights", pk.prep}, {"conv_igemm_mma", pk.main},
                            {"B_FLOATS", pk.floats}})
      for (size_t at = code.find(from); at != std::string::npos; at = code.find(from, at + to.size()))
        code.replace(at, from.size(), to);
    return code;
  };
  const std::string maps = tstore ? ", ymap" : "";  // the kernel's arguments after xmap
  // tma:1: the input as a 4-D tensor [N][C][H][W] in boxes of PWS x PH x CK x 1, encoded for each call's x (and with
  // tstore:1 the output's map, for each call's y).
  const std::string tma_helper = !tma ? std::string() : R"CU(#include <cuda.h>  // CUtensorMap (types only: the encoder comes from the runtime)
#include <cstring>

static std::string cm_tensor_map(const float* base, int rank, const cuuint64_t* dims, const cuuint32_t* box,
                                 CUtensorMapSwizzle swizzle, cm_wgmma::TensorMap* out) {
  using Encode = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                              const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                              CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
  static Encode encode = nullptr;
  if (!encode) {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult q{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &q) != cudaSuccess ||
        q != cudaDriverEntryPointSuccess || !f)
      return "cuTensorMapEncodeTiled is not available from the driver";
    encode = reinterpret_cast<Encode>(f);
  }
  cuuint64_t strides[4];
  cuuint32_t elem[5] = {1, 1, 1, 1, 1};
  for (int i = 0; i + 1 < rank; ++i) strides[i] = (i ? strides[i - 1] : 4) * dims[i];
  CUtensorMap m;
  const CUresult r = encode(&m, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, rank, const_cast<float*>(base), dims, strides, box,
                            elem, CU_TENSOR_MAP_INTERLEAVE_NONE, swizzle, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                            CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS) return "cuTensorMapEncodeTiled refused a tensor (CUresult " + std::to_string((int)r) + ")";
  static_assert(sizeof(CUtensorMap) == sizeof(cm_wgmma::TensorMap), "the kernel's TensorMap is a CUtensorMap");
  std::memcpy(out, &m, sizeof m);
  return std::string();
}

// The input as [N][C][H][W] in boxes of PWS x PH x CK x 1.
static std::string cm_input_tensor_map(const ConvMishArgs& a, cm_wgmma::TensorMap* out) {
  if (a.W % 4 != 0) return "tma:1 needs W % 4 == 0 (a tensor map's row stride is a multiple of 16 bytes)";
  const cuuint64_t dims[4] = {(cuuint64_t)a.W, (cuuint64_t)a.H, (cuuint64_t)a.C, (cuuint64_t)a.N};
  const cuuint32_t box[4] = {PWS, PH, CK, 1};
  return cm_tensor_map(a.x, 4, dims, box, CU_TENSOR_MAP_SWIZZLE_NONE, out);
}
)CU" + std::string(!tstore ? "" : R"CU(
// tstore:1: the output as [N][K][P x Q] in 128-byte-swizzled boxes of 32 pixels x 8 channels (the kernel's TSTORE).
static std::string cm_output_tensor_map(const ConvMishArgs& a, cm_wgmma::TensorMap* out) {
  if (a.Q < 64 || a.Q % 4 != 0) return "tstore:1 needs Q >= 64 and Q % 4 == 0 (every output row on 16 bytes)";
  const cuuint64_t dims[3] = {(cuuint64_t)a.P * a.Q, (cuuint64_t)a.K, (cuuint64_t)a.N};
  const cuuint32_t box[3] = {32, 8, 1};
  return cm_tensor_map(a.y, 3, dims, box, CU_TENSOR_MAP_SWIZZLE_128B, out);
}
)CU");
  l.launch = assert_detail(ctx.record, "block", "THREADS") + "constexpr size_t kIgemmSmem = " + std::to_string(smem) +
             ";  // the record's details.smem_bytes\nconstexpr long long kIgemmGroups = " + std::to_string(groups) +
             ";\n" + tma_helper + rename(std::string(R"CU(
static size_t cm_workspace_bytes(const ConvMishArgs& a) { return size_t((a.K + BN - 1) / BN) * B_FLOATS * 4; }

// As IgemmInstance: the weights pre-arranged into the workspace, then persistent CTAs, as many as fit on the GPU at
// once and at most one tile per warp group, a multiple of the channel blocks.
static std::string cm_launch(const ConvMishArgs& a, void* workspace, cudaStream_t s) {
  const long long kblocks = (a.K + BN - 1) / BN;
  const long long tiles = (long long)((a.P + TH - 1) / TH) * ((a.Q + TW - 1) / TW) * a.N;
  if (tiles > 0x7fffffffLL || kblocks * B_FLOATS > 0x7fffffffLL) return "problem too large";
  std::string e = cm_dynamic_smem((const void*)conv_igemm_mma, "conv_igemm_mma", kIgemmSmem);
  if (!e.empty()) return e;
  static int cached_device = -1, sms = 0, per_sm = 0, clusters = 0;  // occupancy, once per device as the tuner's
  int device = 0;                                                      // instance does
  if (cudaGetDevice(&device) != cudaSuccess) return cm_launch_error("cudaGetDevice");
#if MC > 1
  // Thread block clusters of MC CTAs (mcast): rank 0 of each multicasts the input boxes to all of them.
  cudaLaunchAttribute cluster_dim{};
  cluster_dim.id = cudaLaunchAttributeClusterDimension;
  cluster_dim.val.clusterDim.x = MC, cluster_dim.val.clusterDim.y = 1, cluster_dim.val.clusterDim.z = 1;
  cudaLaunchConfig_t cfg{};
  cfg.blockDim = dim3(THREADS), cfg.dynamicSmemBytes = kIgemmSmem, cfg.stream = s;
  cfg.attrs = &cluster_dim, cfg.numAttrs = 1;
#endif
  if (device != cached_device) {
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, conv_igemm_mma, THREADS, kIgemmSmem) != cudaSuccess)
      return cm_launch_error("occupancy of conv_igemm_mma");
#if MC > 1
    cfg.gridDim = dim3(MC);
    if (cudaOccupancyMaxActiveClusters(&clusters, conv_igemm_mma, &cfg) != cudaSuccess)
      return cm_launch_error("cluster occupancy of conv_igemm_mma");
    if (clusters < 1) return "no cluster of " + std::to_string(MC) + " CTAs of conv_igemm_mma fits the device at once";
#endif
    cached_device = device;
  }
  if (per_sm < 1) return "conv_igemm_mma does not fit an SM (registers or shared memory)";
  long long fit = (long long)per_sm * sms;
  const long long need = (tiles + kIgemmGroups - 1) / kIgemmGroups * kblocks;
#if MC > 1
  if ((long long)clusters * MC < fit) fit = (long long)clusters * MC;
#endif
  const long long want = fit < need ? fit : need;
  const long long ctas = want / kblocks * kblocks > kblocks ? want / kblocks * kblocks : kblocks;
  float* wt = static_cast<float*>(workspace);
  const long long n = kblocks * B_FLOATS;
  igemm_weights<<<dim3((unsigned)((n + 255) / 256)), dim3(256), 0, s>>>(a.w, wt, a.K, a.C, (int)kblocks);
  e = cm_launch_error("igemm_weights");
  if (!e.empty()) return e;
)CU") + (tma ? "  cm_wgmma::TensorMap xmap;\n  e = cm_input_tensor_map(a, &xmap);\n  if (!e.empty()) return e;\n" +
                   std::string(tstore ? "  cm_wgmma::TensorMap ymap;\n  e = cm_output_tensor_map(a, &ymap);\n"
                                        "  if (!e.empty()) return e;\n"
                                      : "") +
                   "#if MC > 1\n  cfg.gridDim = dim3((unsigned)ctas);\n"
                   "  (void)cudaLaunchKernelEx(&cfg, conv_igemm_mma, a, (const float*)wt, (int)kblocks, xmap" + maps +
                   ");  // (its error: below)\n#else\n"
                   "  conv_igemm_mma<<<dim3((unsigned)ctas), dim3(THREADS), kIgemmSmem, s>>>(a, wt, (int)kblocks, xmap" +
                   maps + ");\n#endif\n"
             : "  conv_igemm_mma<<<dim3((unsigned)ctas), dim3(THREADS), kIgemmSmem, s>>>(a, wt, (int)kblocks);\n") +
                  "  return cm_launch_error(\"conv_igemm_mma\");\n}\n");
  return l;
}

ExportLaunch igemm(const ExportContext& ctx) {
  return persistent(ctx, {"igemm_weights", "conv_igemm_mma", "B_FLOATS", "mma.sync", 80});
}
ExportLaunch wgmma(const ExportContext& ctx) {
  return persistent(ctx, {"wgmma_weights", "conv_wgmma", "W_FLOATS", "wgmma (sm_90a)", 90});
}
// fused.wgmma_rs_*: the igemm kernels compiled with WGMMA=1 (sm_90a); with tma:1 the launch also encodes a tensor
// map of each call's input, as PersistentInstance::launch does (tuner/tensor_map.cpp), through the runtime's
// cudaGetDriverEntryPointByVersion, so that the module links no more than the CUDA runtime.
ExportLaunch wgmma_rs(const ExportContext& ctx) {
  return persistent(ctx, {"igemm_weights", "conv_igemm_mma", "B_FLOATS", "wgmma (sm_90a)", 90});
}

bool is(const Variant& v, const char* id) { return v.id() == id; }

const bool registered =
    register_exporter({[](const Variant& v) { return is(v, "fused.naive"); }, naive}) &&
    register_exporter({[](const Variant& v) { return is(v, "fused.tiled_fp32"); }, tiled}) &&
    register_exporter({[](const Variant& v) { return v.id().rfind("fused.igemm_", 0) == 0; }, igemm}) &&
    register_exporter({[](const Variant& v) { return is(v, "fused.wgmma_tf32"); }, wgmma}) &&
    register_exporter({[](const Variant& v) { return v.id().rfind("fused.wgmma_rs_", 0) == 0; }, wgmma_rs});

}  // namespace
}  // namespace convmish
