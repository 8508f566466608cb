// The Mish accuracy survey (tuner survey) on a sample of float inputs: every form whose precision class is fp32
// (cm::mish_form_is_fp32) must stay well inside the fp32 class's per-element tolerance, alone and composed as the
// kernels chain it; the survey must tell a fast-math form apart.
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "gpu/gpu_fixture.hpp"
#include "mish.cuh"
#include "tuner/mish_survey.hpp"
#include "tuner/tolerance.hpp"

using namespace convmish;

namespace {
int form_id(const std::string& name) {
  for (int f : {CM_MISH_PRECISE, CM_MISH_ONEEXP, CM_MISH_FAST, CM_MISH_TANH_APPROX, CM_MISH_FAST_ACCURATE})
    if (name == cm::mish_form_name(f)) return f;
  return -1;  // survey-only entries (fast_ftz)
}
}  // namespace

TEST(MishSurvey, Fp32ClassFormsStayInsideTheFp32Tolerance) {
  REQUIRE_GPU();
  std::ostringstream log;
  const auto doc = run_mish_survey(0, 4099, log);  // ~1M inputs spread over every exponent
  const Tolerance& fp32 = tolerance_for("fp32");
  int fp32_forms = 0;
  double tanh_worst = 0;
  ASSERT_GE(doc.at("forms").size(), 10u) << log.str();
  for (const auto& f : doc.at("forms")) {
    const std::string name = f.at("form").get<std::string>();
    const bool composed = f.at("composed").get<bool>();
    SCOPED_TRACE(name + (composed ? " composed" : ""));
    EXPECT_EQ(f.at("overall").at("nonfinite").get<long long>(), 0);
    EXPECT_GT(f.at("overall").at("count").get<long long>(), 1000000);
    const int id = form_id(name);
    if (id == CM_MISH_TANH_APPROX) tanh_worst = std::max(tanh_worst, f.at("overall").at("max_rel").get<double>());
    if (id < 0 || !cm::mish_form_is_fp32(id)) continue;
    ++fp32_forms;
    for (const auto& b : f.at("bins")) {
      const std::string range = b.at("range").get<std::string>();
      SCOPED_TRACE(range);
      if (range == "x < -20") {  // |mish| < 5e-8 * 20: only the absolute error counts there
        EXPECT_LT(b.at("max_abs").get<double>(), 1e-12);
      } else {  // a tenth of the per-element relative bound (|ref| reaches 20: the absolute error scales)
        EXPECT_LT(b.at("max_rel").get<double>(), fp32.rtol / 10);
      }
    }
  }
  EXPECT_EQ(fp32_forms, 6);  // precise, oneexp, fast_accurate; alone and composed
  EXPECT_GT(tanh_worst, fp32.rtol / 10) << "the survey no longer tells tanh_approx from an fp32-class form";
}
