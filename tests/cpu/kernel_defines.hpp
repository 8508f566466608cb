// A define that a variant passes to one of its kernels, for the CPU tests that check which kernel code a
// configuration selects (TMA, XF16, ...).
#pragma once
#include <string>
#include <vector>

#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"
#include "tuner/variant.hpp"

namespace convmish::testing_defines {

// The value of define `name` of the main kernel (the second of the variant's kernels) for (p, c); "missing" when it
// has none.
inline std::string main_kernel_define(const Variant& v, const Problem& p, const Config& c, const std::string& name) {
  const std::vector<KernelSpec> specs = v.kernels(p, c);  // (a range-for over a temporary's member would dangle)
  for (const auto& [n, val] : specs.at(1).defines)
    if (n == name) return val;
  return "missing";
}

}  // namespace convmish::testing_defines
