#!/usr/bin/env bash
# Session 11, call 9 at the commit in .carry/s11/commit (binaries built on the dev machine): every GPU test at the
# session's last kernel and test change.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11i; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11i 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
step gpu-tests
timeout 420 build/tests/gpu_tests > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -30
step done
