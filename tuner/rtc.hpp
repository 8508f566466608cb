// Run-time compilation: NVRTC turns a KernelSpec into a cubin for the GPU present (or a named architecture),
// with an on-disk cache keyed by a hash of the source, the headers, the options, the architecture and the NVRTC
// version. Loading goes through the runtime's library API (no libcuda link), so the binaries start anywhere.
#pragma once
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <cuda_runtime_api.h>

#include "tuner/variant.hpp"

namespace convmish {

struct CompiledKernel {
  KernelSpec spec;
  std::string arch;  // "sm_90" or "sm_90a"
  std::vector<char> cubin;
  std::string log;   // NVRTC's log (warnings)
  bool cache_hit = false;
  double compile_ms = 0;
  uint64_t key = 0;
};

class Compiler {
 public:
  // `arch_major/minor`: the target, e.g. 9,0 -> sm_90. `cache_dir` empty: no disk cache.
  Compiler(int arch_major, int arch_minor, std::filesystem::path cache_dir);
  // Throws CompileError with NVRTC's log when the source does not compile. Thread-safe.
  CompiledKernel compile(const KernelSpec& spec) const;
  // compile() on a pool thread; at most `threads` compilations run at once.
  std::future<CompiledKernel> compile_async(const KernelSpec& spec) const;
  std::string arch_for(const KernelSpec& spec) const;
  const std::filesystem::path& cache_dir() const { return cache_dir_; }

  static std::string nvrtc_version();
  // $CONVMISH_CACHE_DIR, else $XDG_CACHE_HOME/convmish, else ~/.cache/convmish.
  static std::filesystem::path default_cache_dir();

 private:
  std::vector<std::string> options_for(const KernelSpec& spec) const;
  int major_, minor_;
  std::filesystem::path cache_dir_;
  std::shared_ptr<struct CompileSlots> slots_;
};

// Options appended to every compilation from $CONVMISH_NVRTC_OPTIONS (whitespace-separated, e.g. "--fmad=false"):
// for experiments and for proving that the regression gate catches a worse build. They enter the cache key and
// the report's metadata.
std::vector<std::string> extra_nvrtc_options();

// Hash used for the cache key (FNV-1a, 64 bit): stable across runs and machines.
uint64_t fnv1a64(const std::string& data, uint64_t seed = 1469598103934665603ull);

// A loaded cubin (cudaLibrary_t), move-only; unloads on destruction.
class LoadedLibrary {
 public:
  explicit LoadedLibrary(const CompiledKernel& k);
  ~LoadedLibrary();
  LoadedLibrary(LoadedLibrary&&) noexcept;
  LoadedLibrary& operator=(LoadedLibrary&&) noexcept;
  LoadedLibrary(const LoadedLibrary&) = delete;
  LoadedLibrary& operator=(const LoadedLibrary&) = delete;
  const LoadedKernel& kernel() const { return kernel_; }

 private:
  cudaLibrary_t lib_ = nullptr;
  LoadedKernel kernel_;
};

// Launch a run-time-compiled kernel with its arguments; checks the launch. `cluster` > 1: thread block clusters of
// that many CTAs along x (the grid a multiple of it).
void launch_kernel(const LoadedKernel& k, dim3 grid, dim3 block, size_t smem, cudaStream_t stream, void** args,
                   unsigned cluster = 1);

template <typename... Args>
void launch_clustered(const LoadedKernel& k, unsigned cluster, dim3 grid, dim3 block, size_t smem,
                      cudaStream_t stream, Args&... args) {
  void* ptrs[] = {static_cast<void*>(&args)...};
  launch_kernel(k, grid, block, smem, stream, ptrs, cluster);
}
template <typename... Args>
void launch(const LoadedKernel& k, dim3 grid, dim3 block, size_t smem, cudaStream_t stream, Args&... args) {
  launch_clustered(k, 1, grid, block, smem, stream, args...);
}
// How many clusters of `cluster` CTAs (block threads, smem bytes each) can run on the device at once.
int max_active_clusters(const LoadedKernel& k, unsigned cluster, dim3 block, size_t smem);

}  // namespace convmish
