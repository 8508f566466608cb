// Precision classes and their tolerances: the one place where "correct" is defined (see ANCHORS.md).
// Each class is judged against the fp64-accurate reference (cuDNN FMA convolution + bias + Mish in double).
#pragma once
#include <string>
#include <vector>

namespace convmish {

struct Tolerance {
  std::string precision;  // class name
  double rel_l2;          // bound on ||out - ref|| / ||ref||
  double atol, rtol;      // per element: |out - ref| <= atol + rtol |ref|
  std::string why;
};

// rel_l2 is an aggregate: on a handful of outputs it is one value's relative error, which cancellation in that
// one dot product can blow up while the value is accurate to far below atol. Under this many outputs only the
// per-element bound judges (seen on the 1x1-output test shape: |d| = 2.4e-8, rel_l2 2.4e-6).
inline constexpr long long kRelL2MinElements = 256;

// Throws std::invalid_argument for an unknown class.
const Tolerance& tolerance_for(const std::string& precision);
const std::vector<Tolerance>& all_tolerances();

}  // namespace convmish
