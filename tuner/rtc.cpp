#include "tuner/rtc.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <nvrtc.h>

#include "tuner/check.hpp"
#include "tuner/embedded.hpp"

namespace convmish {

namespace fs = std::filesystem;

uint64_t fnv1a64(const std::string& data, uint64_t h) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Bounds the number of NVRTC compilations in flight (one per CPU thread).
struct CompileSlots {
  std::mutex m;
  std::condition_variable cv;
  int free;
  explicit CompileSlots(int n) : free(n) {}
  void acquire() {
    std::unique_lock l(m);
    cv.wait(l, [&] { return free > 0; });
    --free;
  }
  void release() {
    { std::lock_guard l(m); ++free; }
    cv.notify_one();
  }
};

Compiler::Compiler(int arch_major, int arch_minor, fs::path cache_dir)
    : major_(arch_major), minor_(arch_minor), cache_dir_(std::move(cache_dir)),
      slots_(std::make_shared<CompileSlots>(std::max(1u, std::thread::hardware_concurrency()))) {}

std::string Compiler::nvrtc_version() {
  int maj = 0, min = 0;
  NVRTC_CHECK(nvrtcVersion(&maj, &min));
  return std::to_string(maj) + "." + std::to_string(min);
}

fs::path Compiler::default_cache_dir() {
  if (const char* d = std::getenv("CONVMISH_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "convmish";
  if (const char* d = std::getenv("HOME"); d && *d) return fs::path(d) / ".cache" / "convmish";
  return fs::temp_directory_path() / "convmish-cache";
}

std::string Compiler::arch_for(const KernelSpec& spec) const {
  return "sm_" + std::to_string(major_) + std::to_string(minor_) + (spec.arch_specific ? "a" : "");
}

static std::string toolkit_include_dir() {
  for (const char* env : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* d = std::getenv(env); d && fs::exists(fs::path(d) / "include" / "cuda_runtime.h"))
      return (fs::path(d) / "include").string();
  for (const char* d : {CONVMISH_CUDA_INCLUDE_DIR, "/usr/local/cuda/include", "/usr/include"})
    if (fs::exists(fs::path(d) / "cuda_runtime.h")) return d;
  return {};
}

std::vector<std::string> Compiler::options_for(const KernelSpec& spec) const {
  std::vector<std::string> o = {"--gpu-architecture=" + arch_for(spec), "-std=c++17", "-lineinfo",
                                "--device-as-default-execution-space"};
  if (auto inc = toolkit_include_dir(); !inc.empty()) o.push_back("--include-path=" + inc);
  for (const auto& [k, v] : spec.defines) o.push_back("-D" + k + "=" + v);
  for (const auto& x : spec.options) o.push_back(x);
  for (const auto& x : extra_nvrtc_options()) o.push_back(x);
  return o;
}

std::vector<std::string> extra_nvrtc_options() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("CONVMISH_NVRTC_OPTIONS")) {
    std::istringstream in(env);
    for (std::string w; in >> w;) out.push_back(w);
  }
  return out;
}

CompiledKernel Compiler::compile(const KernelSpec& spec) const {
  CompiledKernel out{spec, arch_for(spec), {}, {}, false, 0, 0};
  const auto t0 = std::chrono::steady_clock::now();
  const std::string& source = embedded_kernel(spec.source);
  const auto options = options_for(spec);

  // Every embedded header is offered to NVRTC; all of them (and the include path's location, which may differ
  // between machines, excluded) go into the key.
  std::string keytext = nvrtc_version() + '\n' + spec.source + '\n' + source + '\n' + spec.name + '\n';
  for (const auto& o : options)
    if (o.rfind("--include-path=", 0) != 0) keytext += o + '\n';
  std::vector<const char*> hdr_names, hdr_texts;
  for (const auto& f : embedded_kernel_files())
    if (f.name.size() > 4 && f.name.ends_with(".cuh")) {
      hdr_names.push_back(f.name.c_str());
      hdr_texts.push_back(f.text.c_str());
      keytext += f.name + '\n' + f.text + '\n';
    }
  out.key = fnv1a64(keytext);
  std::ostringstream keyhex;
  keyhex << std::hex << out.key;
  const fs::path cached = cache_dir_.empty() ? fs::path{} : cache_dir_ / (keyhex.str() + ".cubin");

  if (!cached.empty() && fs::exists(cached)) {
    std::ifstream in(cached, std::ios::binary);
    out.cubin.assign(std::istreambuf_iterator<char>(in), {});
    if (!out.cubin.empty()) {
      out.cache_hit = true;
      out.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      return out;
    }
  }

  slots_->acquire();
  struct Release {
    CompileSlots* s;
    ~Release() { s->release(); }
  } release{slots_.get()};

  nvrtcProgram prog;
  NVRTC_CHECK(nvrtcCreateProgram(&prog, source.c_str(), spec.source.c_str(), int(hdr_names.size()),
                                 hdr_texts.data(), hdr_names.data()));
  struct Destroy {
    nvrtcProgram* p;
    ~Destroy() { nvrtcDestroyProgram(p); }
  } destroy{&prog};
  std::vector<const char*> opt_ptrs;
  for (const auto& o : options) opt_ptrs.push_back(o.c_str());
  const nvrtcResult res = nvrtcCompileProgram(prog, int(opt_ptrs.size()), opt_ptrs.data());
  size_t log_size = 0;
  nvrtcGetProgramLogSize(prog, &log_size);
  out.log.resize(log_size);
  if (log_size) nvrtcGetProgramLog(prog, out.log.data());
  while (!out.log.empty() && (out.log.back() == '\0' || out.log.back() == '\n')) out.log.pop_back();
  if (res != NVRTC_SUCCESS)
    throw CompileError(spec.source + " (" + spec.name + ") does not compile for " + out.arch + ": " +
                       nvrtcGetErrorString(res) + "\n" + out.log);
  size_t size = 0;
  NVRTC_CHECK(nvrtcGetCUBINSize(prog, &size));
  out.cubin.resize(size);
  NVRTC_CHECK(nvrtcGetCUBIN(prog, out.cubin.data()));
  out.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  if (!cached.empty()) {  // write-then-rename: a concurrent reader never sees half a file
    std::error_code ec;
    fs::create_directories(cache_dir_, ec);
    const fs::path tmp = cached.string() + ".tmp" + std::to_string(::getpid()) + "_" +
                         std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    {
      std::ofstream f(tmp, std::ios::binary);
      f.write(out.cubin.data(), std::streamsize(out.cubin.size()));
    }
    fs::rename(tmp, cached, ec);
    if (ec) fs::remove(tmp, ec);
  }
  return out;
}

std::future<CompiledKernel> Compiler::compile_async(const KernelSpec& spec) const {
  return std::async(std::launch::async, [this, spec] { return compile(spec); });
}

LoadedLibrary::LoadedLibrary(const CompiledKernel& k) {
  CUDA_CHECK(cudaLibraryLoadData(&lib_, k.cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  kernel_.name = k.spec.name;
  try {
    CUDA_CHECK(cudaLibraryGetKernel(&kernel_.handle, lib_, k.spec.name.c_str()));
    cudaFuncAttributes attr{};
    CUDA_CHECK(cudaFuncGetAttributes(&attr, reinterpret_cast<const void*>(kernel_.handle)));
    kernel_.registers = attr.numRegs;
    kernel_.static_smem = attr.sharedSizeBytes;
    kernel_.local_bytes = attr.localSizeBytes;
    kernel_.max_threads = attr.maxThreadsPerBlock;
  } catch (...) {
    cudaLibraryUnload(lib_);
    throw;
  }
}

LoadedLibrary::~LoadedLibrary() {
  if (lib_) cudaLibraryUnload(lib_);
}

LoadedLibrary::LoadedLibrary(LoadedLibrary&& o) noexcept : lib_(o.lib_), kernel_(o.kernel_) { o.lib_ = nullptr; }

LoadedLibrary& LoadedLibrary::operator=(LoadedLibrary&& o) noexcept {
  if (this != &o) {
    if (lib_) cudaLibraryUnload(lib_);
    lib_ = o.lib_;
    kernel_ = o.kernel_;
    o.lib_ = nullptr;
  }
  return *this;
}

namespace {
cudaLaunchConfig_t cluster_config(dim3 grid, dim3 block, size_t smem, cudaStream_t stream, unsigned cluster,
                                  cudaLaunchAttribute& attr) {
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid, cfg.blockDim = block, cfg.dynamicSmemBytes = smem, cfg.stream = stream;
  attr.id = cudaLaunchAttributeClusterDimension;
  attr.val.clusterDim.x = cluster, attr.val.clusterDim.y = 1, attr.val.clusterDim.z = 1;
  cfg.attrs = &attr, cfg.numAttrs = 1;
  return cfg;
}
}  // namespace

void launch_kernel(const LoadedKernel& k, dim3 grid, dim3 block, size_t smem, cudaStream_t stream, void** args,
                   unsigned cluster) {
  const auto fn = reinterpret_cast<const void*>(k.handle);
  if (smem > 48 * 1024) CUDA_CHECK(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  if (cluster > 1) {
    cudaLaunchAttribute attr{};
    const cudaLaunchConfig_t cfg = cluster_config(grid, block, smem, stream, cluster, attr);
    CUDA_CHECK(cudaLaunchKernelExC(&cfg, fn, args));
  } else {
    CUDA_CHECK(cudaLaunchKernel(fn, grid, block, args, smem, stream));
  }
  CUDA_CHECK_LAUNCH();
}

int max_active_clusters(const LoadedKernel& k, unsigned cluster, dim3 block, size_t smem) {
  const auto fn = reinterpret_cast<const void*>(k.handle);
  if (smem > 48 * 1024) CUDA_CHECK(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  cudaLaunchAttribute attr{};
  const cudaLaunchConfig_t cfg = cluster_config(dim3(cluster), block, smem, nullptr, cluster, attr);
  int n = 0;
  CUDA_CHECK(cudaOccupancyMaxActiveClusters(&n, fn, &cfg));
  return n;
}

}  // namespace convmish
