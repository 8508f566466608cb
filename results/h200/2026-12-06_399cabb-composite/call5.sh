#!/usr/bin/env bash
# Session 9, fifth call: call 3's composite build (FULL_UNROLL=1) again on whatever card comes, with the real kernels
# timed by the tuner in the same call (its four tensor-core defaults beside cudnn.eager/tf32:1), and the composite
# again after them.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r5; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r5 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
C=.carry/cf/bin/composite_floor_full
step composite
for f in idle "tma data+Mish" "data+Mish 2 wg"; do timeout 90 $C "$f"; done > $R/composite_a.txt 2>&1; cat $R/composite_a.txt
step "seed defaults"
timeout 200 build/tuner -p seed -v 'fused.wgmma_rs_*,fused.igemm_*' -b 1 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | cut -c1-200
step "composite again"
for f in "tma data+Mish" "data+Mish 2 wg"; do timeout 90 $C "$f"; done > $R/composite_b.txt 2>&1; cat $R/composite_b.txt
step done
