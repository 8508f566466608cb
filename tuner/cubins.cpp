#include "tuner/cubins.hpp"

#include <algorithm>
#include <fstream>

#include "tuner/check.hpp"
#include "tuner/profile.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {

namespace {
// The record name as a file name: "fused.igemm_tf32/bn:64/ck:8" -> "fused.igemm_tf32__bn-64__ck-8".
std::string file_stem(const std::string& name) {
  std::string s;
  for (const char c : name) {
    if (c == '/') s.append("__");
    else s.push_back(c == ':' ? '-' : c);
  }
  return s;
}

void write_file(const std::filesystem::path& path, const char* data, size_t size) {
  std::ofstream f(path, std::ios::binary);
  if (!f.write(data, std::streamsize(size)) || !f.flush()) throw UsageError("--cubin: cannot write " + path.string());
}
}  // namespace

int write_cubins(const Problem& problem, const std::string& variants, const std::vector<Config>& configs,
                 const std::filesystem::path& dir, std::ostream& out) {
  ProfileOptions o;  // the same selection as --profile: defaults, or each -c for the variants it fits
  o.variants = variants;
  o.configs = configs;
  Problem p = problem;
  const std::vector<ProfileTarget> targets = select_profile_targets(o, p, true);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError("--cubin: cannot create " + dir.string() + ": " + ec.message());
  const Compiler compiler(9, 0, {});
  int written = 0;
  for (const ProfileTarget& t : targets) {
    const std::vector<KernelSpec> specs = t.variant->kernels(p, t.config);
    if (specs.empty()) {
      out << t.name << ": no kernels of its own (library calls), skipped\n";
      continue;
    }
    for (size_t i = 0; i < specs.size(); ++i) {
      KernelSpec spec = specs[i];
      spec.options.push_back("--ptxas-options=-v");
      const CompiledKernel k = compiler.compile(spec);
      // A kernel that runs more than once (a pass per Mish, say) gets its position: NAME.KERNEL.2 ...
      const bool repeated = std::count_if(specs.begin(), specs.end(),
                                          [&](const KernelSpec& s) { return s.name == spec.name; }) > 1;
      std::string file = file_stem(t.name);
      file.append(".").append(spec.name);
      if (repeated) file.append(".").append(std::to_string(i + 1));
      const std::filesystem::path stem = dir / file;
      write_file(stem.string() + ".cubin", k.cubin.data(), k.cubin.size());
      write_file(stem.string() + ".log", k.log.data(), k.log.size());
      out << stem.string() << ".cubin (" << k.arch << ", " << k.cubin.size() << " bytes; ptxas report in .log)\n";
      ++written;
    }
  }
  return written;
}

}  // namespace convmish
