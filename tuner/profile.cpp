#include "tuner/profile.hpp"

#include <cuda_profiler_api.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/nvtx.hpp"
#include "tuner/results.hpp"
#include "tuner/rtc.hpp"
#include "tuner/session.hpp"
#include "tuner/build_info.hpp"

namespace convmish {

using nlohmann::json;

std::vector<ProfileTarget> select_profile_targets(const ProfileOptions& o, Problem& p, bool problem_given) {
  if (o.launches < 1) throw UsageError("--launches must be at least 1");
  const std::vector<const Variant*> selected = Registry::instance().match(o.variants);
  std::vector<ProfileTarget> out;
  if (o.best_of.empty()) {
    const auto given = o.configs.empty() ? std::vector<std::vector<Config>>() : given_configs(selected, o.configs);
    for (size_t vi = 0; vi < selected.size(); ++vi) {
      const std::vector<Config> configs = given.empty() ? std::vector<Config>{selected[vi]->space().default_config()}
                                                        : given[vi];
      for (const Config& c : configs) {
        ProfileTarget t;
        t.variant = selected[vi];
        t.config = c;
        t.source = given.empty() ? "default" : "--config";
        t.id = int(out.size());
        t.name = record_name(t.variant->id(), t.config);
        out.push_back(std::move(t));
      }
    }
    return out;
  }

  if (!o.configs.empty()) throw UsageError("--profile-best takes each variant's best configuration: drop --config");
  const ResultsFile f = read_results(o.best_of);
  if (!problem_given) {
    if (!f.meta.contains("problem")) throw UsageError(o.best_of.string() + " has no meta.problem; give --problem");
    try {
      p = f.meta.at("problem").get<Problem>();
    } catch (const json::exception& e) {
      throw UsageError(o.best_of.string() + ": meta.problem is malformed (" + e.what() + ")");
    }
  }
  const json best = best_of(f.records)["per_variant"];
  for (const Variant* v : selected) {
    if (!best.contains(v->id())) continue;
    const Record* r = best_record(f.records, best.at(v->id()));
    if (!r) continue;  // best_of names timed ok records only: never reached
    if (auto why = v->space().violation(r->params))
      throw UsageError(o.best_of.string() + ": " + r->name() + " is outside " + v->id() + "'s space: " + *why);
    ProfileTarget t;
    t.variant = v;
    t.config = r->params;
    t.id = r->id;
    t.name = r->name();
    t.source = "best of " + o.best_of.filename().string();
    t.median_ms = r->timing->median_ms;
    out.push_back(std::move(t));
  }
  if (out.empty())
    throw UsageError(o.best_of.string() + " holds no ok configuration of a variant matching '" + o.variants + "'");
  return out;
}

std::string ncu_nvtx_filter(const std::string& range_name) {
  static const std::string kQuantifiers = "@,[]/*+";
  std::string s = std::string(NvtxDomain::name) + "@";
  for (char c : range_name) {
    if (c == '\\') throw UsageError("NVTX range name '" + range_name + "' holds a backslash");
    if (kQuantifiers.find(c) != std::string::npos) s += '\\';
    s += c;
  }
  return s + "/";
}

std::vector<std::string> profiled_command(const ProfileOptions& o) {
  std::vector<std::string> out;
  for (const auto& a : o.argv)
    if (a != "--dry-run") out.push_back(a);
  return out;
}

std::vector<std::string> ncu_command(const std::vector<ProfileTarget>& targets, const ProfileOptions& o,
                                     bool fallback) {
  std::vector<std::string> cmd = {"ncu", "--nvtx"};
  if (fallback) {
    cmd.insert(cmd.end(), {"--nvtx-include", std::string(NvtxDomain::name) + "@" + kProfileRange + "/"});
  } else {
    for (const auto& t : targets) cmd.insert(cmd.end(), {"--nvtx-include", ncu_nvtx_filter(t.name)});
  }
  cmd.insert(cmd.end(), {"--profile-from-start", "off", "--clock-control", "none"});
  for (const auto& s : kNcuSections) cmd.insert(cmd.end(), {"--section", s});
  cmd.insert(cmd.end(), {"--force-overwrite", "--export", o.ncu_report});
  for (const auto& a : profiled_command(o)) cmd.push_back(a);
  return cmd;
}

std::vector<std::string> nsys_command(const ProfileOptions& o) {
  // Only the cudaProfilerStart/Stop region is captured; 'stop' lets the tuner finish (the default,
  // stop-shutdown, ends the process at cudaProfilerStop).
  std::vector<std::string> cmd = {"nsys", "profile", "--capture-range=cudaProfilerApi", "--capture-range-end=stop",
                                  "--trace=cuda,nvtx", "--force-overwrite=true", "--output=" + o.ncu_report + "-nsys"};
  for (const auto& a : profiled_command(o)) cmd.push_back(a);
  return cmd;
}

std::string shell_join(const std::vector<std::string>& argv) {
  static const std::string kSafe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%^";
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    if (!a.empty() && a.find_first_not_of(kSafe) == std::string::npos) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

json profile_plan(const Problem& p, const std::vector<ProfileTarget>& targets, const ProfileOptions& o) {
  json t = json::array();
  for (const auto& x : targets) {
    json j = {{"name", x.name},     {"variant", x.variant->id()}, {"config", x.config}, {"id", x.id},
              {"source", x.source}, {"status", x.status},         {"nvtx_filter", ncu_nvtx_filter(x.name)}};
    if (x.median_ms) j["median_ms"] = *x.median_ms;
    if (!x.reason.empty()) j["reason"] = x.reason;
    t.push_back(j);
  }
  return {{"schema", "convmish.profile_plan"},
          {"schema_version", 1},
          {"suite_version", CONVMISH_VERSION},
          {"git_commit", CONVMISH_GIT_COMMIT},
          {"problem", p},
          {"results", o.best_of.empty() ? json() : json(o.best_of.string())},
          {"launches", o.launches},
          {"nvtx_domain", NvtxDomain::name},
          {"profile_range", kProfileRange},
          {"ncu_sections", kNcuSections},
          {"ncu_report", o.ncu_report + ".ncu-rep"},
          {"targets", t},
          {"ncu_command", ncu_command(targets, o)},
          {"ncu_fallback_command", ncu_command(targets, o, true)},
          {"nsys_command", nsys_command(o)}};
}

void print_profile_plan(const Problem& p, const std::vector<ProfileTarget>& targets, const ProfileOptions& o,
                        std::ostream& out) {
  out << "profile: " << targets.size() << " configuration(s) of " << p.name << " (" << p.shape_string() << "), "
      << o.launches << " launch(es) each, no L2 flush, inside cudaProfilerStart/Stop\n";
  for (const auto& t : targets) {
    out << "  [id " << t.id << "] " << t.name << "  (" << t.source;
    if (t.median_ms) out << ", " << std::fixed << std::setprecision(3) << *t.median_ms << " ms" << std::defaultfloat;
    out << ")\n";
  }
  out << "\nNsight Compute, these launches only (each found by its NVTX range):\n  " << shell_join(ncu_command(targets, o))
      << "\n\nNsight Systems, the profiled region only:\n  " << shell_join(nsys_command(o)) << "\n";
}

int run_profile(const Problem& p, std::vector<ProfileTarget>& targets, const ProfileOptions& o, std::ostream& log) {
  p.validate();
  const DeviceInfo dev = probe_device(o.device);
  if (!nvtx_enabled()) {
    log << "profile: CONVMISH_NVTX=0 ignored: the profilers find the launches by their NVTX ranges\n";
    set_nvtx_enabled(true);
  }
  TimerSettings timer;
  timer.cold = false;  // no flush buffer: nothing is timed here
  Session bench(p, dev, timer, 1);
  Compiler compiler(dev.cc_major, dev.cc_minor, o.cache_dir);

  std::vector<std::unique_ptr<PreparedConfig>> prepared(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    ProfileTarget& t = targets[i];
    auto skip = [&](const std::string& why) {
      t.status = "skipped";
      t.reason = why.substr(0, why.find('\n'));
      prepared[i].reset();
      log << "  " << t.name << ": skipped (" << t.reason << ")\n";
    };
    try {
      if (const Support s = t.variant->supports(p, t.config, dev); !s.ok) {
        skip("unsupported: " + s.reason);
        continue;
      }
      std::vector<CompiledKernel> compiled;
      for (const auto& spec : t.variant->kernels(p, t.config)) compiled.push_back(compiler.compile(spec));
      prepared[i] = std::make_unique<PreparedConfig>(bench.prepare(*t.variant, t.config, compiled));
      if (o.validate) {
        Buffers b = bench.buffers(prepared[i]->workspace.get());
        const Verdict v = bench.validate(*prepared[i]->instance, t.variant->precision(t.config), b,
                                         o.seed * 1000003u + uint64_t(i) + 1);
        if (!v.pass) {
          skip("incorrect: " + v.summary());
          continue;
        }
        log << "  " << t.name << ": validated, rel_l2 " << std::scientific << std::setprecision(2) << v.rel_l2
            << std::defaultfloat << "\n";
      }
    } catch (const CudaError& e) {
      if (e.sticky()) throw;
      cudaGetLastError();
      skip(e.what());
    } catch (const CompileError& e) {
      skip(std::string("compile error: ") + e.what());
    } catch (const CudnnError& e) {
      skip(e.what());
    } catch (const UsageError& e) {
      skip(e.what());
    }
  }

  int profiled = 0;
  CUDA_CHECK(cudaStreamSynchronize(bench.stream()));
  CUDA_CHECK(cudaProfilerStart());
  {
    nvtx3::scoped_range_in<NvtxDomain> region{kProfileRange};
    for (size_t i = 0; i < targets.size(); ++i) {
      if (!prepared[i]) continue;
      Buffers b = bench.buffers(prepared[i]->workspace.get());
      {
        NvtxConfig range(targets[i].name, targets[i].id);
        for (int n = 0; n < o.launches; ++n) prepared[i]->instance->launch(b, bench.stream());
      }
      CUDA_CHECK(cudaStreamSynchronize(bench.stream()));
      targets[i].status = "profiled";
      ++profiled;
    }
  }
  CUDA_CHECK(cudaProfilerStop());
  log << "profile: " << profiled << " of " << targets.size() << " configuration(s) launched " << o.launches
      << " time(s) each inside cudaProfilerStart/Stop\n";
  return profiled;
}

namespace {

void write_plan(const std::filesystem::path& path, const json& plan) {
  if (path.empty()) return;
  std::ofstream f(path);
  if (!f) throw UsageError(path.string() + ": cannot write the profile plan");
  f << plan.dump(1) << "\n";
  if (!f.flush()) throw UsageError(path.string() + ": write failed");
}

}  // namespace

int profile_command(Problem p, bool problem_given, const ProfileOptions& o, bool dry_run, std::ostream& out) {
  std::vector<ProfileTarget> targets = select_profile_targets(o, p, problem_given);
  p.validate();
  write_plan(o.plan, profile_plan(p, targets, o));
  if (dry_run) {
    print_profile_plan(p, targets, o, out);
    if (!o.plan.empty()) out << "\nplan: " << o.plan.string() << "\n";
    return 0;
  }
  probe_device(o.device);  // no GPU: NoGpuError before anything is printed
  print_profile_plan(p, targets, o, out);
  out << "\n";
  const int profiled = run_profile(p, targets, o, out);
  write_plan(o.plan, profile_plan(p, targets, o));
  return profiled == int(targets.size()) ? 0 : 1;
}

}  // namespace convmish
