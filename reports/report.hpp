// One results file as a Markdown report: provenance, the best configuration per variant against the memory and
// compute floors, the per-part times where they were measured, and every failure counted per variant.
#pragma once
#include <string>

#include "reports/ncu_metrics.hpp"
#include "tuner/results.hpp"

namespace convmish {

// H100 SXM datasheet dense rates; other GPUs: see the note (printed under the table, and reports/README.md).
inline constexpr double kTf32PeakTflops = 494.7;  // tensor cores, TF32 inputs, fp32 accumulate, no sparsity
inline constexpr double kFfmaPeakTflops = 66.9;   // CUDA cores, fp32 FFMA

// Throws UsageError when meta.problem is present but malformed. With `ncu`, the best table gains the Nsight
// Compute metrics of each configuration's longest kernel, and a section lists every profiled kernel.
std::string report_markdown(const ResultsFile& f, const NcuMetrics* ncu = nullptr);

}  // namespace convmish
