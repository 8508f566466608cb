#!/usr/bin/env bash
# Session 11, call 5 at the commit in .carry/s11/commit (binaries built on the dev machine): every GPU test; then
# F16CrossGpu against a mutant tuner whose f16 conversion does not saturate (cvt.rn instead of cvt.rn.satfinite), which
# the test must fail (inputs beyond f16's range then give Inf or NaN).
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11e; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11e 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
step gpu-tests
timeout 420 build/tests/gpu_tests > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -30
step mutant
cp .carry/s11/tuner_mutant build/tuner
timeout 100 build/tests/gpu_tests --gtest_filter='F16CrossGpu.*' > $R/mutant.log 2>&1; echo "mutant rc $? (1 expected)"
grep -E "^\[  (PASSED|FAILED) |Failure" $R/mutant.log | sort | uniq -c | head
grep -E "nonfinite|Which is" $R/mutant.log | head -8
step done
