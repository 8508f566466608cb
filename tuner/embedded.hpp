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
// The text of kernels/<name> (or of a file added below); throws std::out_of_range when there is no such file.
const std::string& embedded_kernel(const std::string& name);
// Adds a kernel file that only some binaries carry (the tests' fault variants, cmake/EmbedKernels.cmake with
// REGISTER): a .cu file, which may include the headers of kernels/. Called at static initialisation only.
void add_embedded_kernel(EmbeddedFile f);

}  // namespace convmish
