#include "tuner/cubins.hpp"

#include <fstream>
#include <map>

#include "tuner/check.hpp"
#include "tuner/device.hpp"
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

DeviceInfo sm90_device() {
  DeviceInfo d;
  d.name = "H100 (assumed by --cubin)";
  d.cc_major = 9, d.cc_minor = 0, d.sm_count = 132;
  d.l2_bytes = size_t(50) << 20;
  d.smem_per_block_optin = 232448, d.smem_per_sm = 233472;
  d.regs_per_sm = 65536, d.max_threads_per_sm = 2048;
  return d;
}

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
  {  // writable? (before the first compilation)
    const std::filesystem::path probe = dir / ".convmish-cubin-probe";
    write_file(probe, "", 0);
    std::filesystem::remove(probe, ec);
  }
  const Compiler compiler(9, 0, {});
  const DeviceInfo h100 = sm90_device();
  int written = 0;
  for (const ProfileTarget& t : targets) {
    // What a sweep on an H100 would decline (a stride the kernel has no code for, shared memory) is not compiled.
    if (const Support s = t.variant->supports(p, t.config, h100); !s.ok) {
      out << t.name << ": unsupported on an H100 (" << s.reason << "), skipped\n";
      continue;
    }
    const std::vector<KernelSpec> specs = t.variant->kernels(p, t.config);
    if (specs.empty()) {
      out << t.name << ": no kernels of its own (library calls), skipped\n";
      continue;
    }
    std::map<std::string, int> runs;  // kernel name -> how many times the configuration runs it
    for (const KernelSpec& s : specs) ++runs[s.name];
    std::map<std::string, int> seen;  // kernel name -> its runs written so far
    for (KernelSpec spec : specs) {
      spec.options.push_back("--ptxas-options=-v");
      const CompiledKernel k = compiler.compile(spec);
      // A kernel that runs more than once (a pass per Mish, say) gets its run's number: NAME.KERNEL.1, .2, ...
      std::string file = file_stem(t.name);
      file.append(".").append(spec.name);
      const int run = ++seen[spec.name];
      if (runs[spec.name] > 1) file.append(".").append(std::to_string(run));
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
