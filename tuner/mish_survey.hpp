// Accuracy survey of the Mish forms (kernels/mish.cuh) on the GPU: every finite float input (all 2^32 bit
// patterns, NaN/Inf skipped), each form and the composition mish(mish(x)), against the double reference
// mish_ref (applied twice for the composition). Max ulp, absolute and relative error per input range.
#pragma once
#include <cstdint>
#include <ostream>

#include <nlohmann/json_fwd.hpp>

namespace convmish {

// `stride` > 1 samples every stride-th bit pattern (for tests); 1 is exhaustive. Returns the JSON document.
nlohmann::json run_mish_survey(int device, uint32_t stride, std::ostream& log);

}  // namespace convmish
