#!/usr/bin/env bash
# Session 11, call 2 at the commit in .carry/s11/commit (binaries built on the dev machine): fused.igemm_tf32f16 (the
# mma.sync 3xTF32 kernel with its cross terms in one f16 MMA). The seed: its default and neighbours beside the
# fused.igemm_3xtf32 default; then the four fp32-class tensor-core defaults --repeat 2 beside cudnn.eager (tf32:1
# baseline; strict tf32:0 in the same call). F16CrossGpu, TmaGpu and VariantsGpu of the f16 variants; compute-sanitizer
# memcheck and racecheck of the igemm f16 default on `small` and a TMA shape.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11b; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11b 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
T=build/tuner
x() { echo "bfrag:1/bn:${bn:-32}/ck:${ck:-16}/epi:1/fold:${fold:-2}/form:4/groups:${gr:-2}/order:${order:-2}/pairs:0/split:${split:-1}/stages:${st:-2}/stagger:0/th:${th:-8}/tma:1/tw:${tw:-32}/unroll:1/wm:4/wn:${wn:-1}"; }
step seed-igemm
timeout 240 $T -p seed -v 'fused.igemm_3xtf32,fused.igemm_tf32f16' -c $(x) -c $(split=0 x) -c $(fold=0 x) -c $(st=3 x) -c $(th=4 tw=64 x) -c $(bn=64 gr=1 order=0 wn=2 x) -c $(bn=64 gr=1 order=0 wn=2 st=3 x) -b 1 -o $R/igemm.json > $R/igemm.log 2>&1; echo "rc $?"
grep -E "^\[" $R/igemm.log | cut -c1-230
step seed-defaults
timeout 120 $T -p seed -v cudnn.eager -c tf32:0 -o $R/seed_fp32.json > $R/seed_fp32.log 2>&1; echo "rc fp32 $?"
timeout 240 $T -p seed -v 'fused.igemm_3xtf32,fused.igemm_tf32f16,fused.wgmma_rs_3xtf32,fused.wgmma_rs_tf32f16' -b 1 --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed_fp32.log $R/seed.log | cut -c1-230
step gpu-tests
timeout 300 build/tests/gpu_tests --gtest_filter='F16CrossGpu.*:TmaGpu.*:Registry/VariantsGpu.*tf32f16*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
for tool in memcheck racecheck; do
  step "$tool"
  for shape in small 2,16,34,36,32,3; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T -p $shape -v fused.igemm_tf32f16 -b 1 --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $R/san_${tool}_$shape.json > $R/san_${tool}_$shape.log 2>&1; echo "$tool $shape rc $?"; grep -E "SUMMARY" $R/san_${tool}_$shape.log
  done
done
step done
