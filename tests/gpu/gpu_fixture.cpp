#include "gpu/gpu_fixture.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "tuner/device.hpp"

namespace convmish::testing {
bool gpu_available(std::string* why) { return gpu_count(why) > 0; }

std::pair<int, std::string> run_logged(const std::string& command, const std::filesystem::path& log) {
  const int st = std::system((command + " > '" + log.string() + "' 2>&1").c_str());
  std::ifstream f(log);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), std::string(std::istreambuf_iterator<char>(f), {})};
}
}  // namespace convmish::testing
