#!/usr/bin/env bash
# Session 9, second call: the composite floor with the bulk-copy path (cp.async.bulk loads and stores, minimal
# traffic) beside the 16-byte-load path, then the four tensor-core defaults on the seed beside cudnn.eager/tf32:1 on
# the same card (tuner: the dev machine's build of HEAD, carried).
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r2; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r2 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id --format=csv | tee $R/device.txt
step "composite floor"
timeout 200 .carry/cf/bin/composite_floor > $R/composite.txt 2>&1; echo "rc $?"; cat $R/composite.txt
step "seed defaults"
timeout 200 build/tuner -p seed -v 'fused.wgmma_rs_*,fused.igemm_*' -b 1 --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | cut -c1-200
step done
