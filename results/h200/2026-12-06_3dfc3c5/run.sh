#!/usr/bin/env bash
# Session 8, second call at 3dfc3c5 (the GPU code of c7a8ca4): build; the GPU tests the first call's 120 s cut off
# (VariantsGpu of fused.wgmma_tf32 and the four Mish variants); the energy harness (.carry/en: the
# wgmma_rs_tf32 default without Mish, stores or loads, power-steady, binaries built here); the session-6 3xTF32 default's neighbours on this
# card (chosen on an H200) beside cudnn.eager/tf32:1. Everything in $OUT/r.tgz.
set -uo pipefail
export CONVMISH_GIT_COMMIT=$(cat .carry/commit) CONVMISH_CACHE_DIR=$PWD/build-gpu/rtc
R=/tmp/r; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
T=build-gpu/tuner
step build
{ cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-gpu -j 16 --target tuner gpu_tests; } > $R/build.log 2>&1 || { tail -30 $R/build.log; step "build failed"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv | tee $R/device.txt
step gpu-tests
timeout 200 build-gpu/tests/gpu_tests --gtest_filter='Registry/VariantsGpu.*fused_wgmma_tf32:Registry/VariantsGpu.*mish_*' > $R/gpu_tests2.log 2>&1; echo "rc $?"; grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran| OK \]" $R/gpu_tests2.log | head -14
step energy
for t in full no_mish no_store no_store_no_mish no_load no_load_store_mish; do timeout 30 .carry/en/bin/$t; done 2>&1 | tee $R/energy.txt
step "3xtf32 neighbours"
D=bn:32/ck:8/epi:1/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/th:4/wide:0; A=(-c $D)
for s in "nf:4/order:2|nf:3/order:0" "nf:4/order:2|nf:3/order:2" "nf:4/order:2|nf:4/order:0" "la:2|la:1" "stages:3|stages:2"; do A+=(-c "${D/${s%|*}/${s#*|}}"); done
timeout 200 $T -p seed -v fused.wgmma_rs_3xtf32 "${A[@]}" -o $R/n3x.json > $R/n3x.log 2>&1; echo "rc $?"
grep -E "^\[" $R/n3x.log | cut -c1-200
step done
