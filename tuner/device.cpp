#include "tuner/device.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tuner/check.hpp"

namespace convmish {

int gpu_count(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (why) {
      *why = cudaGetErrorString(e);
      if (e == cudaErrorInsufficientDriver) *why += " (no NVIDIA driver on this machine: no GPU here)";
    }
    cudaGetLastError();
    return 0;
  }
  if (n == 0 && why) *why = "the driver reports no CUDA device";
  return n;
}

void require_gpu(int count, const std::string& why) {
  if (count <= 0) throw NoGpuError("no usable GPU: " + why);
}

void require_gpu_index(const std::string& option, int index, int count, const std::string& why) {
  require_gpu(count, why);
  if (index < 0 || index >= count)
    throw UsageError(option + ": there is no GPU " + std::to_string(index) + " on this host: " + std::to_string(count) +
                     (count == 1 ? " GPU is" : " GPUs are") + " present (0.." + std::to_string(count - 1) + ")");
}

DeviceInfo probe_device(int index) {
  std::string why;
  require_gpu_index("--device", index, gpu_count(&why), why);
  CUDA_CHECK(cudaSetDevice(index));
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, index));
  DeviceInfo d;
  d.index = index;
  d.name = p.name;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.sm_count = p.multiProcessorCount;
  d.l2_bytes = size_t(p.l2CacheSize);
  d.global_mem = p.totalGlobalMem;
  d.smem_per_block_optin = p.sharedMemPerBlockOptin;
  d.smem_per_sm = p.sharedMemPerMultiprocessor;
  d.regs_per_sm = p.regsPerMultiprocessor;
  d.max_threads_per_sm = p.maxThreadsPerMultiProcessor;
  char bus[32] = {0};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, index) == cudaSuccess) d.pci_bus_id = bus;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    const auto b = static_cast<unsigned char>(p.uuid.bytes[i]);
    d.uuid += hex[b >> 4];
    d.uuid += hex[b & 15];
  }
  CUDA_CHECK(cudaDriverGetVersion(&d.driver_version));
  CUDA_CHECK(cudaRuntimeGetVersion(&d.runtime_version));
  if (const auto why = architecture_mismatch(d.cc_major, d.cc_minor, CONVMISH_CUDA_ARCHITECTURES))
    throw NoGpuError("GPU " + std::to_string(index) + " (" + d.name + ") is not supported by this build: " + *why);
  return d;
}

std::optional<std::string> architecture_mismatch(int major, int minor, const std::string& cuda_architectures) {
  const int device = major * 10 + minor;
  std::string entries = cuda_architectures, entry;
  std::replace(entries.begin(), entries.end(), ';', ',');
  std::stringstream list(entries);
  bool any = false;
  while (std::getline(list, entry, ',')) {
    if (entry.empty()) continue;
    size_t digits = 0;
    while (digits < entry.size() && std::isdigit(static_cast<unsigned char>(entry[digits]))) ++digits;
    if (digits == 0 || digits > 4) return std::nullopt;  // all, all-major, native: known to CMake only
    const int arch = std::stoi(entry.substr(0, digits));
    std::string rest = entry.substr(digits);
    const bool specific = !rest.empty() && rest[0] == 'a', family = !rest.empty() && rest[0] == 'f';
    if (specific || family) rest.erase(0, 1);
    if (!rest.empty() && rest != "-real" && rest != "-virtual") return std::nullopt;
    any = true;
    const bool sass = rest != "-virtual", ptx = rest != "-real";
    if (specific && device == arch) return std::nullopt;
    if (specific) continue;
    if (sass && major == arch / 10 && minor >= arch % 10) return std::nullopt;
    if (ptx && !family && device >= arch) return std::nullopt;
  }
  if (!any) return std::nullopt;
  const std::string sm = std::to_string(device);
  return "compute capability " + std::to_string(major) + "." + std::to_string(minor) + " (sm_" + sm +
         ") has no code among the engine kernels' CUDA architectures " + cuda_architectures +
         "; rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + sm + " (or a list holding " + sm + ")";
}

void to_json(nlohmann::json& j, const DeviceInfo& d) {
  j = {{"index", d.index},
       {"name", d.name},
       {"compute_capability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
       {"sm_count", d.sm_count},
       {"l2_bytes", d.l2_bytes},
       {"global_mem_bytes", d.global_mem},
       {"smem_per_block_optin", d.smem_per_block_optin},
       {"smem_per_sm", d.smem_per_sm},
       {"regs_per_sm", d.regs_per_sm},
       {"max_threads_per_sm", d.max_threads_per_sm},
       {"pci_bus_id", d.pci_bus_id},
       {"uuid", d.uuid},
       {"cuda_driver_version", d.driver_version},
       {"cuda_runtime_version", d.runtime_version},
       {"driver_version", nvml_driver_version()}};
  const auto limit = power_limit_w(d);
  j["power_limit_w"] = limit ? nlohmann::json(*limit) : nlohmann::json();  // null without NVML
}

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t e = cudaMalloc(&p_, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw CudaError("out of device memory: asked for " + std::to_string(bytes >> 20) + " MiB with " +
                        std::to_string(free_b >> 20) + " MiB free of " + std::to_string(total_b >> 20) + " MiB",
                    e);
  }
}

DeviceBuffer::~DeviceBuffer() {
  if (p_) cudaFree(p_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) {
  o.p_ = nullptr;
  o.bytes_ = 0;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (p_) cudaFree(p_);
    p_ = o.p_;
    bytes_ = o.bytes_;
    o.p_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

Stream::Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
Stream::~Stream() {
  if (s_) cudaStreamDestroy(s_);
}
void Stream::sync() const { CUDA_CHECK(cudaStreamSynchronize(s_)); }

Event::Event() { CUDA_CHECK(cudaEventCreate(&e_)); }
Event::~Event() {
  if (e_) cudaEventDestroy(e_);
}
void Event::record(cudaStream_t s) const { CUDA_CHECK(cudaEventRecord(e_, s)); }

double elapsed_ms(const Event& start, const Event& stop) {
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  return ms;
}

// ---- NVML through dlopen: only the few entry points we need, with their C signatures. ----
namespace {
using nvmlReturn = int;
using nvmlDevice = void*;
struct Nvml {
  bool ok = false;
  nvmlReturn (*init)() = nullptr;
  nvmlReturn (*by_pci)(const char*, nvmlDevice*) = nullptr;
  nvmlReturn (*clock)(nvmlDevice, int, unsigned*) = nullptr;
  nvmlReturn (*driver)(char*, unsigned) = nullptr;
  // Optional (null where this NVML lacks them): energy since the driver loaded (mJ), the reasons the clocks are held
  // down (a bit mask), the enforced power limit (mW).
  nvmlReturn (*energy)(nvmlDevice, unsigned long long*) = nullptr;
  nvmlReturn (*reasons)(nvmlDevice, unsigned long long*) = nullptr;
  nvmlReturn (*power_limit)(nvmlDevice, unsigned*) = nullptr;
};

const Nvml& nvml() {
  static Nvml n;
  static std::once_flag once;
  std::call_once(once, [] {
    void* h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
    n.init = reinterpret_cast<nvmlReturn (*)()>(dlsym(h, "nvmlInit_v2"));
    n.by_pci = reinterpret_cast<nvmlReturn (*)(const char*, nvmlDevice*)>(dlsym(h, "nvmlDeviceGetHandleByPciBusId_v2"));
    n.clock = reinterpret_cast<nvmlReturn (*)(nvmlDevice, int, unsigned*)>(dlsym(h, "nvmlDeviceGetClockInfo"));
    n.driver = reinterpret_cast<nvmlReturn (*)(char*, unsigned)>(dlsym(h, "nvmlSystemGetDriverVersion"));
    n.energy = reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned long long*)>(
        dlsym(h, "nvmlDeviceGetTotalEnergyConsumption"));
    void* reasons = dlsym(h, "nvmlDeviceGetCurrentClocksEventReasons");  // the name since NVML 12.2
    if (!reasons) reasons = dlsym(h, "nvmlDeviceGetCurrentClocksThrottleReasons");
    n.reasons = reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned long long*)>(reasons);
    n.power_limit =
        reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned*)>(dlsym(h, "nvmlDeviceGetEnforcedPowerLimit"));
    n.ok = n.init && n.by_pci && n.clock && n.driver && n.init() == 0;
  });
  return n;
}
constexpr int kNvmlClockSm = 1;  // NVML_CLOCK_SM

// The NVML handle of the device on PCI bus `bus`, looked up once (the timer reads NVML while samples run).
std::optional<nvmlDevice> nvml_handle(const Nvml& n, const std::string& bus) {
  static std::mutex m;
  static std::map<std::string, nvmlDevice> handles;
  const std::lock_guard<std::mutex> lock(m);
  if (const auto it = handles.find(bus); it != handles.end()) return it->second;
  nvmlDevice dev = nullptr;
  if (n.by_pci(bus.c_str(), &dev) != 0) return std::nullopt;
  return handles[bus] = dev;
}

// `d`'s reading through `get` (one of Nvml's entry points), or nullopt.
template <typename T, typename Get>
std::optional<T> nvml_read(const DeviceInfo& d, Get get) {
  const Nvml& n = nvml();
  if (!n.ok || d.pci_bus_id.empty()) return std::nullopt;
  const auto dev = nvml_handle(n, d.pci_bus_id);
  T value{};
  if (!dev || !get(n, *dev, &value)) return std::nullopt;
  return value;
}
}  // namespace

std::optional<int> sm_clock_mhz(const DeviceInfo& d) {
  const auto mhz = nvml_read<unsigned>(
      d, [](const Nvml& n, nvmlDevice dev, unsigned* v) { return n.clock(dev, kNvmlClockSm, v) == 0; });
  return mhz ? std::optional<int>(int(*mhz)) : std::nullopt;
}

std::optional<unsigned long long> energy_mj(const DeviceInfo& d) {
  return nvml_read<unsigned long long>(d, [](const Nvml& n, nvmlDevice dev, unsigned long long* v) {
    return n.energy && n.energy(dev, v) == 0;
  });
}

std::optional<unsigned long long> clock_event_reasons(const DeviceInfo& d) {
  return nvml_read<unsigned long long>(d, [](const Nvml& n, nvmlDevice dev, unsigned long long* v) {
    return n.reasons && n.reasons(dev, v) == 0;
  });
}

std::optional<double> power_limit_w(const DeviceInfo& d) {
  const auto mw = nvml_read<unsigned>(
      d, [](const Nvml& n, nvmlDevice dev, unsigned* v) { return n.power_limit && n.power_limit(dev, v) == 0; });
  return mw ? std::optional<double>(*mw / 1e3) : std::nullopt;
}

std::vector<std::string> clock_event_names(unsigned long long mask) {
  // nvmlClocksEventReason* (nvml.h): the bit and a name for each.
  static const std::pair<unsigned long long, const char*> kReasons[] = {
      {0x1, "gpu_idle"},          {0x2, "applications_clocks"}, {0x4, "sw_power_cap"},
      {0x8, "hw_slowdown"},       {0x10, "sync_boost"},         {0x20, "sw_thermal"},
      {0x40, "hw_thermal"},       {0x80, "hw_power_brake"},     {0x100, "display_clocks"}};
  std::vector<std::string> names;
  unsigned long long known = 0;
  for (const auto& [bit, name] : kReasons) {
    known |= bit;
    if (mask & bit) names.emplace_back(name);
  }
  if (mask & ~known) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "other:0x%llx", mask & ~known);
    names.emplace_back(hex);
  }
  return names;
}

std::string nvml_driver_version() {
  const Nvml& n = nvml();
  char buf[96] = {0};
  if (!n.ok || n.driver(buf, sizeof buf) != 0) return "";
  return buf;
}

}  // namespace convmish
