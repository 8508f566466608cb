// tuner --cubin DIR: the kernels of the selected configurations compiled exactly as a sweep compiles them (NVRTC,
// the same options, defines and architecture), written out with ptxas's resource report, without a GPU. For reading
// SASS (cuobjdump -sass DIR/*.cubin) and for comparing it between commits: an offline nvcc build of the same file
// and defines does not always give the same code.
#pragma once
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "tuner/device.hpp"
#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"

namespace convmish {

// The GPU --cubin assumes when it asks a variant whether it supports a configuration: an H100 (sm_90, 132 SMs,
// 227 KiB of shared memory per block).
DeviceInfo sm90_device();

// Each selected variant's default configuration, or each of `configs` for the variants it fits (as -c), compiled for
// `problem` on sm_90 (sm_90a where the kernel needs it) with ptxas -v. Writes DIR/NAME.KERNEL.cubin and .log per
// kernel (the whole module compiled for it; NAME.KERNEL.I, I from 1, for a kernel that runs more than once), NAME
// being the record name with '/' as '__' and ':' as '-'; lists what it wrote on `out`. Returns the number of kernels
// written; a configuration that sm90_device() would not run (supports()) and a variant without kernels of its own
// (cuDNN) are listed and skipped. Throws UsageError for a filter or configuration that selects nothing and when DIR
// cannot be made or written (before any compilation), CompileError when a kernel does not compile.
int write_cubins(const Problem& problem, const std::string& variants, const std::vector<Config>& configs,
                 const std::filesystem::path& dir, std::ostream& out);

}  // namespace convmish
