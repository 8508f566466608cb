// Error checking: one macro per API family (CUDA runtime, NVRTC, cuDNN), each throwing with file, line, call and
// error name. Library code throws; only the binaries decide how to exit.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <nvrtc.h>

namespace convmish {

// Any CUDA runtime failure. `sticky` marks errors that poison the context (illegal address, launch failure...):
// after one of them no further work on this device can succeed in this process.
class CudaError : public std::runtime_error {
 public:
  CudaError(const std::string& what, cudaError_t code);
  cudaError_t code() const { return code_; }
  bool sticky() const;

 private:
  cudaError_t code_;
};

// No usable GPU: no driver (the runtime says "driver version is insufficient"), no device, or a device the
// suite cannot run on. The message says which.
class NoGpuError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CompileError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CudnnError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Bad input from the user (shape, filter, file): reported as one line, exit code 2.
class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A message as one printable line of at most `max_chars` characters: control characters (a newline in a file
// name or in a JSON key read from a file) become \xNN escapes, and a longer message is cut with "...".
inline std::string one_line(std::string_view s, size_t max_chars = 400) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    else out += ch;
    if (out.size() > max_chars) return out.substr(0, max_chars - 3) + "...";
  }
  return out;
}

[[noreturn]] void throw_cuda(cudaError_t e, const char* call, const char* file, int line);
[[noreturn]] void throw_nvrtc(nvrtcResult e, const char* call, const char* file, int line);
[[noreturn]] void throw_cudnn(cudnnStatus_t e, const char* call, const char* file, int line);

}  // namespace convmish

#define CUDA_CHECK(call)                                                               \
  do {                                                                                 \
    cudaError_t cm_e_ = (call);                                                        \
    if (cm_e_ != cudaSuccess) ::convmish::throw_cuda(cm_e_, #call, __FILE__, __LINE__); \
  } while (0)

// After every kernel launch: a launch-configuration error shows up here, not at the next sync.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

#define NVRTC_CHECK(call)                                                                \
  do {                                                                                   \
    nvrtcResult cm_e_ = (call);                                                          \
    if (cm_e_ != NVRTC_SUCCESS) ::convmish::throw_nvrtc(cm_e_, #call, __FILE__, __LINE__); \
  } while (0)

#define CUDNN_CHECK(call)                                                                       \
  do {                                                                                          \
    cudnnStatus_t cm_e_ = (call);                                                               \
    if (cm_e_ != CUDNN_STATUS_SUCCESS) ::convmish::throw_cudnn(cm_e_, #call, __FILE__, __LINE__); \
  } while (0)
