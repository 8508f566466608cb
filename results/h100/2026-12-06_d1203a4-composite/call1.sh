#!/usr/bin/env bash
# Session 9, first call: (1) the composite floor (.carry/cf/composite_floor.cu, built on the dev machine): the seed's
# tensor work beside its data movement and Mish, power-steady, NVML energy counter; (2) the four tensor-core defaults
# on the seed beside cudnn.eager/tf32:1 on the same card; (3) compute-sanitizer memcheck and racecheck of both
# wgmma_rs defaults on `small` (the 3xTF32 default, nf 4 and order 2, had never run under them). The tuner is the
# dev machine's build of HEAD, carried; if it does not start here, it is built.
set -uo pipefail
export CONVMISH_GIT_COMMIT=$(cat .carry/commit) CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv | tee $R/device.txt
step "composite floor"
timeout 150 .carry/cf/bin/composite_floor > $R/composite.txt 2>&1; echo "rc $?"; cat $R/composite.txt
T=build/tuner
if ! $T --list > $R/list.txt 2>&1; then
  step "carried tuner does not start: building"; tail -3 $R/list.txt
  { cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-gpu -j 16 --target tuner; } > $R/build.log 2>&1 || { tail -30 $R/build.log; step "build failed"; exit 1; }
  T=build-gpu/tuner
fi
step "seed defaults"
timeout 170 $T -p seed -v 'fused.wgmma_rs_*,fused.igemm_*' -b 1 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | cut -c1-200
for tool in memcheck racecheck; do
  step $tool
  timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $T -p small -v 'fused.wgmma_rs_*' -b 1 --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $R/san_$tool.json > $R/san_$tool.log 2>&1; echo "$tool rc $?"; grep -E "SUMMARY| ok | incorrect" $R/san_$tool.log | cut -c1-170
done
step done
