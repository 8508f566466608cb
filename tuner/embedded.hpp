// The files of kernels/, embedded at build time (cmake/EmbedKernels.cmake) so NVRTC can compile them anywhere.
#pragma once
#include <string>
#include <vector>

namespace convmish {

struct EmbeddedFile {
  std::string name;  // file name, e.g. "mish.cuh"
  std::string text;
};

const std::vector<EmbeddedFile>& embedded_kernel_files();
// The text of kernels/<name>; throws std::out_of_range when there is no such file.
const std::string& embedded_kernel(const std::string& name);

}  // namespace convmish
