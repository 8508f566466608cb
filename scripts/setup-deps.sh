#!/usr/bin/env bash
# Installs the Debian packages the build needs, if any is missing (needs root or sudo, and the Debian mirror).
# The CUDA toolkit 13 (nvcc, NVRTC, NVTX3) and cuDNN 9 are expected under /usr/local/cuda or the system folders.
set -euo pipefail
pkgs=(cmake ninja-build g++ nlohmann-json3-dev libcli11-dev libgtest-dev libbenchmark-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || { echo "setup-deps: nvcc (CUDA toolkit 13) not found" >&2; exit 1; }
