#!/usr/bin/env bash
# Session 13, call 2 at the commit in .carry/s13/commit (binaries built on the dev machine): tstore where rows start on
# 16 bytes (Q % 4 == 0): the StoreGpu test, the seed's work with padding 1 (Q = 256) with tstore 0 / 1 of each
# default (--repeat 2, beside cudnn.eager/tf32:1), compute-sanitizer memcheck and racecheck of tstore:1.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r13b; rm -rf $R; mkdir -p $R/sanitizer
step() { tar czf $OUT/r.tgz -C /tmp r13b 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s13/commit | tee $R/commit.txt
T=build/tuner
D1="bn:64/ck:8/epi:1/form:2/groups:2/la:2/mcast:1/nf:4/order:2/round:1/stages:3/th:4/tma:1/wide:0"
D3="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/stages:3/sums:1/th:4/tma:1/wide:0"
DF="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/stages:3/th:4/tma:1/wide:0"
step gpu-test
timeout 200 build/tests/gpu_tests --gtest_filter='StoreGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure|Expected|Which is" $R/gpu_tests.log | head -20
step padded
timeout 250 $T -p 64,64,256,256,128,3,3,1,1 -v 'fused.wgmma_rs_*' --repeat 2 -o $R/pad1.json \
  -c "$D1/tstore:0" -c "$D1/tstore:1" -c "$D3/tstore:0" -c "$D3/tstore:1" -c "$DF/tstore:0" -c "$DF/tstore:1" \
  > $R/pad1.log 2>&1; echo "rc $?"
grep -E "^\[" $R/pad1.log | cut -c1-250
step sanitizer
S=$R/sanitizer
for tool in memcheck racecheck; do
  timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T -p 2,16,10,68,32,3,3,1,1 \
    -v 'fused.wgmma_rs_tf32,fused.wgmma_rs_3xtf32' --no-baseline --no-isolation --min-time 0 --max-time 0.001 \
    --warmup-ms 0 -o $S/ts-$tool.json -c "$D1/tstore:1" -c "$D3/tstore:1" > $S/ts-$tool.log 2>&1; echo "rc $tool $?"
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY|^\[" $S/ts-$tool.log | tail -5 | cut -c1-200
done
step done
