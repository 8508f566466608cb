// What ptxas reports through NVRTC when a kernel is compiled with CONVMISH_NVRTC_OPTIONS=--ptxas-options=-v.
#pragma once
#include <cstdlib>
#include <regex>
#include <string>

namespace convmish::testing_ptxas {

// "N bytes spill stores, M bytes spill loads", summed over every function in the log.
inline int spill_bytes(const std::string& log) {
  static const std::regex re("([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads");
  int total = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
    total += std::stoi((*it)[1]) + std::stoi((*it)[2]);
  return total;
}

// "Used N registers" of entry function `kernel` (of the first function in the log when `kernel` is empty); -1: none.
inline int registers(const std::string& log, const std::string& kernel = "") {
  const size_t from = kernel.empty() ? 0 : log.find("Compiling entry function '" + kernel + "'");
  if (from == std::string::npos) return -1;
  static const std::regex re("Used ([0-9]+) registers");
  std::smatch m;
  const std::string rest = log.substr(from);
  return std::regex_search(rest, m, re) ? std::stoi(m[1]) : -1;
}

// The spill bytes of entry function `kernel`: its "Function properties" block up to the next function's.
inline int spill_bytes(const std::string& log, const std::string& kernel) {
  const size_t from = log.find("Function properties for " + kernel + "\n");
  if (from == std::string::npos) return -1;
  const size_t to = log.find("Function properties for ", from + 1);
  return spill_bytes(log.substr(from, to == std::string::npos ? std::string::npos : to - from));
}

// ptxas's C751x notes "wgmma.mma_async instructions are serialized due to ...": each wgmma then waits for the
// previous one, a silent loss of most of the tensor core's rate.
inline bool wgmma_serialized(const std::string& log) {
  return log.find("wgmma.mma_async instructions are serialized") != std::string::npos;
}

// Sets CONVMISH_NVRTC_OPTIONS=--ptxas-options=-v for its lifetime, then puts back what was there.
class VerbosePtxas {
 public:
  VerbosePtxas() {
    if (const char* had = std::getenv("CONVMISH_NVRTC_OPTIONS")) saved_ = had, had_ = true;
    setenv("CONVMISH_NVRTC_OPTIONS", "--ptxas-options=-v", 1);
  }
  ~VerbosePtxas() {
    if (had_) setenv("CONVMISH_NVRTC_OPTIONS", saved_.c_str(), 1);
    else unsetenv("CONVMISH_NVRTC_OPTIONS");
  }
  VerbosePtxas(const VerbosePtxas&) = delete;
  VerbosePtxas& operator=(const VerbosePtxas&) = delete;

 private:
  std::string saved_;
  bool had_ = false;
};

}  // namespace convmish::testing_ptxas
