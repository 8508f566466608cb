#!/usr/bin/env bash
# Installs the Debian packages the build needs, when something is missing (needs root or sudo, and the Debian
# mirror). What is already there, from packages or built from source, is detected and left alone, so the script
# also passes on machines without network that have the libraries (the GPU machine).
# The CUDA toolkit 13 (nvcc, NVRTC, NVTX3) and cuDNN 9 are expected under /usr/local/cuda or the system folders.
set -euo pipefail
have_header() { for d in /usr/include /usr/local/include; do [ -f "$d/$1" ] && return 0; done; return 1; }
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
command -v g++ >/dev/null || missing+=(g++)
have_header nlohmann/json.hpp || missing+=(nlohmann-json3-dev)
have_header CLI/CLI.hpp || missing+=(libcli11-dev)
have_header gtest/gtest.h || missing+=(libgtest-dev)
have_header benchmark/benchmark.h || missing+=(libbenchmark-dev)
# The fuzz target of .ci/run: clang and its libFuzzer/sanitizer runtimes.
command -v clang++ >/dev/null || missing+=(clang)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null ||
  compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-aarch64.a" >/dev/null ||
  missing+=(libclang-rt-14-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  # Without a package mirror (or with the libraries in another prefix) carry on: CMake's find_package then names
  # exactly what is missing.
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"; } ||
    echo "setup-deps: could not install ${missing[*]}; continuing, the configure step will report what is missing" >&2
fi
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || { echo "setup-deps: nvcc (CUDA toolkit 13) not found" >&2; exit 1; }
