// Tensor maps for the bulk tensor copy engine (TMA, sm_90): encoded on the host through the driver's
// cuTensorMapEncodeTiled, reached with cudaGetDriverEntryPointByVersion so that nothing links libcuda (binaries still
// start on machines without a driver).
#pragma once
#include <cuda.h>  // CUtensorMap and its enums (types only)

#include <array>
#include <cstdint>

namespace convmish {

// An fp32 tensor of up to 5 dimensions, innermost first: `dims` sizes, `box` the box one copy moves (each at most
// 256, box[0] * 4 bytes a multiple of 16), contiguous innermost with `dims`-derived strides (each a multiple of 16
// bytes: the caller checks). Elements outside the tensor arrive as zeros (loads) or are not written (stores).
// `swizzle128`: shared memory in 128-byte rows whose 16-byte chunks are XORed with the row (mod 8), box[0] * 4 at
// most 128 (TMA stores of the wgmma_rs epilogue). Throws std::runtime_error with the driver's error when the encoder
// is missing or refuses.
CUtensorMap encode_fp32_tensor_map(const float* base, int rank, const std::array<uint64_t, 5>& dims,
                                   const std::array<uint32_t, 5>& box, bool swizzle128 = false);

}  // namespace convmish
