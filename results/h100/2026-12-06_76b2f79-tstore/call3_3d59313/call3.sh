#!/usr/bin/env bash
# Session 13, call 3 at the commit in .carry/s13/commit (binaries built on the dev machine): every GPU test.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r13c; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r13c 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s13/commit | tee $R/commit.txt
step gpu-tests
timeout 560 build/tests/gpu_tests > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -30
grep -E "OK \]" $R/gpu_tests.log | sed 's/.*OK \] //' | tr '\n' ';' | cut -c1-3000; echo
step done
