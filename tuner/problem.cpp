#include "tuner/problem.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tuner/check.hpp"
#include "tuner/json_read.hpp"

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
  // (written so that NaN fails too)
  if (!(std::isfinite(x_lo) && std::isfinite(x_hi) && x_lo < x_hi && x_hi - x_lo < 3e38))
    fail("the input range [" + std::to_string(x_lo) + ", " + std::to_string(x_hi) +
         ") must be finite, non-empty and within float range");
  if (!(std::isfinite(w_scale) && w_scale > 0 && w_scale < 1e30)) fail("the weight scale must be positive and finite");
  // The kernels' argument struct and cuDNN's descriptors hold every dimension in an int (checked first, so that
  // the sums and products below cannot overflow).
  for (int64_t d : {N, C, H, W, K, R, S, stride, pad})
    if (d > kMaxDim) fail("a dimension exceeds 2^31-1");
  if (H + 2 * pad < R || W + 2 * pad < S)
    fail("the filter (" + std::to_string(R) + "x" + std::to_string(S) + ") is larger than the padded image (" +
         std::to_string(H + 2 * pad) + "x" + std::to_string(W + 2 * pad) + "): empty output");
  // The kernels index whole tensors with 64-bit integers but planes and weights with int; cuDNN, which computes
  // the reference and runs the cuDNN variants, limits a tensor to 2 Giga-elements (its developer guide, "Tensor
  // Descriptor"; int strides). So each of x, w and y is capped at 2^31-1 elements (8 GiB of fp32).
  auto check = [&](const char* what, double elems) {
    if (elems <= double(kMaxTensorElems)) return;
    const std::string count = elems < 1e18 ? std::to_string(int64_t(elems)) : std::to_string(elems);
    fail(std::string(what) + " would have " + count + " elements; at most 2^31-1 are supported (cuDNN's tensor "
         "limit: the reference is computed with it)");
  };
  check("x[N,C,H,W]", double(N) * double(C) * double(H) * double(W));
  check("w[K,C,R,S]", double(K) * double(C) * double(R) * double(S));
  check("y[N,K,P,Q]", double(N) * double(K) * double(P()) * double(Q()));
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

std::pair<double, double> parse_range(const std::string& spec) {
  const auto comma = spec.find(',');
  auto number = [&](const std::string& tok) {
    try {
      size_t used = 0;
      const double v = std::stod(tok, &used);
      if (used == tok.size() && std::isfinite(v)) return v;
    } catch (const std::exception&) {
    }
    throw UsageError("range '" + spec + "': '" + tok + "' is not a finite number; expected LO,HI, e.g. -1,1");
  };
  if (comma == std::string::npos) throw UsageError("range '" + spec + "': expected LO,HI, e.g. -1,1");
  const double lo = number(spec.substr(0, comma)), hi = number(spec.substr(comma + 1));
  if (!(lo < hi)) throw UsageError("range '" + spec + "': LO must be below HI");
  return {lo, hi};
}

void to_json(nlohmann::json& j, const Problem& p) {
  j = {{"name", p.name}, {"N", p.N},           {"C", p.C},       {"H", p.H},       {"W", p.W},
       {"K", p.K},       {"R", p.R},           {"S", p.S},       {"P", p.P()},     {"Q", p.Q()},
       {"stride", p.stride}, {"pad", p.pad},   {"bias", p.bias}, {"mish_count", p.mish_count},
       {"seed", p.seed}, {"flops", p.flops()}, {"min_bytes", p.min_bytes()}, {"shape", p.shape_string()}};
  if (!p.default_inputs()) j["inputs"] = {{"x_range", {p.x_lo, p.x_hi}}, {"w_scale", p.w_scale}};
}

void from_json(const nlohmann::json& j, Problem& p) {
  p.name = j.at("name").get<std::string>();
  p.N = json_int(j, "N"), p.C = json_int(j, "C"), p.H = json_int(j, "H"), p.W = json_int(j, "W");
  p.K = json_int(j, "K"), p.R = json_int(j, "R"), p.S = json_int(j, "S");
  p.stride = json_int_or(j, "stride", 1);
  p.pad = json_int_or(j, "pad", 0);
  p.bias = j.value("bias", true);
  p.mish_count = j.contains("mish_count") ? json_int32(j, "mish_count") : 2;
  p.seed = json_uint_or(j, "seed", 0);
  if (j.contains("inputs")) {  // written only when not the default (so earlier files read the same)
    const nlohmann::json& in = j.at("inputs");
    const nlohmann::json& r = in.at("x_range");
    if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number() || !in.at("w_scale").is_number())
      throw JsonFieldError("'inputs' must hold x_range [lo, hi] and w_scale as numbers");
    p.x_lo = r[0].get<double>(), p.x_hi = r[1].get<double>(), p.w_scale = in.at("w_scale").get<double>();
  }
  try {  // a file's problem is held to the same rules as the command line's (P() divides by the stride)
    p.validate();
  } catch (const UsageError& e) {
    throw JsonFieldError(e.what());
  }
}

}  // namespace convmish
