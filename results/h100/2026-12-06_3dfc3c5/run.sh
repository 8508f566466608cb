#!/usr/bin/env bash
# Session 8, first call at HEAD c7a8ca4: build; the power-floor micro-benchmark (.carry/pf/power_floor.cu: wgmma and
# mma.sync with random, zero and constant operands, steady state, NVML power and clocks); the seed run of the four
# tensor-core defaults beside cudnn.eager/tf32:1 (--repeat 2); cudnn.eager strict fp32 (tf32:0); the GPU tests; the
# PyTorch eager anchors. Everything in $OUT/r.tgz, each step bounded so that the call stays under 600 s.
set -uo pipefail
export CONVMISH_GIT_COMMIT=$(cat .carry/commit) CONVMISH_CACHE_DIR=$PWD/build-gpu/rtc
R=/tmp/r; mkdir -p $R
# the device tool returns at most 8 files: everything goes into one archive, refreshed after each step
step() { tar czf $OUT/r.tgz -C /tmp r 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
T=build-gpu/tuner
step build
(nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -o /tmp/pf .carry/pf/power_floor.cu -ldl > $R/pf_build.log 2>&1 &)
{ cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-gpu -j 16 --target tuner gpu_tests; } > $R/build.log 2>&1 || { tail -30 $R/build.log; step "build failed"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv | tee $R/device.txt
step "power floor"
timeout 60 /tmp/pf > $R/power_floor.txt 2>&1; echo "rc $?"; cat $R/power_floor.txt $R/pf_build.log
(nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_event_reasons.active --format=csv -lms 250 > $R/smi.csv 2>&1 &)
step "seed defaults"
timeout 190 $T -p seed -v 'fused.wgmma_rs_*,fused.igemm_*' -b 1 --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | cut -c1-200
step "cudnn strict fp32"
timeout 50 $T -p seed -v cudnn.eager -c tf32:0 --no-baseline -o $R/cudnn_fp32.json > $R/cudnn_fp32.log 2>&1; echo "rc $?"
grep -E "^\[" $R/cudnn_fp32.log | cut -c1-200
pkill nvidia-smi
step gpu-tests
timeout 120 build-gpu/tests/gpu_tests > $R/gpu_tests.log 2>&1; echo "rc $?"; grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran" $R/gpu_tests.log | head -14
step anchors
timeout 45 python3 .carry/pytorch_anchors.py --no-compile --json $R/anchors.json > $R/anchors.log 2>&1; echo "rc $?"; tail -12 $R/anchors.log
step done
