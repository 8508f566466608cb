#!/usr/bin/env bash
# Session 10, call 3 at c3e4335 (binaries built on the dev machine): the new fused.igemm_* defaults (tma:1; TF32
# order:2): TmaGpu, TurnsGpu and VariantsGpu of the igemm variants; compute-sanitizer memcheck and racecheck of the
# defaults on a W 36 shape (TMA) and on `small` (W 37: cp.async); the seed: new and old defaults and the 3xTF32 with
# two groups and turns, --repeat 2, beside cudnn.eager.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r10c; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r10c 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
T=build/tuner
tf() { echo "bfrag:1/bn:64/ck:8/epi:1/form:2/groups:2/order:${order:-2}/pairs:0/round:0/stages:3/stagger:0/th:4/tma:${tma:-1}/tw:64/unroll:1/wm:4/wn:1"; }
x3() { echo "bfrag:1/bn:${bn:-64}/ck:16/epi:1/fold:2/form:4/groups:${g:-1}/order:${order:-0}/pairs:0/split:1/stages:2/stagger:0/th:8/tma:${tma:-1}/tw:32/unroll:1/wm:4/wn:${wn:-2}"; }
step gpu-tests
timeout 300 build/tests/gpu_tests --gtest_filter='TmaGpu.*:TurnsGpu.*:Registry/VariantsGpu.*igemm*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[       OK|FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
for tool in memcheck racecheck; do
  for sh in 2,16,34,36,32,3 small; do
    step "$tool $sh"
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T -p $sh -v 'fused.igemm_*' -b 1 --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $R/san_${tool}_$sh.json > $R/san_${tool}_$sh.log 2>&1; echo "$tool $sh rc $?"; grep -E "SUMMARY" $R/san_${tool}_$sh.log
  done
done
step seed
C="-c $(tf) -c $(tma=0 order=0 tf) -c $(x3) -c $(tma=0 x3) -c $(bn=32 g=2 wn=1 order=2 x3)"
timeout 300 $T -p seed -v 'fused.igemm_*' $C --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | sed 's/fused.igemm_//' | cut -c1-210
step done
