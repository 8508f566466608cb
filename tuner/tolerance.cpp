#include "tuner/tolerance.hpp"

#include <stdexcept>

namespace convmish {

const std::vector<Tolerance>& all_tolerances() {
  static const std::vector<Tolerance> t = {
      {"fp32", 2e-6, 1e-5, 1e-5,
       "fp32 arithmetic: strict-fp32 PyTorch measures 5.3e-7 relative L2 on this problem; 4x headroom, and per "
       "element a few hundred ulp of a 576-term sum"},
      {"fp32_fastmath", 2e-5, 1e-5, 1e-4,
       "fp32 convolution with an intrinsic Mish (__expf, __fdividef, tanh.approx: ~1e-5 relative per evaluation, "
       "two evaluations)"},
      {"tf32", 2e-3, 5e-3, 5e-3,
       "operands rounded to TF32 (10-bit mantissa): ~3e-4 relative L2 and max abs ~1e-3 measured on this problem; "
       "any fast-math Mish error is far below this"},
  };
  return t;
}

const Tolerance& tolerance_for(const std::string& precision) {
  for (const auto& t : all_tolerances())
    if (t.precision == precision) return t;
  throw std::invalid_argument("unknown precision class '" + precision + "'");
}

}  // namespace convmish
