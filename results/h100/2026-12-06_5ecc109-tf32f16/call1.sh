#!/usr/bin/env bash
# Session 11, call 1 at the commit in .carry/s11/commit (binaries built on the dev machine): fused.wgmma_rs_tf32f16
# (3xTF32 with its cross terms in one f16 wgmma). VariantsGpu and TmaGpu of it; compute-sanitizer memcheck and
# racecheck of its default on `small` and a TMA shape; the seed: its default and neighbours beside the
# fused.wgmma_rs_3xtf32 default and cudnn.eager (tf32:1 baseline; strict tf32:0 in the same call), --repeat 2.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11a; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11a 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
T=build/tuner
d() { echo "bn:32/ck:8/epi:1/form:4/groups:2/la:${la:-2}/nf:${nf:-4}/order:${order:-2}/split:${split:-1}/stages:${st:-3}/th:${th:-4}/tma:1/wide:${wide:-0}"; }
x3="bn:32/ck:8/epi:1/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/sums:1/th:4/tma:1/wide:0"
step seed
timeout 120 $T -p seed -v cudnn.eager -c tf32:0 -o $R/seed_fp32.json > $R/seed_fp32.log 2>&1; echo "rc fp32 $?"
timeout 240 $T -p seed -v 'fused.wgmma_rs_3xtf32,fused.wgmma_rs_tf32f16' -c $x3 -c $(d) -c $(split=0 d) -c $(nf=3 d) -c $(nf=6 d) -c $(th=3 d) -c $(order=0 d) -c $(la=1 d) -c $(st=2 d) -c $(wide=1 nf=2 la=1 d) -b 1 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed_fp32.log $R/seed.log | cut -c1-230
step repeat
timeout 150 $T -p seed -v 'fused.wgmma_rs_3xtf32,fused.wgmma_rs_tf32f16' -c $x3 -c $(d) -b 1 --repeat 2 -o $R/seed_rep.json > $R/seed_rep.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed_rep.log | cut -c1-230
step gpu-tests
timeout 200 build/tests/gpu_tests --gtest_filter='TmaGpu.*:Registry/VariantsGpu.*tf32f16*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
for tool in memcheck racecheck; do
  step "$tool"
  for shape in small 2,16,34,36,32,3; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T -p $shape -v fused.wgmma_rs_tf32f16 -c $(d) --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $R/san_${tool}_$shape.json > $R/san_${tool}_$shape.log 2>&1; echo "$tool $shape rc $?"; grep -E "SUMMARY" $R/san_${tool}_$shape.log
  done
done
step done
