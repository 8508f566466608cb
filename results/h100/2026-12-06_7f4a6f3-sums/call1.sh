#!/usr/bin/env bash
# Session 10, call 1 at 7f4a6f3 (binaries built on the dev machine): SumsGpu and TmaGpu; the 3xTF32 A/B of sums:2
# against the default on the seed (--repeat 2, beside cudnn.eager); the wgmma-width micro-benchmark (N 32/64/128).
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r10a; rm -rf $R; mkdir -p $R
ln -sfn $PWD /work/main 2>/dev/null || { mkdir -p /work && ln -sfn $PWD /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
(nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -o /tmp/ws .carry/s10/wgmma_shapes.cu -ldl > $R/ws_build.log 2>&1; echo "build rc $?" >> $R/ws_build.log) &
BP=$!
timeout 200 build/tests/gpu_tests --gtest_filter='SumsGpu.*:TmaGpu.*' > $R/gpu_tests.log 2>&1; echo "gpu_tests rc $?"
tail -4 $R/gpu_tests.log
x3() { echo "bn:32/ck:8/epi:1/form:4/groups:2/la:${la:-2}/nf:${nf:-4}/order:2/split:1/stages:3/sums:${sums:-1}/th:${th:-4}/tma:1/wide:0"; }
C="-c $(x3) -c $(sums=2 th=3 x3) -c $(sums=2 th=3 nf=3 x3) -c $(th=3 x3) -c $(sums=2 th=2 nf=6 x3) -c $(sums=2 th=2 x3)"
timeout 240 build/tuner -p seed -v fused.wgmma_rs_3xtf32 $C --repeat 2 -o $R/sums.json > $R/sums.log 2>&1; echo "tuner rc $?"
grep -E "^\[|baseline|cudnn" $R/sums.log | cut -c1-200 | head -30
wait $BP; cat $R/ws_build.log | tail -2
timeout 60 /tmp/ws > $R/wgmma_shapes.txt 2>&1; echo "ws rc $?"; cat $R/wgmma_shapes.txt
tar czf $OUT/r.tgz -C /tmp r10a
