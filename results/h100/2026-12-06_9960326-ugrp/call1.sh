#!/usr/bin/env bash
# Session 15, call 1 at the commit in .carry/s15/commit (binaries built on the dev machine): the warp-uniform group
# index (ugrp:1) of fused.wgmma_rs_*, never run before. 1) seed A/B, --repeat 2 beside cudnn.eager/tf32:1: each
# wgmma_rs default with ugrp 0 and 1, and the TF32 one with round:0 too; 2) TmaGpu (runs the defaults with ugrp:1
# on every TMA shape); 3) compute-sanitizer memcheck + racecheck with ugrp:1 on a TMA shape; 4) a random sweep of
# the wgmma_rs 3xTF32 and TF32 spaces pinned to ugrp:1 (are other shapes better with it?).
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r15a; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r15a 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s15/commit | tee $R/commit.txt
T=build/tuner
TF="bn:64/ck:8/epi:1/form:2/groups:2/la:2/mcast:1/nf:4/order:2/stages:3/th:4/tma:1/tstore:0/wide:0"
X3="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/stages:3/sums:1/th:4/tma:1/tstore:0/wide:0"
F16="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/stages:3/th:4/tma:1/tstore:0/wide:0"
step seed-ab
timeout 300 $T -p seed -v 'fused.wgmma_rs_*' --repeat 2 -o $R/seed.json \
  -c "$TF/round:1/ugrp:0" -c "$TF/round:1/ugrp:1" -c "$TF/round:0/ugrp:0" -c "$TF/round:0/ugrp:1" \
  -c "$X3/ugrp:0" -c "$X3/ugrp:1" -c "$F16/ugrp:0" -c "$F16/ugrp:1" > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | cut -c1-230
step gpu-test
timeout 150 build/tests/gpu_tests --gtest_filter='TmaGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure|Expected|Which is" $R/gpu_tests.log | head -20
step sanitizer
for tool in memcheck racecheck; do
  timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $T -p 2,16,34,36,32,3 -v 'fused.wgmma_rs_*' \
    -c "$TF/round:1/ugrp:1" -c "$X3/ugrp:1" -c "$F16/ugrp:1" --no-baseline --no-isolation --min-time 0 \
    --max-time 0.001 --warmup-ms 0 -o $R/san_$tool.json > $R/san_$tool.log 2>&1; echo "$tool rc $?"
  grep -E "SUMMARY| ok | incorrect|rror" $R/san_$tool.log | head -8 | cut -c1-200
done
step sweep
timeout 200 $T -p seed -v 'fused.wgmma_rs_3xtf32,fused.wgmma_rs_tf32' --pin ugrp:1 -b 14 --seed 15 -o $R/sweep.json \
  > $R/sweep.log 2>&1; echo "rc $?"
grep -E "^\[" $R/sweep.log | cut -c1-230
step done
