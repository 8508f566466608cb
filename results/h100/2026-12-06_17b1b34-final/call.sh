#!/usr/bin/env bash
# Session 9, last call: the GPU tests built on the dev machine from this tree (defaults now tma:1, order:2; their
# compiled-in paths are /work/main/build/..., so /work/main is made to point here) and run those the change touches: TmaGpu, TurnsGpu and VariantsGpu of both wgmma_rs variants; compute-sanitizer on the new
# defaults (a W 36 shape: TMA; `small`, W 37: the cp.async fallback); the seed defaults once beside cudnn.eager.
set -uo pipefail
export CONVMISH_GIT_COMMIT=$(cat .carry/commit) CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r8; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r8 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
ls -la /work/main/build/tuner /work/main/build/tests/gpu_tests | tee $R/paths.txt
T=build/tuner
step gpu-tests
timeout 240 build/tests/gpu_tests --gtest_filter='TmaGpu.*:TurnsGpu.*:Registry/VariantsGpu.*wgmma_rs*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[       OK|FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
for tool in memcheck racecheck; do
  for sh in 2,16,34,36,32,3 small; do
    step "$tool $sh"
    timeout 50 compute-sanitizer --tool $tool --error-exitcode 9 $T -p $sh -v 'fused.wgmma_rs_*' -b 1 --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $R/san_${tool}_$sh.json > $R/san_${tool}_$sh.log 2>&1; echo "$tool $sh rc $?"; grep -E "SUMMARY" $R/san_${tool}_$sh.log
  done
done
step seed
timeout 60 $T -p seed -v 'fused.wgmma_rs_*' -b 1 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"; grep -E "^\[" $R/seed.log | cut -c1-200
step done
