#!/usr/bin/env bash
# Session 9: the PyTorch export of the new wgmma_rs defaults (tma:1: the module encodes a tensor map of each call's
# input) on a GPU: scripts/check-export.sh on the final call's seed.json (best tf32: wgmma_rs_tf32, best fp32:
# wgmma_rs_3xtf32), against the KernelBench Model on the seed and two other shapes, 2 seeds, no torch.compile.
set -uo pipefail
R=/tmp/r11; rm -rf $R; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,pci.bus_id,uuid --format=csv | tee $R/device.txt
cp results/h100/2026-12-06_17b1b34-final/seed.json $R/seed.json
BUILD_DIR=build SEEDS=2 NO_COMPILE=1 timeout 320 scripts/check-export.sh $R $R/seed.json > $R/check.log 2>&1; echo "rc $?"
tail -25 $R/check.log | cut -c1-220
rm -rf $R/*.so
tar czf $OUT/r.tgz -C /tmp r11
