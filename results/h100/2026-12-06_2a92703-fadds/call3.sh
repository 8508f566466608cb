#!/usr/bin/env bash
# Session 11, call 3 at the commit in .carry/s11/commit (binaries built on the dev machine): fewer folds in the wgmma
# 3xTF32 kernels (fadds 36, 54 against 27) and the igemm_tf32f16 candidates (one group of 64x64-channel tiles),
# --repeat 2 beside cudnn.eager; then F16CrossGpu, TmaGpu and VariantsGpu of the f16 variants.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11c; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11c 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
T=build/tuner
d() { echo "bn:32/ck:8/epi:1/fadds:${fa:-27}/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/th:4/tma:1/wide:0"; }
x3() { echo "bn:32/ck:8/epi:1/fadds:${fa:-27}/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/sums:1/th:4/tma:1/wide:0"; }
x() { echo "bfrag:1/bn:${bn:-64}/ck:16/epi:1/fold:2/form:4/groups:${gr:-1}/order:${order:-0}/pairs:0/split:1/stages:${st:-2}/stagger:0/th:${th:-8}/tma:1/tw:${tw:-32}/unroll:1/wm:4/wn:${wn:-2}"; }
step wgmma
timeout 200 $T -p seed -v 'fused.wgmma_rs_3xtf32,fused.wgmma_rs_tf32f16' -c $(d) -c $(fa=36 d) -c $(fa=54 d) -c $(x3) -c $(fa=54 x3) -b 1 --repeat 2 -o $R/wgmma.json > $R/wgmma.log 2>&1; echo "rc $?"
grep -E "^\[" $R/wgmma.log | cut -c1-230
step igemm
timeout 240 $T -p seed -v 'fused.igemm_tf32f16' -c $(bn=32 gr=2 order=2 wn=1 x) -c $(x) -c $(th=4 tw=64 x) -c $(st=3 x) -b 1 --repeat 2 -o $R/igemm.json > $R/igemm.log 2>&1; echo "rc $?"
grep -E "^\[" $R/igemm.log | cut -c1-230
step gpu-tests
timeout 300 build/tests/gpu_tests --gtest_filter='F16CrossGpu.*:TmaGpu.*:Registry/VariantsGpu.*tf32f16*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
step done
