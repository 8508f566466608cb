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

// Throws std::invalid_argument for an unknown class.
const Tolerance& tolerance_for(const std::string& precision);
const std::vector<Tolerance>& all_tolerances();

}  // namespace convmish
