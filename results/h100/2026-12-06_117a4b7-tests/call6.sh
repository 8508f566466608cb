#!/usr/bin/env bash
# Session 11, call 6 at the commit in .carry/s11/commit (binaries built on the dev machine): TurnsGpu with the tf32f16
# variants' turns, and F16CrossGpu again.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11f; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11f 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
step gpu-tests
timeout 300 build/tests/gpu_tests --gtest_filter='TurnsGpu.*:F16CrossGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[       OK|FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -30
step done
