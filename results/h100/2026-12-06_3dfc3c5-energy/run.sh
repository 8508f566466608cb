#!/usr/bin/env bash
# Session 8, third call: the energy harness (.carry/en, binaries built on the dev machine from energy.cu and the
# kernel at HEAD) in a power-steady state with NVML's energy counter: the wgmma_rs_tf32 default, then without Mish,
# stores or loads, then the full kernel again (drift check).
set -uo pipefail
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv | tee $OUT/device.txt
for t in full no_mish no_store no_store_no_mish no_load no_load_store_mish full; do timeout 30 .carry/en/bin/$t; done 2>&1 | tee $OUT/energy.txt
