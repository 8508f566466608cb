#!/usr/bin/env bash
# Session 10, call 6 (binaries built on the dev machine, commit in .carry/s10/commit): TmaGpu with its strided check
# fixed; the PyTorch export of the igemm defaults (tma:1: the module encodes the tensor map): scripts/check-export.sh
# on call 5's seed.json with EXPORT_VARIANTS for the two igemm variants, 2 seeds, no torch.compile. After it, both
# wgmma_rs defaults against wide:1 with nf 2 (a step's fragments for all three tap columns), --repeat 2.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r10f; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r10f 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s10/commit | tee $R/commit.txt
step gpu-tests
timeout 100 build/tests/gpu_tests --gtest_filter='TmaGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
step export
cp .carry/s10/seed_c5.json $R/seed.json
BUILD_DIR=build SEEDS=2 NO_COMPILE=1 EXPORT_VARIANTS='fused.igemm_tf32,fused.igemm_3xtf32' timeout 300 scripts/check-export.sh $R $R/seed.json > $R/check.log 2>&1; echo "rc $?"
tail -30 $R/check.log | cut -c1-220
rm -rf $R/*.so $R/*.py.bak
step wide
W3="bn:32/ck:8/epi:1/form:4/groups:2/order:2/split:1/stages:3/sums:1/th:4/tma:1"
WT="bn:64/ck:8/epi:1/form:2/groups:2/order:2/round:1/stages:3/th:4/tma:1"
timeout 100 build/tuner -p seed -v 'fused.wgmma_rs_*' -c $W3/la:2/nf:4/wide:0 -c $W3/la:1/nf:2/wide:1 -c $W3/la:0/nf:2/wide:1 -c $WT/la:2/nf:4/wide:0 -c $WT/la:1/nf:2/wide:1 --repeat 2 -o $R/wide.json > $R/wide.log 2>&1; echo "rc $?"
grep -E "^\[" $R/wide.log | cut -c1-200
step done
