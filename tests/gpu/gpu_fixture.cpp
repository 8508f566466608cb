#include "gpu/gpu_fixture.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>

#include "tuner/device.hpp"

namespace convmish::testing {
bool gpu_available(std::string* why) { return gpu_count(why) > 0; }

std::filesystem::path scratch_dir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("convmish_" + name + "_gpu_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

std::pair<int, std::string> run_logged(const std::string& command, const std::filesystem::path& log) {
  const int st = std::system((command + " > '" + log.string() + "' 2>&1").c_str());
  std::ifstream f(log);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), std::string(std::istreambuf_iterator<char>(f), {})};
}

#ifdef CONVMISH_TUNER
ConfigRun run_configs(const std::filesystem::path& dir, const std::string& shape, const std::string& pattern,
                      const VariantConfigs& configs, const std::string& options) {
  ConfigRun out;
  std::string c_options;
  // Each configuration once: a -c runs for every selected variant whose parameters it fits (two variants may share
  // a space and a default: fused.igemm_3xtf32 and fused.igemm_tf32f16), and the tuner refuses one given twice.
  std::set<std::string> given;
  for (const auto& [id, c] : configs)
    if (given.insert(config_string(c)).second) c_options += " -c " + config_string(c);
  const std::filesystem::path json = dir / "configs.json";
  std::filesystem::remove(json);
  std::filesystem::remove(journal_path(json));
  int exit_code = 0;
  std::tie(exit_code, out.log) = run_logged(
      std::string("'") + CONVMISH_TUNER + "' -p " + shape + " -v '" + pattern + "'" + c_options +
          " --no-baseline --checks 2 --min-time 0 --max-time 0.02 --warmup-ms 1 --timeout 120 " + options + " -o '" +
          json.string() + "'",
      dir / "configs.log");
  [&] { ASSERT_EQ(exit_code, 0) << shape << "\n" << out.log; }();
  if (exit_code != 0) return out;
  const ResultsFile f = read_results(json);
  for (const auto& [id, c] : configs) {
    const auto it = std::find_if(f.records.begin(), f.records.end(),
                                 [&](const Record& r) { return r.variant == id && r.params == c; });
    [&] { ASSERT_NE(it, f.records.end()) << record_name(id, c) << " not in the results of " << shape << "\n" << out.log; }();
    if (it == f.records.end()) return out;
    out.records.push_back(*it);
  }
  return out;
}
#endif
const std::vector<std::string>& tma_shapes() {
  static const std::vector<std::string> shapes = {"2,16,34,36,32,3",     "2,3,12,16,1,3",       "1,5,9,8,7,3",
                                                  "2,5,14,16,9,3,3,1,1", "2,6,11,12,9,5,5,1,2", "1,32,40,44,65,3",
                                                  "4,3,20,21,16,3",      "3,5,16,20,7,3,3,2,1"};
  return shapes;
}

}  // namespace convmish::testing
