// tuner export --pytorch (no GPU): for every exportable variant the generated module holds the kernel source with
// its headers inlined, the record's defines, the functions load_inline binds, ModelNew keeping an nn.Conv2d, and
// get_inputs / get_init_inputs; python3 compiles it; its kernels compile with NVRTC for sm_90, and for one variant
// per exporter nvcc compiles the whole CUDA part with the launch (torch, absent here, left out). Bad input is one
// UsageError line, exit code 2 from the binary.
#include <gtest/gtest.h>

#include <nvrtc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tuner/check.hpp"
#include "tuner/export.hpp"
#include "tuner/timer.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("convmish_export_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

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

ExportedModule export_default(const std::string& id) {
  const Variant* v = Registry::instance().find(id);
  const Config c = v->space().default_config();
  Record r = ok_record(7, id, c, v->precision(c), 3.5);
  if (id.rfind("fused.igemm_", 0) == 0) r.details = {{"smem_bytes", 100000}};  // its exporter takes it from here
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
  for (const std::string f : fused ? std::vector<std::string>{"conv_mish_forward", "conv_mish_workspace_bytes"}
                                   : std::vector<std::string>{"mish_passes_"}) {
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
  if (!fused) EXPECT_NE(py.find("F.conv2d("), std::string::npos);
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
  const std::string cuda = cuda_part(export_default(GetParam()).python);
  nvrtcProgram prog;
  ASSERT_EQ(nvrtcCreateProgram(&prog, cuda.c_str(), "model_new.cu", 0, nullptr, nullptr), NVRTC_SUCCESS);
  const char* opts[] = {"--gpu-architecture=sm_90", "-std=c++17"};
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

// One variant per exporter: the kernels, the launch and the helpers, as load_inline's nvcc sees them (less torch).
class ExportNvcc : public testing::TestWithParam<std::string> {};

TEST_P(ExportNvcc, CudaPartWithTheLaunchCompilesForSm90) {
  const std::string cc = nvcc();
  if (cc.empty()) GTEST_SKIP() << "nvcc not found";
  const fs::path dir = temp_dir();
  const fs::path cu = dir / (GetParam() + ".cu");
  std::ofstream(cu) << cuda_part(export_default(GetParam()).python);
  std::string out;
  EXPECT_EQ(run(cc + " -std=c++17 -arch=sm_90 -lineinfo -DCONVMISH_EXPORT_NO_TORCH -c " + cu.string() + " -o " +
                    (dir / (GetParam() + ".o")).string(),
                &out),
            0)
      << out;
}

INSTANTIATE_TEST_SUITE_P(OnePerExporter, ExportNvcc,
                         testing::Values("fused.naive", "fused.tiled_fp32", "fused.igemm_tf32", "mish.float4"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '.') c = '_';
                           return s;
                         });

TEST(Export, PicksTheFastestOkRecordOfThePrecisionAsked) {
  const Variant* naive = Registry::instance().find("fused.naive");
  const Variant* f4 = Registry::instance().find("mish.float4");
  std::vector<Record> recs = {ok_record(1, "fused.naive", {{"block", 128}}, "fp32", 400.0),
                              ok_record(2, "mish.float4", f4->space().default_config(), "tf32", 5.6),
                              ok_record(3, "fused.naive", {{"block", 256}}, "fp32", 390.0)};
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
  auto message = [](const ExportRequest& req) {
    try {
      export_pytorch(req);
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return std::string(e.what());
    }
    return std::string("no error");
  };
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
