// tuner: sweep the registered variants of Conv2d + bias + Mish^k over their tuning spaces, validate every
// configuration against the reference, time the correct ones and write a versioned JSON report.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <iostream>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>

#include "tuner/check.hpp"
#include "tuner/cubins.hpp"
#include "tuner/device.hpp"
#include "tuner/devices.hpp"
#include "tuner/export.hpp"
#include "tuner/mish_survey.hpp"
#include "tuner/nvtx.hpp"
#include "tuner/profile.hpp"
#include "tuner/problem.hpp"
#include "tuner/rtc.hpp"
#include "tuner/shard.hpp"
#include "tuner/sweep.hpp"
#include "tuner/tolerance.hpp"
#include "tuner/worker.hpp"

using namespace convmish;

namespace {

// Exit codes (documented in --help and the README).
constexpr int kExitOk = 0, kExitUsage = 2, kExitNoGpu = 3, kExitFatalGpu = 4;

void print_list(std::ostream& out) {
  out << "Variants (" << Registry::instance().all().size() << "):\n";
  for (const auto& v : Registry::instance().all()) {
    const auto& sp = v->space();
    std::set<std::string> precisions;
    const auto valid = sp.enumerate();
    for (const auto& c : valid) precisions.insert(v->precision(c));
    std::string prec;
    for (const auto& s : precisions) prec += (prec.empty() ? "" : ",") + s;
    out << "  " << std::left << std::setw(20) << v->id() << " [" << prec << "] " << valid.size() << " of "
        << sp.cartesian_size() << " configurations valid\n      " << v->description() << "\n";
    for (const auto& prm : sp.params()) {
      out << "      " << std::setw(10) << prm.name << " {";
      for (size_t i = 0; i < prm.values.size(); ++i) out << (i ? "," : "") << prm.values[i];
      out << "}" << (prm.help.empty() ? "" : "  " + prm.help) << "\n";
    }
    for (const auto& c : sp.constraints()) out << "      requires: " << c.description << "\n";
    out << "      default: " << config_string(sp.default_config()) << "\n";
  }
  out << "\nProblem presets:\n";
  for (const auto& name : problem_preset_names()) {
    const Problem p = parse_problem(name);
    out << "  " << std::setw(8) << name << p.shape_string() << "  " << std::fixed << std::setprecision(3)
        << p.flops() / 1e9 << " GFLOP, " << p.min_bytes() / 1e9 << " GB\n";
  }
  out << "\nPrecision classes (tolerances vs the fp64-accurate reference):\n";
  for (const auto& t : all_tolerances())
    out << "  " << std::setw(14) << t.precision << std::scientific << std::setprecision(0) << "rel_l2 <= " << t.rel_l2
        << ", |d| <= " << t.atol << " + " << t.rtol << "|ref|\n";
  out << std::defaultfloat;
}

void print_table(const std::vector<Record>& recs, std::ostream& out) {
  std::vector<const Record*> rows;
  for (const auto& r : recs) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](const Record* a, const Record* b) {
    if (bool(a->timing) != bool(b->timing)) return bool(a->timing);
    return a->timing && a->timing->median_ms < b->timing->median_ms;
  });
  size_t w = 16;
  for (const Record* r : rows) w = std::max(w, r->name().size() + 2);
  const int width = int(w);
  out << "\n" << std::left << std::setw(width) << "variant/config" << std::setw(14) << "status" << std::right
      << std::setw(11) << "median ms" << std::setw(9) << "TFLOP/s" << std::setw(9) << "GB/s" << std::setw(11)
      << "rel_l2" << std::setw(9) << "speedup" << "\n"
      << std::string(w + 63, '-') << "\n";
  for (const Record* r : rows) {
    out << std::left << std::setw(width) << r->name() << std::setw(14) << to_string(r->status) << std::right;
    std::ostringstream l2;
    if (r->verdict) l2 << std::scientific << std::setprecision(2) << r->verdict->rel_l2;
    if (r->timing)
      out << std::fixed << std::setprecision(3) << std::setw(11) << r->timing->median_ms << std::setprecision(1)
          << std::setw(9) << r->tflops << std::setprecision(0) << std::setw(9) << r->gbps << std::setw(11) << l2.str()
          << std::setprecision(2) << std::setw(8) << (r->speedup ? *r->speedup : 0.0) << "x" << parts_note(*r);
    else
      out << std::setw(11) << "-" << std::setw(9) << "-" << std::setw(9) << "-" << std::setw(11)
          << (l2.str().empty() ? "-" : l2.str()) << std::setw(9) << "-";
    out << "\n";
  }
  out << std::defaultfloat;
}

// The table, one per GPU model where the records come from several (--devices): their times are not comparable.
void print_tables(const std::vector<Record>& recs, std::ostream& out) {
  auto model = [](const Record& r) { return r.device ? r.device->name : std::string(); };  // "": not recorded
  std::vector<std::string> models;  // in order of appearance
  for (const auto& r : recs)
    if (std::find(models.begin(), models.end(), model(r)) == models.end()) models.push_back(model(r));
  if (models.size() < 2) return print_table(recs, out);
  out << "\nThe records come from " << models.size() << " GPU models, whose times are not comparable: one table "
      << "for each.\n";
  for (const auto& m : models) {
    std::vector<Record> of_model;
    std::copy_if(recs.begin(), recs.end(), std::back_inserter(of_model),
                 [&](const Record& r) { return model(r) == m; });
    out << "\n" << (m.empty() ? "(GPU not recorded)" : m) << ":";
    print_table(of_model, out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "convmish tuner: sweeps the variants of Conv2d(+bias) -> Mish^k over their tuning parameters, validates\n"
      "every configuration on fresh random inputs against cuDNN (FMA math) + a double-precision Mish, times the\n"
      "correct ones with CUDA events (cold L2 by default) and writes a versioned JSON report as it goes.\n\n"
      "Configurations run in a worker process that the tuner supervises: a kernel that faults or hangs (see\n"
      "--timeout) costs only its own record (launch_error, timeout) and a fresh worker goes on.\n\n"
      "Exit codes: 0 done; 1 another error; 2 bad usage (option, shape, filter, configuration, a problem too large\n"
      "for the GPU's memory); 3 no usable GPU (none, or one this build has no code for); 4 the GPU is lost (no\n"
      "fresh worker could start; with --no-isolation: a kernel faulted); records measured before that are kept in\n"
      "--out."};
  std::vector<std::string> config_specs;
  std::string problem_spec = "seed", out = "convmish-results.json", cache_dir;
  SweepOptions o;
  int mish_count = 2;
  bool list = false, hot = false, no_cache = false, no_baseline = false, no_bias = false, no_nvtx = false;
  size_t budget = 0;
  double time_budget = 0;
  app.add_option("-p,--problem", problem_spec,
                 "seed (64,64,256,256->128,3x3), small, kb_v0, or N,C,H,W,K,R[,S[,stride[,pad]]]")
      ->capture_default_str();
  app.add_option("--mish-count", mish_count, "Mish applications after the convolution")->capture_default_str();
  app.add_flag("--no-bias", no_bias, "convolution without bias");
  std::string x_range;
  double w_scale = 1.0;
  app.add_option("--x-range", x_range,
                 "LO,HI: validation inputs uniform in [LO, HI) instead of torch.rand's [0, 1), to check a variant on "
                 "your data's magnitudes (e.g. -3e4,3e4; the per-element atol scales with max(|LO|, |HI|) times "
                 "--w-scale); recorded in meta.problem.inputs");
  app.add_option("--w-scale", w_scale,
                 "weights and bias uniform in +-S/sqrt(C*R*S) (PyTorch's default bound times S)")
      ->capture_default_str();
  app.add_option("-v,--variants", o.variants, "comma-separated globs over variant ids, e.g. 'fused.*,cudnn.eager'")
      ->capture_default_str();
  o.strategy = "random";  // the fused variants' spaces hold thousands of configurations: sample by default
  app.add_option("-s,--strategy", o.strategy, "random (the default configuration plus draws) or exhaustive")
      ->capture_default_str()
      ->check(CLI::IsMember({"exhaustive", "random"}));
  app.add_option("-b,--budget", budget,
                 "configurations per variant: random draws the default plus N-1 (default 16); exhaustive stops "
                 "after N");
  app.add_option("-t,--time", time_budget, "start no new configuration after S seconds");
  app.add_option("-c,--config", config_specs,
                 "only this configuration, e.g. 'block:128'; repeat it to run several (each for the selected "
                 "variants whose parameters it fits; with --repeat, an A/B in one run)");
  std::string pin_spec;
  app.add_option("--pin", pin_spec,
                 "sweep only configurations with these parameter values, e.g. '-v fused.tiled_fp32 --pin form:4' "
                 "(fp32-class Mish); a selected variant without such a parameter is swept whole")
      ->excludes("--config");
  app.add_option("-o,--out", out, "JSON report (each record also goes to FILE.journal as it finishes)")
      ->capture_default_str();
  app.add_flag("--hot", hot, "time with a warm L2 (default: flush >= L2 before each sample)");
  app.add_option("--checks", o.checks, "validations per configuration, each on fresh random inputs")
      ->capture_default_str()->check(CLI::Range(1, 100));
  app.add_flag("--resume", o.resume,
               "keep the configurations already in --out's journal (same problem, GPU model and suite version)");
  app.add_option("--repeat", o.repeat, "run the whole plan N times (independent rounds, for compare)")
      ->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--seed", o.seed, "seed of the random inputs and of the random strategy")->capture_default_str();
  app.add_flag("--no-baseline", no_baseline, "do not time cudnn.eager/tf32:1 first (no speedups then)");
  app.add_option("--min-time", o.timer.min_time_s, "seconds of samples at least")->capture_default_str();
  app.add_option("--max-time", o.timer.max_time_s, "seconds of samples at most")->capture_default_str();
  app.add_option("--max-noise", o.timer.max_noise, "stop sampling when stddev/mean is below this")
      ->capture_default_str();
  app.add_option("--warmup-ms", o.timer.warmup_ms, "device milliseconds of warm-up")->capture_default_str();
  app.add_option("--cache-dir", cache_dir, "NVRTC cubin cache (default $CONVMISH_CACHE_DIR or ~/.cache/convmish)");
  app.add_flag("--no-cache", no_cache, "compile everything afresh, write no cache");
  app.add_option("--device", o.device, "CUDA device index")->capture_default_str();
  std::string devices_spec;
  app.add_option("--devices", devices_spec,
                 "all or I,J,...: one worker per GPU (each times the baseline itself), every configuration to "
                 "whichever is free, one JSON whose records name their GPU");
  bool no_isolation = false, worker = false;
  app.add_option("--timeout", o.timeout_s,
                 "watchdog: seconds a configuration may take (compile, validate, time) before its worker is killed "
                 "and it is recorded as timeout")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_flag("--no-isolation", no_isolation,
               "debugging: run every configuration in this process (no watchdog; a kernel fault ends the sweep, "
               "exit code 4)");
  app.add_flag("--worker", worker, "internal: serve configurations to the tuner that started this process")
      ->group("");
  std::string shard_spec;
  app.add_option("--shard", shard_spec,
                 "I/N: run only shard I (0-based) of N of the plan, for job arrays (the baseline runs in every "
                 "shard); join the shards' files with 'tuner merge'");
  app.add_flag("-l,--list", list, "list variants, parameter spaces, presets and tolerances (no GPU needed)");
  std::string cubin_dir;
  app.add_option("--cubin", cubin_dir,
                 "compile the selected configurations (each variant's default, or each -c) for --problem exactly as "
                 "a sweep does (NVRTC, sm_90/sm_90a) and write DIR/NAME.KERNEL.cubin with ptxas's report in .log; "
                 "no GPU needed (read them with cuobjdump -sass)");
  app.add_flag("--no-nvtx", no_nvtx, "emit no NVTX ranges (as CONVMISH_NVTX=0): to measure their overhead");
  ProfileOptions prof;
  bool profile = false, dry_run = false;
  std::string profile_best, plan;
  app.add_flag("--profile", profile,
               "profile mode: launch each selected configuration (--config, else each variant's default) "
               "--launches times inside cudaProfilerStart/Stop and its NVTX range; print the ncu and nsys commands");
  app.add_option("--profile-best", profile_best,
                 "profile mode on the best ok configuration of each variant in this results JSON (its problem "
                 "unless --problem is given)");
  app.add_option("--launches", prof.launches, "profile mode: launches of each configuration")
      ->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_flag("--dry-run", dry_run, "profile mode: print the selection and the commands; no GPU needed");
  app.add_option("--plan", plan, "profile mode: write the plan (targets, filters, commands, outcome) as JSON");
  app.add_option("--ncu-report", prof.ncu_report, "profile mode: report name in the printed ncu/nsys commands")
      ->capture_default_str();

  auto* survey = app.add_subcommand("survey", "accuracy survey of every Mish form over every finite float (GPU)");
  std::string survey_out = "mish_survey.json";
  uint32_t survey_stride = 1;
  survey->add_option("-o,--out", survey_out, "JSON output")->capture_default_str();
  survey->add_option("--stride", survey_stride, "test every N-th bit pattern (1: all 2^32)")->capture_default_str();
  auto* exporter = app.add_subcommand(
      "export", "write a results file's fastest (or chosen) configuration as a drop-in PyTorch module (no GPU)");
  ExportRequest export_req;
  std::string export_out = "model_new.py";
  exporter->add_option("--pytorch", export_req.results, "results JSON to export from (required)");
  exporter->add_option("--variant", export_req.variants, "only records of these variants (comma-separated globs)");
  exporter->add_option("--precision", export_req.precision, "only records of this precision class")
      ->check(CLI::IsMember({"fp32", "fp32_fastmath", "tf32"}));
  exporter->add_option("--record", export_req.record, "this record id");
  exporter->add_option("-o,--out", export_out, "Python file to write")->capture_default_str();
  auto* merger = app.add_subcommand(
      "merge", "join the results files of 'tuner --shard I/N' runs of one sweep; report missing or duplicated "
               "configurations (exit 1) (no GPU)");
  std::vector<std::string> merge_inputs;
  std::string merge_out;
  merger->add_option("shards", merge_inputs, "the shards' results files")->required();
  merger->add_option("-o,--out", merge_out, "merged results file (written atomically)")->required();
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {  // bad usage is exit 2 like every other usage error (CLI11 uses 100+)
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "tuner: " << one_line(e.what()) << " (--help for usage)\n";
    return kExitUsage;
  }

  try {
    if (no_nvtx && (profile || !profile_best.empty()))
      throw UsageError("--no-nvtx and --profile exclude each other: the profilers find launches by NVTX range");
    if (no_nvtx) set_nvtx_enabled(false);
    if (!profile && profile_best.empty() &&
        (dry_run || app.count("--plan") || app.count("--launches") || app.count("--ncu-report")))
      throw UsageError("--dry-run, --plan, --launches and --ncu-report belong to --profile / --profile-best");
    if (*merger) return merge_command(merge_inputs, merge_out, std::cout, std::cerr);
    if (app.count("--devices")) {
      o.devices = parse_devices(devices_spec);
      if (!worker && app.count("--device"))  // a worker gets --device from the tuner beside --devices
        throw UsageError("--devices and --device exclude each other: list the GPUs in --devices");
      if (no_isolation)
        throw UsageError("--devices runs one worker process per GPU: it excludes --no-isolation");
      if (profile || !profile_best.empty())
        throw UsageError("--devices belongs to the sweep: profile mode runs on one GPU (--device)");
    }
    if (!shard_spec.empty()) {
      const Shard s = parse_shard(shard_spec);
      o.shard_index = s.index;
      o.shard_count = s.count;
    }
    if (*exporter) {
      if (export_req.results.empty()) throw UsageError("export: --pytorch RESULTS.json is required");
      const ExportedModule m = export_pytorch(export_req);
      std::ofstream f(export_out, std::ios::binary);
      if (!(f << m.python) || !f.flush()) throw UsageError("export: cannot write " + export_out);
      std::cout << "exported " << m.record.name() << " (" << m.record.precision << ", tuner median "
                << m.record.timing->median_ms << " ms) to " << export_out << "\n";
      return kExitOk;
    }
    if (*survey) {
      const auto doc = run_mish_survey(o.device, survey_stride, std::cout);
      std::ofstream(survey_out) << doc.dump(1) << "\n";
      std::cout << "JSON: " << survey_out << "\n";
      return kExitOk;
    }
    if (list) {
      print_list(std::cout);
      return kExitOk;
    }
    Problem p = parse_problem(problem_spec);
    p.mish_count = mish_count;
    p.bias = !no_bias;
    p.seed = o.seed;
    if (!x_range.empty()) std::tie(p.x_lo, p.x_hi) = parse_range(x_range);
    p.w_scale = w_scale;
    p.validate();
    for (const std::string& spec : config_specs) o.configs.push_back(parse_config(spec));
    if (!cubin_dir.empty()) {
      if (profile || !profile_best.empty() || !pin_spec.empty())
        throw UsageError("--cubin takes -v and -c (or each variant's default), not --profile or --pin");
      const int n = write_cubins(p, o.variants, o.configs, cubin_dir, std::cout);
      std::cout << n << (n == 1 ? " kernel" : " kernels") << " written to " << cubin_dir << "\n";
      return kExitOk;
    }
    if (!pin_spec.empty()) o.pin = parse_config(pin_spec);
    if (!o.pin.empty() && (profile || !profile_best.empty()))
      throw UsageError("--pin narrows a sweep; --profile takes --config (or each variant's default)");
    if (profile || !profile_best.empty()) {
      prof.variants = o.variants;
      prof.configs = o.configs;
      prof.best_of = profile_best;
      prof.seed = o.seed;
      prof.device = o.device;
      prof.plan = plan;
      prof.argv.assign(argv, argv + argc);
      prof.cache_dir = no_cache ? std::filesystem::path{}
                                : (cache_dir.empty() ? Compiler::default_cache_dir() : std::filesystem::path(cache_dir));
      return profile_command(p, app.count("--problem") > 0, prof, dry_run, std::cout);
    }
    if (budget) o.budget = budget;
    if (time_budget > 0) o.time_budget_s = time_budget;
    o.timer.cold = !hot;
    o.baseline = !no_baseline;
    o.out = out;
    o.cache_dir = no_cache ? std::filesystem::path{}
                           : (cache_dir.empty() ? Compiler::default_cache_dir() : std::filesystem::path(cache_dir));
    if (worker) {  // isolation: the protocol goes over the socket that is stdout; anything printed, to stderr
      const int protocol_fd = ::dup(1);
      if (protocol_fd < 0 || ::dup2(2, 1) < 0) throw std::runtime_error("worker: cannot set up its socket");
      o.devices.reset();  // a worker serves the one GPU of its --device
      return run_worker(p, o, 0, protocol_fd);
    }
    if (!no_isolation) {  // this very binary, with the same options, as the worker
      o.worker_command = {"/proc/self/exe"};
      o.worker_command.insert(o.worker_command.end(), argv + 1, argv + argc);
      o.worker_command.push_back("--worker");
    }
    const auto records = run_sweep(p, o, std::cout);
    print_tables(records, std::cout);
    std::cout << "\nJSON report: " << out << "\n";
    return kExitOk;
  } catch (const UsageError& e) {  // every error: one line (one_line), the exit code documented in --help
    std::cerr << "tuner: " << one_line(e.what()) << "\n";
    return kExitUsage;
  } catch (const NoGpuError& e) {
    std::cerr << "tuner: " << one_line(e.what()) << "; the sweep and --profile need an NVIDIA GPU ('tuner --list' "
              << "and 'tuner --profile --dry-run' work without one)\n";
    return kExitNoGpu;
  } catch (const CudaError& e) {
    std::cerr << "tuner: fatal GPU error: " << one_line(e.what()) << "\n";
    return kExitFatalGpu;
  } catch (const std::exception& e) {
    std::cerr << "tuner: " << one_line(e.what()) << "\n";
    return 1;
  }
}
