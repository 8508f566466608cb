#!/usr/bin/env bash
# Session 10, call 5 at HEAD (binaries built on the dev machine, commit in .carry/s10/commit): every GPU test; the
# seed with the four tensor-core defaults, --repeat 2, beside cudnn.eager/tf32:1, and strict-fp32 cudnn.eager/tf32:0
# in the same run.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r10e; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r10e 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s10/commit | tee $R/commit.txt
T=build/tuner
step seed
timeout 200 $T -p seed -v cudnn.eager -c tf32:0 --repeat 2 -o $R/seed_fp32.json > $R/seed_fp32.log 2>&1; echo "rc fp32 $?"
timeout 200 $T -p seed -v 'fused.igemm_*,fused.wgmma_rs_*' -b 1 --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed_fp32.log $R/seed.log | cut -c1-220
step gpu-tests
timeout 330 build/tests/gpu_tests > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
step done
