#include "tuner/tensor_map.hpp"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace convmish {
namespace {

using EncodeTiled = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                 const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                                 CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

EncodeTiled encoder() {
  static const EncodeTiled fn = [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult q{};
    const cudaError_t e = cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &q);
    if (e != cudaSuccess || q != cudaDriverEntryPointSuccess || !f)
      throw std::runtime_error(std::string("cuTensorMapEncodeTiled is not available from the driver (") +
                               cudaGetErrorString(e) + ")");
    return reinterpret_cast<EncodeTiled>(f);
  }();
  return fn;
}

}  // namespace

CUtensorMap encode_fp32_tensor_map(const float* base, int rank, const std::array<uint64_t, 5>& dims,
                                   const std::array<uint32_t, 5>& box, bool swizzle128) {
  if (rank < 1 || rank > 5) throw std::runtime_error("tensor map rank " + std::to_string(rank) + ": 1 to 5");
  cuuint64_t size[5], stride[4];
  cuuint32_t b[5], elem[5];
  uint64_t bytes = 4;
  for (int i = 0; i < rank; ++i) {
    size[i] = dims[i], b[i] = box[i], elem[i] = 1;
    if (i + 1 < rank) stride[i] = bytes * dims[i];
    bytes *= dims[i];
  }
  CUtensorMap map;
  const CUresult r = encoder()(&map, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, cuuint32_t(rank), const_cast<float*>(base),
                               size, stride, b, elem, CU_TENSOR_MAP_INTERLEAVE_NONE,
                               swizzle128 ? CU_TENSOR_MAP_SWIZZLE_128B : CU_TENSOR_MAP_SWIZZLE_NONE,
                               CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS) {
    std::string dims_s, box_s;
    for (int i = 0; i < rank; ++i) {
      dims_s += (i ? "x" : "") + std::to_string(dims[i]);
      box_s += (i ? "x" : "") + std::to_string(box[i]);
    }
    throw std::runtime_error("cuTensorMapEncodeTiled refused a " + dims_s + " fp32 tensor in boxes of " + box_s +
                             " (CUresult " + std::to_string(int(r)) + ")");
  }
  return map;
}

}  // namespace convmish
