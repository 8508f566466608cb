// The GPU as the engine sees it: its properties, move-only owners of device memory, streams and events, and the
// SM clock read through NVML (opened with dlopen, so the binaries start where no driver exists).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <cuda_runtime_api.h>
#include <nlohmann/json_fwd.hpp>

namespace convmish {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  size_t l2_bytes = 0;
  size_t global_mem = 0;
  size_t smem_per_block_optin = 0;
  size_t smem_per_sm = 0;
  int regs_per_sm = 0;
  int max_threads_per_sm = 0;
  std::string pci_bus_id;
  std::string uuid;
  int driver_version = 0;   // e.g. 13000
  int runtime_version = 0;
  std::string arch() const { return "sm_" + std::to_string(cc_major) + std::to_string(cc_minor); }
};

// Throws NoGpuError with a clear reason when no usable GPU is present, or when the GPU has a compute capability
// this build has no engine code for (architecture_mismatch with CMAKE_CUDA_ARCHITECTURES); UsageError for an index
// beyond the GPUs present (require_gpu_index).
DeviceInfo probe_device(int index = 0);
// NoGpuError("no usable GPU: why") when `count` (gpu_count) is 0, as for any GPU command.
void require_gpu(int count, const std::string& why);
// GPU `index` of the `count` present, asked for by `option` (--device, --devices): require_gpu, then UsageError
// (exit 2) naming the option when there is no such GPU.
void require_gpu_index(const std::string& option, int index, int count, const std::string& why);
// Why engine kernels that nvcc built for `cuda_architectures` (CMAKE_CUDA_ARCHITECTURES, ',' or ';' separated:
// "90", "80,90-real", "90a") cannot run on a GPU of compute capability major.minor; nullopt when they can, or when
// the list is resolved by CMake alone (all, all-major, native). SASS for sm_XY runs on X.Z with Z >= Y; PTX for
// compute_XY is compiled by the driver for any capability >= X.Y; arch-specific code (90a) runs on X.Y only.
std::optional<std::string> architecture_mismatch(int major, int minor, const std::string& cuda_architectures);
// The number of GPUs, or 0 (never throws); `why` receives the runtime's reason when it is 0.
int gpu_count(std::string* why = nullptr);

void to_json(nlohmann::json& j, const DeviceInfo& d);

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);  // throws CudaError (cudaErrorMemoryAllocation) with the size asked for
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return p_; }
  template <typename T>
  T* as() const { return static_cast<T*>(p_); }
  size_t bytes() const { return bytes_; }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }
  void sync() const;

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event();
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) const;

 private:
  cudaEvent_t e_ = nullptr;
};

// Milliseconds between two recorded, completed events.
double elapsed_ms(const Event& start, const Event& stop);

// The current SM clock of a device (MHz) from NVML, or nullopt where NVML is absent.
std::optional<int> sm_clock_mhz(const DeviceInfo& d);
// NVML's driver version string, or "" where NVML is absent.
std::string nvml_driver_version();
// The device's energy counter since the driver loaded (mJ; NVML, Volta and newer), or nullopt.
std::optional<unsigned long long> energy_mj(const DeviceInfo& d);
// NVML's bit mask of what holds the clocks down now (nvmlClocksEventReason*), or nullopt.
std::optional<unsigned long long> clock_event_reasons(const DeviceInfo& d);
// The enforced board power limit (W), or nullopt.
std::optional<double> power_limit_w(const DeviceInfo& d);
// The names of a clocks-event mask, in bit order: gpu_idle, applications_clocks, sw_power_cap, hw_slowdown,
// sync_boost, sw_thermal, hw_thermal, hw_power_brake, display_clocks; unknown bits as one "other:0x...".
std::vector<std::string> clock_event_names(unsigned long long mask);

}  // namespace convmish
