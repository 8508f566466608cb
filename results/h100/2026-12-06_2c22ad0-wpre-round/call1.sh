#!/usr/bin/env bash
# Session 14, call 1 at the commit in .carry/s14/commit (binaries built on the dev machine): WpreGpu (pre-split
# weights), then on the seed, --repeat 2 beside cudnn.eager/tf32:1: round:2 against the TF32 defaults (wgmma_rs and
# igemm), and wpre:1 against wpre:0 in the same mma.sync 3xTF32 shape and against the 3xTF32 default.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r14a; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r14a 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s14/commit | tee $R/commit.txt
T=build/tuner
W1="bn:64/ck:8/epi:1/form:2/groups:2/la:2/mcast:1/nf:4/order:2/stages:3/th:4/tma:1/tstore:0/wide:0"
I1="bfrag:1/bn:64/ck:8/epi:1/form:2/groups:2/order:2/pairs:0/stages:3/stagger:0/th:4/tma:1/tw:64/unroll:1/wm:4/wn:1"
I3="bfrag:1/bn:32/epi:1/form:4/groups:2/order:2/pairs:0/split:1/stagger:0/th:8/tma:1/tw:32/unroll:1/wm:4/wn:1"
step gpu-test
timeout 150 build/tests/gpu_tests --gtest_filter='WpreGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure|Expected|Which is" $R/gpu_tests.log | head -20
step seed
timeout 420 $T -p seed -v 'fused.wgmma_rs_tf32,fused.igemm_tf32,fused.igemm_3xtf32' -b 1 --repeat 2 -o $R/seed.json \
  -c "$W1/round:1" -c "$W1/round:2" -c "$I1/round:0" -c "$I1/round:2" \
  -c "$I3/ck:16/fold:2/stages:2/wpre:0" -c "$I3/ck:8/fold:1/stages:3/wpre:0" -c "$I3/ck:8/fold:1/stages:3/wpre:1" \
  > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | cut -c1-230
step done
