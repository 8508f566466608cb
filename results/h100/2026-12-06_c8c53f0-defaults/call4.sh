#!/usr/bin/env bash
# Session 13, call 4 at the commit in .carry/s13/commit (tuner built on the dev machine): the six tensor-core defaults
# (#5's mma.sync and #8's wgmma_rs) on the seed, --repeat 2 beside cudnn.eager/tf32:1, and strict cudnn.eager/tf32:0.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r13d; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r13d 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s13/commit | tee $R/commit.txt
T=build/tuner
step strict
timeout 100 $T -p seed -v cudnn.eager -c tf32:0 -o $R/seed_fp32.json > $R/seed_fp32.log 2>&1; echo "rc fp32 $?"
step defaults
timeout 400 $T -p seed -v 'fused.igemm_*,fused.wgmma_rs_*' -b 1 --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed_fp32.log $R/seed.log | cut -c1-200
step done
