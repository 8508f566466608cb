#include "tuner/problem.hpp"

#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tuner/check.hpp"

namespace convmish {

double Problem::flops() const { return 2.0 * N * K * P() * Q() * C * R * S; }

double Problem::min_bytes() const {
  return 4.0 * (double(x_elems()) + double(w_elems()) + (bias ? double(K) : 0.0) + double(y_elems()));
}

void Problem::validate() const {
  auto fail = [&](const std::string& why) { throw UsageError("problem " + shape_string() + ": " + why); };
  if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || K <= 0 || R <= 0 || S <= 0)
    fail("every dimension must be positive");
  if (stride <= 0) fail("stride must be positive");
  if (pad < 0) fail("padding must not be negative");
  if (mish_count < 0 || mish_count > 16) fail("mish count must be in 0..16");
  if (H + 2 * pad < R || W + 2 * pad < S) fail("the filter is larger than the padded image: empty output");
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  for (int64_t d : {N, C, H, W, K, R, S, stride, pad})
    if (d > kIntMax) fail("a dimension exceeds 2^31-1");
  // Kernels index planes with int and whole tensors with 64-bit integers; cap each tensor at 2^40 elements.
  constexpr int64_t kMaxElems = int64_t(1) << 40;
  if (double(N) * C * H * W > double(kMaxElems) || double(N) * K * P() * Q() > double(kMaxElems) ||
      double(K) * C * R * S > double(kIntMax))
    fail("a tensor exceeds the supported element count (2^40, weights 2^31)");
  if (H * W > kIntMax || P() * Q() > kIntMax) fail("an image plane exceeds 2^31-1 elements");
}

std::string Problem::shape_string() const {
  std::ostringstream s;
  s << N << "," << C << "," << H << "," << W << "->" << K << "," << R << "x" << S;
  if (stride != 1) s << ",stride" << stride;
  if (pad != 0) s << ",pad" << pad;
  return s.str();
}

ConvMishArgs Problem::args(const float* x, const float* w, const float* b, float* y) const {
  return ConvMishArgs{x,      w,      bias ? b : nullptr, y,          int(N),          int(C), int(H), int(W),
                      int(K), int(R), int(S),             int(P()),   int(Q()),        int(stride), int(pad),
                      mish_count};
}

std::vector<std::string> problem_preset_names() { return {"seed", "small", "kb_v0"}; }

Problem parse_problem(const std::string& spec) {
  Problem p;
  if (spec == "seed") {
    p.name = "seed";
  } else if (spec == "small") {
    p = Problem{.name = "small", .N = 2, .C = 16, .H = 34, .W = 37, .K = 32, .R = 3, .S = 3};
  } else if (spec == "kb_v0") {
    p = Problem{.name = "kb_v0", .N = 128, .C = 3, .H = 32, .W = 32, .K = 16, .R = 3, .S = 3};
  } else {
    std::vector<int64_t> v;
    std::stringstream ss(spec);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      try {
        size_t used = 0;
        v.push_back(std::stoll(tok, &used));
        if (used != tok.size()) throw std::invalid_argument(tok);
      } catch (const std::exception&) {
        throw UsageError("problem '" + spec + "': '" + tok + "' is not an integer; expected a preset (seed, small, "
                         "kb_v0) or N,C,H,W,K,R[,S[,stride[,pad]]]");
      }
    }
    if (v.size() < 6 || v.size() > 9)
      throw UsageError("problem '" + spec +
                       "': expected a preset (seed, small, kb_v0) or N,C,H,W,K,R[,S[,stride[,pad]]]");
    p.name = "custom";
    p.N = v[0], p.C = v[1], p.H = v[2], p.W = v[3], p.K = v[4], p.R = v[5];
    p.S = v.size() > 6 ? v[6] : v[5];
    p.stride = v.size() > 7 ? v[7] : 1;
    p.pad = v.size() > 8 ? v[8] : 0;
  }
  p.validate();
  return p;
}

void to_json(nlohmann::json& j, const Problem& p) {
  j = {{"name", p.name}, {"N", p.N},           {"C", p.C},       {"H", p.H},       {"W", p.W},
       {"K", p.K},       {"R", p.R},           {"S", p.S},       {"P", p.P()},     {"Q", p.Q()},
       {"stride", p.stride}, {"pad", p.pad},   {"bias", p.bias}, {"mish_count", p.mish_count},
       {"seed", p.seed}, {"flops", p.flops()}, {"min_bytes", p.min_bytes()}, {"shape", p.shape_string()}};
}

void from_json(const nlohmann::json& j, Problem& p) {
  p.name = j.at("name").get<std::string>();
  p.N = j.at("N"), p.C = j.at("C"), p.H = j.at("H"), p.W = j.at("W");
  p.K = j.at("K"), p.R = j.at("R"), p.S = j.at("S");
  p.stride = j.value("stride", int64_t(1));
  p.pad = j.value("pad", int64_t(0));
  p.bias = j.value("bias", true);
  p.mish_count = j.value("mish_count", 2);
  p.seed = j.value("seed", uint64_t(0));
}

}  // namespace convmish
