#!/usr/bin/env bash
# Session 10, call 2 at cbb89a4 (binaries built on the dev machine): tma:1 on the mma.sync kernels (fused.igemm_*):
# TmaGpu (now with the igemm variants), compute-sanitizer memcheck and racecheck of both igemm defaults with tma:1 on a
# W 36 shape, and the seed: both defaults with tma:0 and tma:1 and a few tma:1 neighbours, --repeat 2, beside
# cudnn.eager.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r10b; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r10b 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
T=build/tuner
tf() { echo "bfrag:1/bn:64/ck:8/epi:1/form:2/groups:2/order:${order:-0}/pairs:${pairs:-0}/round:0/stages:${st:-3}/stagger:0/th:4/tma:${tma:-1}/tw:64/unroll:1/wm:4/wn:1"; }
x3() { echo "bfrag:1/bn:64/ck:16/epi:1/fold:2/form:4/groups:1/order:0/pairs:0/split:1/stages:${st:-2}/stagger:0/th:8/tma:${tma:-1}/tw:32/unroll:1/wm:4/wn:2"; }
step gpu-tests
timeout 200 build/tests/gpu_tests --gtest_filter='TmaGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
for tool in memcheck racecheck; do
  step "$tool"
  timeout 80 compute-sanitizer --tool $tool --error-exitcode 9 $T -p 2,16,34,36,32,3 -v 'fused.igemm_*' -c $(tf) -c $(x3) --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $R/san_$tool.json > $R/san_$tool.log 2>&1; echo "$tool rc $?"; grep -E "SUMMARY" $R/san_$tool.log
done
step seed
C="-c $(tma=0 tf) -c $(tf) -c $(st=2 tf) -c $(st=4 tf) -c $(order=2 tf) -c $(pairs=1 tf) -c $(tma=0 x3) -c $(x3) -c $(st=3 x3)"
timeout 300 $T -p seed -v 'fused.igemm_*' $C --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | sed 's/fused.igemm_//' | cut -c1-200
step done
