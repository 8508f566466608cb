#!/usr/bin/env bash
# Session 12, call 1 at the commit in .carry/s12/commit (binaries built on the dev machine): thread block clusters
# (mcast) in fused.wgmma_rs_*: the ClusterGpu test, the seed with mcast 1 / 2 / 4 of each default (--repeat 2, beside
# cudnn.eager/tf32:1; strict tf32:0 once), compute-sanitizer on the clustered kernels and on the fused.igemm_tf32f16
# default (not run under the sanitizers in session 11).
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r12a; rm -rf $R; mkdir -p $R/sanitizer
step() { tar czf $OUT/r.tgz -C /tmp r12a 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s12/commit | tee $R/commit.txt
T=build/tuner
step seed
D1="bn:64/ck:8/epi:1/form:2/groups:2/la:2/nf:4/order:2/round:1/stages:3/th:4/tma:1/wide:0"
D3="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/sums:1/th:4/tma:1/wide:0"
DF="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/th:4/tma:1/wide:0"
timeout 100 $T -p seed -v cudnn.eager -c tf32:0 -o $R/seed_fp32.json > $R/seed_fp32.log 2>&1; echo "rc fp32 $?"
timeout 330 $T -p seed -v 'fused.wgmma_rs_*' --repeat 2 -o $R/seed.json \
  -c "$D1/mcast:1" -c "$D1/mcast:2" -c "${D1/bn:64/bn:32}/mcast:4" \
  -c "$D3/mcast:1" -c "$D3/mcast:2" -c "$D3/mcast:4" -c "$DF/mcast:1" -c "$DF/mcast:2" -c "$DF/mcast:4" \
  > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed_fp32.log $R/seed.log | cut -c1-220
step gpu-test
timeout 200 build/tests/gpu_tests --gtest_filter='ClusterGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure|Expected|Which is" $R/gpu_tests.log | head -30
step sanitizer
S=$R/sanitizer
for tool in memcheck racecheck; do
  timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $T -p 2,16,34,36,128,3 -v 'fused.wgmma_rs_*' \
    --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $S/mc-$tool.json \
    -c "$D3/mcast:4" -c "$DF/mcast:2" -c "${D1/bn:64/bn:32}/mcast:4" > $S/mc-$tool.log 2>&1; echo "rc mc $tool $?"
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY|^\[" $S/mc-$tool.log | tail -5 | cut -c1-200
  for shape in 2,16,34,36,32,3; do
    timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $T -p $shape -v fused.igemm_tf32f16 -b 1 \
      --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $S/igf16-$tool-$shape.json \
      > $S/igf16-$tool-$shape.log 2>&1; echo "rc igemm f16 $tool $shape $?"
    grep -E "ERROR SUMMARY|RACECHECK SUMMARY|^\[" $S/igf16-$tool-$shape.log | tail -3 | cut -c1-200
  done
done
step done
