// Every registered variant, on a sample of its configurations, over shapes that stress edges (width not a
// multiple of 4, C=3, K=1, batch 1, tiny images, stride/padding): each configuration validates on fresh inputs
// through the same sweep the tuner runs, or is declared unsupported with a reason.
#include <set>
#include <sstream>

#include "gpu/gpu_fixture.hpp"
#include "tuner/check.hpp"
#include "tuner/gpu_ops.hpp"
#include "tuner/rtc.hpp"
#include "tuner/sweep.hpp"

using namespace convmish;

namespace {

const char* kShapes[] = {"small",         "4,3,20,21,16,3",  "2,8,15,17,1,3", "1,32,40,44,64,3",
                         "1,1,3,3,1,3",   "3,5,16,19,7,3,3,2,1", "2,6,11,13,9,5"};

SweepOptions quick_options(const std::string& variant) {
  SweepOptions o;
  o.variants = variant;
  o.strategy = "random";
  o.budget = 4;
  o.checks = 2;
  o.baseline = false;
  o.timer.warmup_ms = 0.1;
  o.timer.warmup_min = 1;
  o.timer.min_time_s = 0;
  o.timer.max_time_s = 0.02;
  o.timer.min_samples = 3;
  return o;
}

std::vector<std::string> variant_ids() {
  std::vector<std::string> ids;
  for (const auto& v : Registry::instance().all())
    if (v->family() != "test") ids.push_back(v->id());
  return ids;
}

}  // namespace

class VariantsGpu : public ::testing::TestWithParam<std::string> {};

TEST_P(VariantsGpu, EveryConfigurationTriedValidatesOrSaysWhyNot) {
  REQUIRE_GPU();
  int declined = 0;
  for (const char* shape : kShapes) {
    const Problem p = parse_problem(shape);
    std::ostringstream log;
    const auto recs = run_sweep(p, quick_options(GetParam()), log);
    ASSERT_FALSE(recs.empty()) << shape;
    int ok = 0;
    std::set<std::string> reasons;
    for (const auto& r : recs) {
      if (r.status == Status::kUnsupported) {
        EXPECT_FALSE(r.reason.empty()) << r.name();
        reasons.insert(r.reason);
        continue;
      }
      EXPECT_EQ(r.status, Status::kOk) << shape << " " << r.name() << ": " << r.reason;
      if (r.status == Status::kOk) {
        ++ok;
        EXPECT_EQ(r.verdict->checks, 2);
        EXPECT_EQ(r.verdict->unwritten, 0);
        EXPECT_GT(r.timing->median_ms, 0);
      }
    }
    // A variant may decline a whole shape (the wgmma kernel needs stride 1), but only with one reason that holds
    // for every configuration, and it has to run on most shapes.
    if (ok == 0 && reasons.size() == 1 && recs.size() > 1) {
      ++declined;
      continue;
    }
    EXPECT_GT(ok, 0) << "no configuration of " << GetParam() << " ran on " << shape << "\n" << log.str();
  }
  EXPECT_LE(declined, 1) << GetParam() << " declined " << declined << " of the test shapes";
}

INSTANTIATE_TEST_SUITE_P(Registry, VariantsGpu, ::testing::ValuesIn(variant_ids()), [](const auto& info) {
  std::string s = info.param;
  for (char& c : s)
    if (c == '.') c = '_';
  return s;
});

// A deliberately broken variant (registered only in this test binary): it skips the last output rows, so
// validation must call it incorrect through the unwritten count, and never time it.
namespace {
class SkipsRows : public Variant {
 public:
  SkipsRows() { space_.add("rows_skipped", {1}); }
  std::string id() const override { return "test.skips_rows"; }
  std::string description() const override { return "test only: leaves the last output elements unwritten"; }
  std::string precision(const Config&) const override { return "fp32"; }
  const ParamSpace& space() const override { return space_; }
  std::vector<KernelSpec> kernels(const Problem&, const Config&) const override {
    return {KernelSpec{"conv_naive_fused.cu", "conv_naive_fused", {{"BLOCK", "128"}}}};
  }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config&, std::vector<LoadedKernel> k,
                                        const LaunchEnv&) const override {
    struct Inst : Instance {
      Problem p;
      LoadedKernel k;
      void launch(const Buffers& b, cudaStream_t s) override {
        ConvMishArgs a = p.args(b.x, b.w, b.b, b.y);
        a.N -= 1;  // the last image is never written
        convmish::launch(k, dim3(unsigned((p.y_elems() + 127) / 128)), dim3(128), 0, s, a);
      }
    };
    auto i = std::make_unique<Inst>();
    i->p = p;
    i->k = k.at(0);
    return i;
  }

 private:
  ParamSpace space_;
};
CONVMISH_REGISTER_VARIANT(SkipsRows);
}  // namespace

TEST(Validation, UnwrittenOutputIsIncorrectAndNeverTimed) {
  REQUIRE_GPU();
  const Problem p = parse_problem("2,4,10,11,3,3");
  std::ostringstream log;
  const auto recs = run_sweep(p, quick_options("test.skips_rows"), log);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, Status::kIncorrect);
  ASSERT_TRUE(recs[0].verdict);
  EXPECT_EQ(recs[0].verdict->unwritten, p.y_elems() / 2);
  EXPECT_FALSE(recs[0].timing);
}

TEST(Validation, CompareCountsPoisonNaNAndToleranceSeparately) {
  REQUIRE_GPU();
  std::vector<float> ref = {1, 2, 3, 4, 5}, out = {1, 2.5f, NAN, 4, 5};
  uint32_t poison = kPoisonBits;
  memcpy(&out[3], &poison, 4);
  DeviceBuffer dr(20), dout(20);
  CUDA_CHECK(cudaMemcpy(dr.get(), ref.data(), 20, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(dout.get(), out.data(), 20, cudaMemcpyHostToDevice));
  const CompareResult c = compare_outputs(dout.as<float>(), dr.as<float>(), 5, 1e-3, 1e-3, nullptr);
  EXPECT_EQ(c.over_tol, 1);
  EXPECT_EQ(c.nonfinite, 1);
  EXPECT_EQ(c.unwritten, 1);
  EXPECT_EQ(c.first_bad, 1);
  EXPECT_FLOAT_EQ(float(c.max_abs), 0.5f);
}
