#include "tuner/check.hpp"

#include <sstream>

namespace convmish {

CudaError::CudaError(const std::string& what, cudaError_t code) : std::runtime_error(what), code_(code) {}

bool CudaError::sticky() const {
  switch (code_) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorMisalignedAddress:
    case cudaErrorIllegalInstruction:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorHardwareStackError:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorUnknown:
      return true;
    default:
      return false;
  }
}

static std::string where(const char* call, const char* file, int line) {
  std::ostringstream s;
  s << call << " at " << file << ":" << line;
  return s.str();
}

void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  const std::string msg = std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ") in " +
                          where(call, file, line);
  if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice)
    throw NoGpuError("no usable GPU: " + msg);
  throw CudaError(msg, e);
}

void throw_nvrtc(nvrtcResult e, const char* call, const char* file, int line) {
  throw CompileError(std::string(nvrtcGetErrorString(e)) + " in " + where(call, file, line));
}

void throw_cudnn(cudnnStatus_t e, const char* call, const char* file, int line) {
  throw CudnnError(std::string(cudnnGetErrorString(e)) + " in " + where(call, file, line));
}

}  // namespace convmish
