// bench: the suite on Google Benchmark. One benchmark per variant and configuration, named
// "variant/param:value/...": each variant's best configuration from a results JSON (--results), else its default.
// Every configuration is validated first (a failing one is skipped with the verdict, and bench exits 1); each
// iteration is timed with CUDA events on the variant's stream, after the same L2 flush as the tuner (--hot: none),
// as manual time. Counters:
// TFLOP/s, GB/s and median_ms of the iterations, rel_l2 of the validation. CPU micro-benchmarks of host-side
// pieces (the float64 reference, JSON writing of a sweep) are always registered. Google Benchmark's own flags
// (--benchmark_filter, --benchmark_repetitions, --benchmark_format=json, ...) work unchanged.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <unistd.h>

#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/reference.hpp"
#include "tuner/results.hpp"
#include "tuner/rtc.hpp"
#include "tuner/session.hpp"

using namespace convmish;

namespace {

struct Options {
  std::string problem = "seed", results, variants = "*";
  bool hot = false;
};

// Takes the suite's own --name=value flags out of argv, leaving Google Benchmark's.
Options take_options(int& argc, char** argv) {
  Options o;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* key) { return a.substr(std::strlen(key)); };
    if (a.rfind("--problem=", 0) == 0) o.problem = value("--problem=");
    else if (a.rfind("--results=", 0) == 0) o.results = value("--results=");
    else if (a.rfind("--variants=", 0) == 0) o.variants = value("--variants=");
    else if (a == "--hot") o.hot = true;
    else argv[out++] = argv[i];
  }
  argc = out;
  return o;
}

// The GPU state every GPU benchmark shares, made on first use.
struct Gpu {
  Problem problem;
  DeviceInfo device;
  TimerSettings timer;
  std::unique_ptr<Session> session;
  std::unique_ptr<Compiler> compiler;
};
Gpu* g_gpu = nullptr;
int g_skipped = 0;  // GPU benchmarks that could not run: bench then exits 1

void skip(benchmark::State& st, const std::string& why) {
  ++g_skipped;
  st.SkipWithError(why.c_str());
}

void run_gpu(benchmark::State& st, const Variant* v, const Config& c) {
  Gpu& g = *g_gpu;
  try {
    if (!g.session) {
      g.session = std::make_unique<Session>(g.problem, g.device, g.timer, 1);
      g.compiler = std::make_unique<Compiler>(g.device.cc_major, g.device.cc_minor, Compiler::default_cache_dir());
    }
    if (const Support s = v->supports(g.problem, c, g.device); !s.ok) return skip(st, "unsupported: " + s.reason);
    std::vector<CompiledKernel> compiled;
    for (const auto& spec : v->kernels(g.problem, c)) compiled.push_back(g.compiler->compile(spec));
    PreparedConfig prep = g.session->prepare(*v, c, compiled);
    Buffers b = g.session->buffers(prep.workspace.get());
    const Verdict verdict = g.session->validate(*prep.instance, v->precision(c), b, 1);
    if (!verdict.pass) return skip(st, "incorrect: " + verdict.summary());
    const cudaStream_t s = g.session->stream();
    Event start, stop;
    prep.instance->launch(b, s);  // untimed first launch
    CUDA_CHECK(cudaStreamSynchronize(s));
    std::vector<double> ms;
    for (auto _ : st) {
      g.session->timer().flush();
      start.record(s);
      prep.instance->launch(b, s);
      stop.record(s);
      CUDA_CHECK(cudaEventSynchronize(stop.get()));
      ms.push_back(elapsed_ms(start, stop));
      st.SetIterationTime(ms.back() * 1e-3);
    }
    const double median = summarize(ms).median_ms;
    st.counters["median_ms"] = median;
    st.counters["TFLOP/s"] = g.problem.flops() / (median * 1e-3) / 1e12;
    st.counters["GB/s"] = g.problem.min_bytes() / (median * 1e-3) / 1e9;
    st.counters["rel_l2"] = verdict.rel_l2;
  } catch (const std::exception& e) {
    cudaGetLastError();
    skip(st, e.what());
  }
}

// Each variant's best configuration in `results` (when it has one), else its default.
std::vector<std::pair<const Variant*, Config>> pick_configs(const Options& o, const Problem& gpu_problem) {
  std::map<std::string, Config> best;
  if (!o.results.empty()) {
    const ResultsFile f = read_results(o.results);
    if (!(f.meta.value("problem", nlohmann::json::object()).value("shape", "") == gpu_problem.shape_string()))
      throw UsageError(o.results + " was measured on another problem than " + gpu_problem.shape_string());
    std::map<std::string, double> best_ms;
    for (const Record& r : f.records)
      if (r.status == Status::kOk && r.timing &&
          (!best_ms.count(r.variant) || r.timing->median_ms < best_ms[r.variant])) {
        best_ms[r.variant] = r.timing->median_ms;
        best[r.variant] = r.params;
      }
  }
  std::vector<std::pair<const Variant*, Config>> out;
  for (const Variant* v : Registry::instance().match(o.variants))
    out.emplace_back(v, best.count(v->id()) ? best[v->id()] : v->space().default_config());
  return out;
}

void BM_CpuReference(benchmark::State& st) {
  const Problem p = parse_problem("2,8,16,17,16,3");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> x(size_t(p.x_elems())), w(size_t(p.w_elems())), b(size_t(p.K));
  for (auto* t : {&x, &w, &b})
    for (auto& v : *t) v = u(rng);
  for (auto _ : st) benchmark::DoNotOptimize(cpu_reference(p, x, w, b));
  st.counters["GFLOP"] = benchmark::Counter(p.flops() * double(st.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CpuReference)->Unit(benchmark::kMillisecond);

// A sweep of N records written as the tuner writes them: each appended to the journal (flushed to disk), the
// document rewritten at most once a second and at the end.
void BM_JsonWriteSweep(benchmark::State& st) {
  const auto path =
      std::filesystem::temp_directory_path() / ("convmish_bench_sweep_" + std::to_string(::getpid()) + ".json");
  Record r;
  r.variant = "fused.igemm_tf32";
  r.params = {{"th", 4}, {"tw", 32}, {"bn", 128}};
  r.status = Status::kOk;
  r.timing = summarize(std::vector<double>(200, 1.25));
  for (auto _ : st) {
    ResultsWriter writer(path, {{"suite", "convmish"}});
    for (int i = 0; i < st.range(0); ++i) {
      r.id = i;
      writer.add(r);
    }
  }
  std::filesystem::remove(path);
  std::filesystem::remove(journal_path(path));
}
BENCHMARK(BM_JsonWriteSweep)->Arg(50)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  Options o;
  Gpu gpu;
  try {
    o = take_options(argc, argv);
    gpu.problem = parse_problem(o.problem);
    gpu.timer.cold = !o.hot;
    std::string why;
    if (gpu_count(&why) == 0) {
      std::cerr << "bench: no usable GPU (" << why << "): only the CPU micro-benchmarks are registered\n";
    } else {
      gpu.device = probe_device(0);
      g_gpu = &gpu;
      for (const auto& [v, c] : pick_configs(o, gpu.problem)) {
        const std::string name = v->id() + "/" + config_string(c);
        benchmark::RegisterBenchmark(name.c_str(), [v = v, c = c](benchmark::State& st) { run_gpu(st, v, c); })
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "bench: " << e.what() << "\n";
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_gpu = nullptr;
  if (g_skipped) std::cerr << "bench: " << g_skipped << " GPU benchmark(s) could not run (see their errors)\n";
  return g_skipped ? 1 : 0;
}
