#!/usr/bin/env bash
# Session 15, call 2 at the commit in .carry/s15/commit (ugrp:1 now the wgmma_rs default; binaries built on the dev
# machine): 1) every GPU test; 2) the six tensor-core defaults on the seed, --repeat 2 beside cudnn.eager/tf32:1,
# and strict cudnn.eager/tf32:0; 3) neighbours of the new wgmma_rs 3xTF32 default (one parameter each), --repeat 2.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r15b; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r15b 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s15/commit | tee $R/commit.txt
T=build/tuner
step defaults
timeout 150 $T -p seed -v 'fused.wgmma_rs_*,fused.igemm_*' -b 1 --repeat 2 -o $R/defaults.json > $R/defaults.log 2>&1
echo "rc $?"; grep -E "^\[" $R/defaults.log | cut -c1-230
timeout 40 $T -p seed -v cudnn.eager -c tf32:0 --no-baseline -o $R/strict.json > $R/strict.log 2>&1; echo "rc $?"
grep -E "^\[" $R/strict.log | cut -c1-200
step neighbours
X3="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/stages:3/sums:1/th:4/tma:1/tstore:0/ugrp:1/wide:0"
args=(-c "$X3")
for n in fadds:36 fadds:54 la:1 nf:3 nf:6 stages:2 stages:4 th:3 th:3/sums:2 mcast:2 order:0 ck:16; do
  c=$X3; for kv in ${n//\// }; do c=$(echo "$c" | sed -E "s#(^|/)${kv%%:*}:[0-9]+#\1$kv#"); done; args+=(-c "$c")
done
timeout 240 $T -p seed -v fused.wgmma_rs_3xtf32 --repeat 2 -o $R/neighbours.json "${args[@]}" > $R/neighbours.log 2>&1
echo "rc $?"; grep -E "^\[" $R/neighbours.log | cut -c1-230
step gpu-tests
timeout 280 build/tests/gpu_tests > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |FAILED  \]|tests ran|Failure|Expected|Which is" $R/gpu_tests.log | head -30
step done
