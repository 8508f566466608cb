// tuner export --pytorch (no GPU): for every exportable variant the generated module holds the kernel source with
// its headers inlined, the record's defines, the functions load_inline binds, ModelNew keeping an nn.Conv2d, and
// get_inputs / get_init_inputs; python3 compiles it; its kernels compile with NVRTC for sm_90, and for one variant
// per exporter nvcc compiles the whole CUDA part with the launch (torch, absent here, left out; the cuDNN part is
// linked against libcudnn). A cuDNN-based record's module calls cudnnConvolutionForward with the record's algorithm
// and math type (checked on the committed H100 results). Bad input is one UsageError line, exit code 2 from the
// binary.
#include <gtest/gtest.h>

#include <nvrtc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "tuner/check.hpp"
#include "tuner/cudnn_conv.hpp"
#include "tuner/export.hpp"
#include "tuner/timer.hpp"
#include "variants/conv_then_mish.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

fs::path temp_root() { return fs::temp_directory_path() / ("convmish_export_test_" + std::to_string(::getpid())); }

fs::path temp_dir() {
  const fs::path d = temp_root();
  fs::create_directories(d);
  return d;
}

// This process's scratch folder goes when its tests are done (ctest runs each test in a process of its own).
class RemoveTempRoot : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(temp_root(), ec);
  }
};
[[maybe_unused]] ::testing::Environment* const kRemoveTempRoot =
    ::testing::AddGlobalTestEnvironment(new RemoveTempRoot);

Record ok_record(int id, const std::string& variant, const Config& c, const std::string& precision, double ms) {
  Record r;
  r.id = id;
  r.variant = variant;
  r.params = c;
  r.precision = precision;
  r.status = Status::kOk;
  r.timing = summarize({ms, ms * 1.01, ms * 0.99});
  return r;
}

fs::path write_results(const std::string& name, const std::vector<Record>& records,
                       const Problem& p = parse_problem("seed")) {
  const fs::path path = temp_dir() / name;
  nlohmann::json doc = {{"schema", kSchemaName},
                        {"schema_version", kSchemaVersion},
                        {"meta", {{"problem", p}, {"device", {{"name", "Test GPU"}, {"sm_count", 132}}}}},
                        {"records", records}};
  std::ofstream(path) << doc.dump(1);
  return path;
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const size_t a = text.find(open);
  if (a == std::string::npos) return {};
  const size_t b = text.find(close, a + open.size());
  return b == std::string::npos ? std::string() : text.substr(a + open.size(), b - a - open.size());
}

std::string cuda_part(const std::string& python) { return between(python, "CUDA_SOURCE = r\"\"\"", "\"\"\""); }

int run(const std::string& cmd, std::string* output = nullptr) {
  const fs::path log = temp_dir() / "cmd.log";
  const int rc = std::system((cmd + " > " + log.string() + " 2>&1").c_str());
  if (output) {
    std::ifstream in(log);
    output->assign(std::istreambuf_iterator<char>(in), {});
  }
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool have(const std::string& tool) { return run("command -v " + tool) == 0; }

std::string nvcc() {
#ifdef CONVMISH_NVCC
  if (fs::exists(CONVMISH_NVCC)) return CONVMISH_NVCC;
#endif
  return have("nvcc") ? "nvcc" : "";
}

bool cudnn_based(const Variant& v) { return dynamic_cast<const ConvThenMishVariant*>(&v) != nullptr; }

// What the tuner records for a cuDNN-based configuration: cudnnFind's algorithm and math type.
nlohmann::json cudnn_details(const std::string& algo, const std::string& math) {
  return {{"cudnn_algo", algo}, {"cudnn_math", math}, {"workspace_bytes", 0}};
}

// The UsageError an export throws (checked to be one line), or "no error".
std::string export_error(const ExportRequest& req) {
  try {
    export_pytorch(req);
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return std::string(e.what());
  }
  return std::string("no error");
}

ExportedModule export_default(const std::string& id) {
  const Variant* v = Registry::instance().find(id);
  const Config c = v->space().default_config();
  Record r = ok_record(7, id, c, v->precision(c), 3.5);
  // The persistent kernels' exporter takes the shared memory from the record's details.
  if (id.rfind("fused.igemm_", 0) == 0 || id.rfind("fused.wgmma_", 0) == 0) r.details = {{"smem_bytes", 100000}};
  if (cudnn_based(*v))
    r.details = cudnn_details("IMPLICIT_PRECOMP_GEMM", ConvThenMishVariant::tf32(c) ? "TENSOR_OP" : "FMA");
  const fs::path path = write_results(id + ".json", {r});
  ExportRequest req;
  req.results = path;
  req.variants = id;
  return export_pytorch(req);
}

// A variant without an exporter, whose defines depend on C (rounded up to 8) and on W % 4.
class ShapeDependent : public Variant {
 public:
  explicit ShapeDependent(std::string id) : id_(std::move(id)) {}
  std::string id() const override { return id_; }
  std::string description() const override { return "test"; }
  std::string precision(const Config&) const override { return "fp32"; }
  const ParamSpace& space() const override { return space_; }
  std::vector<KernelSpec> kernels(const Problem& p, const Config&) const override {
    return {{"conv_naive_fused.cu", "conv_naive_fused",
             {{"CPAD", std::to_string((p.C + 7) / 8 * 8)}, {"VEC", p.W % 4 == 0 ? "1" : "0"}}}};
  }
  std::unique_ptr<Instance> instantiate(const Problem&, const Config&, std::vector<LoadedKernel>,
                                        const LaunchEnv&) const override {
    return nullptr;
  }

 private:
  std::string id_;
  ParamSpace space_;
};

std::vector<std::string> exportable() { return exportable_variant_ids(); }

}  // namespace

TEST(Export, EveryFusedAndConvThenMishVariantIsExportable) {
  const auto ids = exportable();
  for (const char* id : {"fused.naive", "fused.tiled_fp32", "fused.igemm_tf32", "fused.igemm_3xtf32",
                         "mish.float4", "mish.fastmath", "mish.fused2", "mish.naive", "cudnn.eager"})
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
}

class ExportVariant : public testing::TestWithParam<std::string> {};

TEST_P(ExportVariant, ModuleHoldsKernelDefinesBindingsAndModelNew) {
  const ExportedModule m = export_default(GetParam());
  const std::string& py = m.python;
  const Variant* v = Registry::instance().find(GetParam());
  const auto specs = v->kernels(parse_problem("seed"), v->space().default_config());
  const std::string cuda = cuda_part(py);
  ASSERT_FALSE(cuda.empty()) << "no CUDA_SOURCE raw string";
  for (const auto& s : specs) {
    EXPECT_NE(cuda.find("extern \"C\" __global__"), std::string::npos);
    EXPECT_NE(cuda.find(s.name + "("), std::string::npos) << s.name;
    EXPECT_NE(cuda.find("// ---- kernels/" + s.source + " ----"), std::string::npos) << s.source;
    for (const auto& [name, value] : s.defines) EXPECT_NE(cuda.find("#define " + name + " " + value + "\n"), std::string::npos) << name;
  }
  EXPECT_EQ(std::regex_search(cuda, std::regex(R"(\n\s*#\s*include\s*")")), false) << "an #include \"...\" is left";
  EXPECT_NE(cuda.find("struct ConvMishArgs"), std::string::npos);  // common.cuh, inlined once
  EXPECT_EQ(cuda.find("struct ConvMishArgs"), cuda.rfind("struct ConvMishArgs"));
  const bool fused = GetParam().rfind("fused.", 0) == 0;
  EXPECT_EQ(fused, !cudnn_based(*v));
  for (const std::string f : fused ? std::vector<std::string>{"conv_mish_forward", "conv_mish_workspace_bytes"}
                                   : std::vector<std::string>{"conv_mish_forward", "conv_mish_algorithm",
                                                              "cudnn_version"}) {
    EXPECT_NE(py.find("FUNCTIONS = [") , std::string::npos);
    EXPECT_NE(between(py, "FUNCTIONS = [", "]").find("\"" + f + "\""), std::string::npos) << f;
    EXPECT_NE(cuda.find(f + "("), std::string::npos) << f << " is not defined";
    EXPECT_NE(between(py, "CPP_SOURCE = r\"\"\"", "\"\"\"").find(f + "("), std::string::npos) << f << " not declared";
  }
  for (const char* s : {"load_inline(", "functions=FUNCTIONS", "class ModelNew(nn.Module):",
                        "self.conv = nn.Conv2d(in_channels, out_channels, kernel_size", "def forward(self, x):",
                        "def get_inputs():", "torch.rand(batch_size, in_channels, height, width)",
                        "def get_init_inputs():", "return [in_channels, out_channels, kernel_size]",
                        "batch_size = 64", "in_channels = 64", "out_channels = 128", "height, width = 256, 256",
                        "kernel_size = 3", "\"tuner_median_ms\": 3.5"})
    EXPECT_NE(py.find(s), std::string::npos) << s;
  if (!fused) {  // the record's cuDNN algorithm and math, called directly; torch's own conv2d is not used
    for (const char* s : {"cudnnConvolutionForward(h, &one, p.x, a.x, p.w, a.w, p.conv, p.algo,",
                          "kCmConvAlgo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;",
                          "cudnnSetConvolutionMathType(p.conv, kCmConvMath)", "at::native::getCudnnHandle()",
                          "cudnnSetStream(h, at::cuda::getCurrentCUDAStream())", "#include <ATen/cudnn/Handle.h>"})
      EXPECT_NE(cuda.find(s), std::string::npos) << s;
    for (const char* s : {"CUDNN_ALGO = \"IMPLICIT_PRECOMP_GEMM\"", "EXTRA_LDFLAGS = [\"-lcudnn\"]",
                          "extra_ldflags=EXTRA_LDFLAGS", "\"cudnn_algo\": \"IMPLICIT_PRECOMP_GEMM\"",
                          "\"kind\": \"cudnn_conv_then_mish\""})
      EXPECT_NE(py.find(s), std::string::npos) << s;
    EXPECT_EQ(py.find("conv2d("), std::string::npos) << "torch's convolution is not the record's";
  } else {
    EXPECT_NE(py.find("EXTRA_LDFLAGS = []"), std::string::npos);
  }
  EXPECT_EQ(py.find("@@"), std::string::npos);
}

TEST_P(ExportVariant, PythonCompilesTheModule) {
  if (!have("python3")) GTEST_SKIP() << "python3 not found";
  const fs::path file = temp_dir() / ("model_new_" + std::to_string(std::hash<std::string>{}(GetParam())) + ".py");
  std::ofstream(file) << export_default(GetParam()).python;
  std::string out;
  EXPECT_EQ(run("python3 -c \"import ast,sys; ast.parse(open(sys.argv[1]).read())\" " + file.string(), &out), 0)
      << out;
  EXPECT_EQ(run("python3 -m py_compile " + file.string(), &out), 0) << out;
}

TEST_P(ExportVariant, KernelPartCompilesWithNvrtcForSm90) {
  const ExportedModule m = export_default(GetParam());
  const std::string cuda = cuda_part(m.python);
  nvrtcProgram prog;
  ASSERT_EQ(nvrtcCreateProgram(&prog, cuda.c_str(), "model_new.cu", 0, nullptr, nullptr), NVRTC_SUCCESS);
  // Architecture-specific kernels (wgmma) are exported for sm_90a, as the module's load_inline builds them.
  const bool arch_specific = m.python.find("ARCH_SUFFIX = \"a\"") != std::string::npos;
  const char* opts[] = {arch_specific ? "--gpu-architecture=sm_90a" : "--gpu-architecture=sm_90", "-std=c++17"};
  const nvrtcResult res = nvrtcCompileProgram(prog, 2, opts);
  size_t n = 0;
  nvrtcGetProgramLogSize(prog, &n);
  std::string log(n, '\0');
  nvrtcGetProgramLog(prog, log.data());
  nvrtcDestroyProgram(&prog);
  EXPECT_EQ(res, NVRTC_SUCCESS) << log;
}

INSTANTIATE_TEST_SUITE_P(Exportable, ExportVariant, testing::ValuesIn(exportable()), [](const auto& info) {
  std::string s = info.param;
  for (char& c : s)
    if (c == '.') c = '_';
  return s;
});

// nvcc on the CUDA part of `python` as load_inline's sees it, less torch: "" when it compiles, else nvcc's output.
// With `link_cudnn`, into a shared object linked against libcudnn with no undefined symbol left, as load_inline
// links it with extra_ldflags=['-lcudnn'] (every cuDNN function the launch calls exists in the library).
std::string nvcc_errors(const std::string& python, const std::string& stem, bool link_cudnn) {
  const fs::path dir = temp_dir();
  const fs::path cu = dir / (stem + ".cu");
  std::ofstream(cu) << cuda_part(python);
  // Architecture-specific kernels (wgmma) for sm_90a, as the module's load_inline builds them.
  const bool arch_specific = python.find("ARCH_SUFFIX = \"a\"") != std::string::npos;
  const std::string arch = arch_specific ? "-gencode arch=compute_90a,code=sm_90a" : "-arch=sm_90";
  std::string cmd = nvcc() + " -std=c++17 " + arch + " -lineinfo -DCONVMISH_EXPORT_NO_TORCH";
#ifdef CONVMISH_CUDNN_INCLUDE_DIR
  cmd += std::string(" -I") + CONVMISH_CUDNN_INCLUDE_DIR;
#endif
  if (link_cudnn) {
#ifdef CONVMISH_CUDNN_LIBRARY
    cmd += " -Xcompiler -fPIC -shared " + cu.string() + " -o " + (dir / (stem + ".so")).string() + " -L" +
           fs::path(CONVMISH_CUDNN_LIBRARY).parent_path().string() + " -lcudnn -Xlinker --no-undefined";
#else
    return "the cuDNN library's path is not known to this build";
#endif
  } else {
    cmd += " -c " + cu.string() + " -o " + (dir / (stem + ".o")).string();
  }
  std::string out;
  return run(cmd, &out) == 0 ? std::string() : cmd + "\n" + out;
}

// One variant per exporter: the kernels, the launch and the helpers, as load_inline's nvcc sees them (less torch).
class ExportNvcc : public testing::TestWithParam<std::string> {};

TEST_P(ExportNvcc, CudaPartWithTheLaunchCompilesForSm90) {
  if (nvcc().empty()) GTEST_SKIP() << "nvcc not found";
  const Variant* v = Registry::instance().find(GetParam());
  EXPECT_EQ(nvcc_errors(export_default(GetParam()).python, GetParam(), cudnn_based(*v)), "");
}

INSTANTIATE_TEST_SUITE_P(OnePerExporter, ExportNvcc,
                         testing::Values("fused.naive", "fused.tiled_fp32", "fused.igemm_tf32", "fused.wgmma_tf32",
                                         "fused.wgmma_rs_tf32", "fused.wgmma_rs_3xtf32", "fused.wgmma_rs_tf32f16",
                                         "fused.igemm_tf32f16", "mish.float4"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '.') c = '_';
                           return s;
                         });

// The acceptance case of issue #10: the committed H100 sweep's best fp32-class record of cudnn.eager (tf32:0) ran
// cuDNN's WINOGRAD_NONFUSED with FMA math (cudnnFind's choice); torch's own conv2d picks another, slower algorithm,
// so the module must call cudnnConvolutionForward with exactly that algorithm and math type, then add the bias by
// cudnnAddTensor and run one precise float4 Mish pass per application, as the variant does.
TEST(ExportCudnn, CommittedTf32OffRecordRunsItsOwnAlgorithmAndMath) {
  ExportRequest req;
  req.results = fs::path(CONVMISH_SOURCE_DIR) / "results/h100/2026-11-25_48ac0f7/seed.json";
  req.variants = "cudnn.eager";
  req.precision = "fp32";
  const ExportedModule m = export_pytorch(req);
  EXPECT_EQ(m.record.name(), "cudnn.eager/tf32:0");
  ASSERT_EQ(m.record.details.at("cudnn_algo"), "WINOGRAD_NONFUSED");
  ASSERT_EQ(m.record.details.at("cudnn_math"), "FMA");
  const std::string cuda = cuda_part(m.python);
  for (const char* s : {"kCmConvAlgo = CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;",
                        "static const cudnnMathType_t kCmConvMath = CUDNN_FMA_MATH;",
                        "static const bool kCmConvTf32 = false;", "static const bool kCmBiasByCudnn = true;",
                        "cudnnConvolutionForward(h, &one, p.x, a.x, p.w, a.w, p.conv, p.algo, workspace,",
                        "cudnnAddTensor(h, &one, p.b, a.b, &one, p.y, a.y)",
                        "cudnnGetConvolutionForwardWorkspaceSize(h, p.x, p.w, p.conv, p.y, kCmConvAlgo,",
                        "at::empty({int64_t(plan.workspace_bytes)}, x.options().dtype(at::kByte))",
                        "mish_vec4<<<dim3((unsigned)blocks), dim3(128), 0, s>>>(a);"})
    EXPECT_NE(cuda.find(s), std::string::npos) << s;
  for (const char* s : {"CUDNN_ALGO = \"WINOGRAD_NONFUSED\"", "CUDNN_MATH = \"FMA\"", "\"tuner_cudnn\": \"9.14.0\"",
                        "cudnnConvolutionForward, algorithm WINOGRAD_NONFUSED, math FMA (the record's; strict fp32)",
                        "pass 2: mish_vec4: Mish x1 (precise), 128 threads, 1 float4 per thread",
                        "FUNCTIONS = [\"conv_mish_forward\", \"conv_mish_algorithm\", \"cudnn_version\"]"})
    EXPECT_NE(m.python.find(s), std::string::npos) << s;

  const fs::path file = temp_dir() / "model_new_cudnn_eager_tf32_0.py";
  std::ofstream(file) << m.python;
  std::string out;
  if (have("python3")) EXPECT_EQ(run("python3 -m py_compile " + file.string(), &out), 0) << out;
  if (!nvcc().empty()) EXPECT_EQ(nvcc_errors(m.python, "cudnn_eager_tf32_0", true), "");
}

// Every cuDNN-based variant's first ok record in the committed sweeps: the module names the record's algorithm and
// math type (IMPLICIT_GEMM, GEMM, IMPLICIT_PRECOMP_GEMM, WINOGRAD_NONFUSED; FMA, TENSOR_OP, DEFAULT).
TEST(ExportCudnn, EveryCommittedCudnnRecordNamesItsAlgorithm) {
  std::set<std::string> algos, maths;
  for (const char* file : {"results/h100/2026-11-25_48ac0f7/seed.json", "results/h100/2026-11-25_b4f87e1/small.json"}) {
    const fs::path path = fs::path(CONVMISH_SOURCE_DIR) / file;
    const ResultsFile f = read_results(path);
    std::set<std::string> seen;
    for (const Record& r : f.records) {
      const Variant* v = Registry::instance().find(r.variant);
      if (!v || !cudnn_based(*v) || r.status != Status::kOk || !r.timing) continue;
      const std::string key = r.variant + std::to_string(ConvThenMishVariant::tf32(r.params));
      if (!seen.insert(key).second) continue;
      ExportRequest req;
      req.results = path;
      req.record = r.id;
      const std::string py = export_pytorch(req).python;
      const std::string algo = r.details.at("cudnn_algo"), math = r.details.at("cudnn_math");
      const CudnnEnumName* a = find_cudnn_name(cudnn_fwd_algo_names(), algo);
      const CudnnEnumName* mt = find_cudnn_name(cudnn_math_names(), math);
      ASSERT_TRUE(a && mt) << algo << " " << math;
      const std::string where = std::string(file) + " record " + std::to_string(r.id);
      EXPECT_NE(py.find("kCmConvAlgo = " + std::string(a->identifier) + ";"), std::string::npos) << where;
      EXPECT_NE(py.find("kCmConvMath = " + std::string(mt->identifier) + ";"), std::string::npos) << where;
      EXPECT_NE(py.find("CUDNN_ALGO = \"" + algo + "\""), std::string::npos) << where;
      algos.insert(algo);
      maths.insert(math);
    }
  }
  EXPECT_GE(algos.size(), 3u);  // the sweeps' records do cover several algorithms and math types
  EXPECT_GE(maths.size(), 2u);
}

TEST(ExportCudnn, RecordsWithoutTheTunersCudnnDetailsAreRefused) {
  auto message = [](const Record& r) {
    ExportRequest req;
    req.results = write_results("cudnn_bad.json", {r});
    return export_error(req);
  };
  Record r = ok_record(3, "cudnn.eager", {{"tf32", 0}}, "fp32", 14.0);
  EXPECT_NE(message(r).find("has no details.cudnn_algo"), std::string::npos) << message(r);
  r.details = cudnn_details("WINOGRAD_NONFUSED", "FMA");
  EXPECT_EQ(message(r), "no error");
  r.details = cudnn_details("WINOGRAD_FAST", "FMA");
  EXPECT_NE(message(r).find("details.cudnn_algo 'WINOGRAD_FAST' is not a cuDNN name"), std::string::npos) << message(r);
  r.details = cudnn_details("GEMM", "FMA");
  r.details.erase("cudnn_math");
  EXPECT_NE(message(r).find("has no details.cudnn_math"), std::string::npos) << message(r);
  r.details = cudnn_details("IMPLICIT_GEMM", "TENSOR_OP");  // tf32:0 runs FMA kernels only
  EXPECT_NE(message(r).find("not what the tuner runs for tf32:0"), std::string::npos) << message(r);
  r.details = cudnn_details("FFT_TILING", "FMA");  // nor an FFT algorithm
  EXPECT_NE(message(r).find("not what the tuner runs for tf32:0"), std::string::npos) << message(r);
  r.details = cudnn_details("WINOGRAD_NONFUSED", "FMA");
  r.details["bias"] = "in the first Mish pass";  // cudnn.eager adds it by cudnnAddTensor
  EXPECT_NE(message(r).find("details.bias differ"), std::string::npos) << message(r);
  r.details["bias"] = "cudnnAddTensor";
  r.details["passes"] = {{{"kernel", "mish_vec4"}, {"count", 1}, {"block", 256}}, {{"kernel", "mish_vec4"}}};
  EXPECT_NE(message(r).find("details.passes[0].block differ"), std::string::npos) << message(r);
  r.details["passes"] = {{{"kernel", "mish_vec4"}, {"count", 1}, {"block", 128}}};
  EXPECT_NE(message(r).find("details.passes differ"), std::string::npos) << message(r);
  r.params = {{"tf32", 1}};  // TF32 allowed: cudnnFind may have chosen any math type
  r.precision = "tf32";
  r.details = cudnn_details("FFT", "TENSOR_OP");
  EXPECT_EQ(message(r), "no error");
}

TEST(CudnnNames, EveryForwardAlgorithmAndMathTypeHasOneNameThatRoundTrips) {
  EXPECT_EQ(cudnn_fwd_algo_names().size(), size_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT));
  for (const auto* names : {&cudnn_fwd_algo_names(), &cudnn_math_names()}) {
    std::set<int> values;
    for (const CudnnEnumName& n : *names) {
      EXPECT_TRUE(values.insert(n.value).second) << n.name;
      const CudnnEnumName* found = find_cudnn_name(*names, n.name);
      ASSERT_NE(found, nullptr) << n.name;
      EXPECT_EQ(found->value, n.value);
      EXPECT_EQ(std::string(n.identifier).rfind("CUDNN_", 0), 0u) << n.identifier;  // nvcc checks the rest
    }
    EXPECT_EQ(find_cudnn_name(*names, "UNKNOWN"), nullptr);
    EXPECT_EQ(find_cudnn_name(*names, ""), nullptr);
  }
}

TEST(Export, PicksTheFastestOkRecordOfThePrecisionAsked) {
  const Variant* naive = Registry::instance().find("fused.naive");
  const Variant* f4 = Registry::instance().find("mish.float4");
  std::vector<Record> recs = {ok_record(1, "fused.naive", {{"block", 128}}, "fp32", 400.0),
                              ok_record(2, "mish.float4", f4->space().default_config(), "tf32", 5.6),
                              ok_record(3, "fused.naive", {{"block", 256}}, "fp32", 390.0)};
  recs[1].details = cudnn_details("IMPLICIT_PRECOMP_GEMM", "DEFAULT");
  Record bad = ok_record(4, "fused.naive", {{"block", 64}}, "fp32", 1.0);
  bad.status = Status::kIncorrect;
  recs.push_back(bad);
  ASSERT_TRUE(naive);
  ExportRequest req;
  req.results = write_results("pick.json", recs);
  EXPECT_EQ(export_pytorch(req).record.id, 2);
  req.precision = "fp32";
  EXPECT_EQ(export_pytorch(req).record.id, 3);
  req.record = 1;
  EXPECT_EQ(export_pytorch(req).record.id, 1);
}

TEST(Export, BadInputIsAOneLineUsageError) {
  const Config c = {{"block", 128}};
  Record failed = ok_record(1, "fused.naive", c, "fp32", 1.0);
  failed.status = Status::kCompileError;
  failed.timing.reset();
  auto message = export_error;
  ExportRequest req;
  req.results = temp_dir() / "missing.json";
  EXPECT_NE(message(req), "no error");
  req.results = write_results("none_ok.json", {failed});
  EXPECT_NE(message(req).find("has no ok record"), std::string::npos) << message(req);
  req.results = write_results("one_ok.json", {ok_record(1, "fused.naive", c, "fp32", 1.0)});
  req.variants = "no.such*";
  EXPECT_NE(message(req).find("no variant matches"), std::string::npos) << message(req);
  req.variants = "mish.float4";
  EXPECT_NE(message(req).find("no ok record"), std::string::npos) << message(req);
  req.variants.clear();
  req.precision = "tf32";
  EXPECT_NE(message(req).find("of precision tf32"), std::string::npos) << message(req);
  req.precision.clear();
  req.record = 99;
  EXPECT_NE(message(req).find("no record 99"), std::string::npos) << message(req);
  req.record = -1;
  req.results = write_results("bad_config.json", {ok_record(1, "fused.naive", {{"block", 77}}, "fp32", 1.0)});
  EXPECT_NE(message(req).find("does not fit fused.naive"), std::string::npos) << message(req);
  Record drift = ok_record(1, "fused.naive", c, "fp32", 1.0);
  drift.details = {{"block", 999}};
  req.results = write_results("drift.json", {drift});
  EXPECT_NE(message(req).find("details.block"), std::string::npos) << message(req);

  const ShapeDependent unexportable("test.unexportable");
  try {
    export_record(unexportable, ok_record(1, "test.unexportable", {}, "fp32", 1.0),
                  {{"problem", parse_problem("seed")}}, "x.json");
    FAIL() << "a variant without an exporter was exported";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is not exportable"), std::string::npos) << e.what();
  }
}

// A wgmma_rs record with tma:1 exports a launch that encodes a tensor map of each call's x (boxes of the kernel's
// PWS x PH x CK) and passes it as the kernel's fourth argument; with tma:0 the launch has neither. Both compile with
// nvcc as load_inline builds them (tma:1 is also the default's, covered by ExportVariant).
TEST(Export, WgmmaRsWithTmaLoadsEncodesTheInputsTensorMap) {
  const std::string id = "fused.wgmma_rs_tf32";
  const Variant* v = Registry::instance().find(id);
  ASSERT_NE(v, nullptr);
  Config c = v->space().default_config();
  for (const int64_t tma : {1, 0}) {
    c["tma"] = tma;
    Record r = ok_record(1, id, c, v->precision(c), 2.7);
    r.details = {{"smem_bytes", 100000}};
    ExportRequest req;
    req.results = write_results("tma" + std::to_string(tma) + ".json", {r});
    req.variants = id;
    const std::string cuda = cuda_part(export_pytorch(req).python);
    EXPECT_EQ(cuda.find("cuTensorMapEncodeTiled") != std::string::npos, tma == 1);
    EXPECT_EQ(cuda.find("(a, wt, (int)kblocks, xmap);") != std::string::npos, tma == 1);
    EXPECT_EQ(cuda.find("(a, wt, (int)kblocks);") != std::string::npos, tma == 0);
    EXPECT_NE(cuda.find("#define TMA " + std::to_string(tma)), std::string::npos);
    if (have(nvcc())) {
      const std::string errors = nvcc_errors(export_pytorch(req).python, "wgmma_rs_tma" + std::to_string(tma), false);
      EXPECT_EQ(errors, "") << errors;
    }
  }
}

// A wgmma_rs record whose kernel ran in thread block clusters (mcast > 1 where it applies) exports a launch in
// clusters of that size (cudaLaunchKernelEx with the cluster attribute, the grid capped by the clusters that fit at
// once); with mcast:1 that code is compiled out (#if MC > 1). Both compile with nvcc as load_inline builds them.
TEST(Export, WgmmaRsWithClustersLaunchesClusters) {
  const std::string id = "fused.wgmma_rs_3xtf32";
  const Variant* v = Registry::instance().find(id);
  ASSERT_NE(v, nullptr);
  Config c = v->space().default_config();
  for (const int64_t mc : {2, 1}) {
    c["mcast"] = mc;
    Record r = ok_record(1, id, c, v->precision(c), 5.9);
    r.details = {{"smem_bytes", 100000}};
    ExportRequest req;
    req.results = write_results("mcast" + std::to_string(mc) + ".json", {r});
    req.variants = id;
    const ExportedModule m = export_pytorch(req);
    const std::string cuda = cuda_part(m.python);
    EXPECT_NE(cuda.find("#define MC " + std::to_string(mc)), std::string::npos);
    EXPECT_NE(cuda.find("cudaLaunchKernelEx(&cfg, conv_igemm_mma"), std::string::npos);  // (behind #if MC > 1)
    EXPECT_NE(cuda.find("cudaOccupancyMaxActiveClusters"), std::string::npos);
    if (have(nvcc())) {
      const std::string errors = nvcc_errors(m.python, "wgmma_rs_mc" + std::to_string(mc), false);
      EXPECT_EQ(errors, "") << errors;
    }
  }
}

// A wgmma_rs record with tstore:1 on a shape where the kernel stores by TMA (Q % 4 == 0: here the seed's work with
// padding 1) exports a launch that also encodes the output's tensor map (128-byte swizzle) for each call's y and
// passes it after the input's; on the seed (Q 254) the kernel falls back to the threads' stores and the launch has
// no output map. Both compile with nvcc as load_inline builds them.
TEST(Export, WgmmaRsWithTmaStoresEncodesTheOutputsTensorMap) {
  const std::string id = "fused.wgmma_rs_tf32";
  const Variant* v = Registry::instance().find(id);
  ASSERT_NE(v, nullptr);
  Config c = v->space().default_config();
  c["tstore"] = 1;
  for (const char* shape : {"64,64,256,256,128,3,3,1,1", "seed"}) {
    const bool stored = std::string(shape) != "seed";
    Record r = ok_record(1, id, c, v->precision(c), 2.3);
    r.details = {{"smem_bytes", 100000}};
    ExportRequest req;
    req.results = write_results(std::string("tstore_") + (stored ? "pad" : "seed") + ".json", {r}, parse_problem(shape));
    req.variants = id;
    const ExportedModule m = export_pytorch(req);
    const std::string cuda = cuda_part(m.python);
    EXPECT_NE(cuda.find(std::string("#define TSTORE ") + (stored ? "1" : "0")), std::string::npos);
    EXPECT_EQ(cuda.find("cm_output_tensor_map(a, &ymap)") != std::string::npos, stored);
    EXPECT_EQ(cuda.find("(a, wt, (int)kblocks, xmap, ymap);") != std::string::npos, stored);
    EXPECT_EQ(cuda.find("(a, wt, (int)kblocks, xmap);") != std::string::npos, !stored);
    if (have(nvcc())) {
      const std::string errors = nvcc_errors(m.python, std::string("wgmma_rs_tstore_") + (stored ? "pad" : "seed"), false);
      EXPECT_EQ(errors, "") << errors;
    }
  }
}

TEST(Export, BinaryExitsWithCode2OnBadInput) {
#ifndef CONVMISH_TUNER
  GTEST_SKIP() << "the tuner binary's path is not known to this build";
#else
  std::string out;
  EXPECT_EQ(run(std::string(CONVMISH_TUNER) + " export --pytorch " + (temp_dir() / "missing.json").string() +
                    " -o " + (temp_dir() / "x.py").string(),
                &out),
            2)
      << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_EQ(run(std::string(CONVMISH_TUNER) + " export -o " + (temp_dir() / "x.py").string(), &out), 2) << out;
  const fs::path ok = write_results("cli.json", {ok_record(1, "fused.naive", {{"block", 128}}, "fp32", 1.0)});
  EXPECT_EQ(run(std::string(CONVMISH_TUNER) + " export --pytorch " + ok.string() + " --variant 'mish.*' -o " +
                    (temp_dir() / "x.py").string(),
                &out),
            2)
      << out;
  EXPECT_EQ(run(std::string(CONVMISH_TUNER) + " export --pytorch " + ok.string() + " -o " +
                    (temp_dir() / "x.py").string(),
                &out),
            0)
      << out;
  EXPECT_TRUE(fs::exists(temp_dir() / "x.py"));
#endif
}

TEST(ExportShapeRules, InferredFromTheDefinesThatDependOnTheShape) {
  const ShapeDependent v("test.shape");
  Problem p = parse_problem("seed");  // C = 64, W = 256
  const auto rules = infer_shape_rules(v, p, {});
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].dim, "C");
  EXPECT_EQ(rules[0].kind, ShapeRule::Kind::kRoundsTo);
  EXPECT_EQ(rules[0].m, 8);
  EXPECT_EQ(rules[0].text(), "C in 57..64");
  EXPECT_EQ(rules[1].dim, "W");
  EXPECT_EQ(rules[1].kind, ShapeRule::Kind::kMultipleOf);
  EXPECT_EQ(rules[1].m, 4);
  p.W = 255;
  const auto odd = infer_shape_rules(v, p, {});
  ASSERT_EQ(odd.size(), 2u);
  EXPECT_EQ(odd[1].kind, ShapeRule::Kind::kNotMultipleOf);
}

TEST(ExportShapeRules, NoneForVariantsWhoseDefinesIgnoreTheShape) {
  for (const char* id : {"fused.naive", "fused.tiled_fp32", "mish.float4", "cudnn.eager"}) {
    const Variant* v = Registry::instance().find(id);
    EXPECT_TRUE(infer_shape_rules(*v, parse_problem("seed"), v->space().default_config()).empty()) << id;
  }
}

TEST(ExportInline, HeadersInlinedOnceInIncludeOrder) {
  const std::string s = inline_kernel_sources({{"conv_tiled_fused.cu", "conv_tiled_fused", {}}});
  const size_t common = s.find("// ---- kernels/common.cuh ----"), cp = s.find("// ---- kernels/cp_async.cuh ----"),
               mish = s.find("// ---- kernels/mish.cuh ----");
  ASSERT_NE(common, std::string::npos);
  ASSERT_NE(cp, std::string::npos);
  ASSERT_NE(mish, std::string::npos);
  EXPECT_LT(common, cp);
  EXPECT_LT(cp, mish);
  EXPECT_EQ(s.find("// ---- kernels/common.cuh ----", common + 1), std::string::npos);
  EXPECT_NE(s.find("#include \"common.cuh\"  (inlined above)"), std::string::npos);  // mish.cuh's own include
}
