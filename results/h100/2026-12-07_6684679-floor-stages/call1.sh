#!/usr/bin/env bash
# Session 16, call 1 at the commit in .carry/s16/commit (binaries built on the dev machine): 1) the composite floor
# with the seed's own output layout (seed_floor.cu: rows of 254 floats, 16-byte stores on even rows and 8-byte on odd
# ones) beside session 9's padded-row modes, two builds (Mish loop unrolled 8 times: every mode; fully: the padded
# TMA modes, whose data path alone compiles without spills then); 2) the six tensor-core defaults on the seed,
# --repeat 2 beside cudnn.eager/tf32:1, and strict cudnn.eager/tf32:0; 3) A/B of the wgmma_rs 3xTF32 default
# against stages 2 and nf 6 (the H200's nearest neighbours in session 15), --repeat 2.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r16a; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r16a 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s16/commit | tee $R/commit.txt
step floor
timeout 120 .carry/s16/bin/seed_floor_u8 > $R/floor_u8.txt 2>&1; echo "rc $?"; cat $R/floor_u8.txt
timeout 40 .carry/s16/bin/seed_floor_u16 "in+out" > $R/floor_u16.txt 2>&1; echo "rc $?"; cat $R/floor_u16.txt
T=build/tuner
step defaults
timeout 200 $T -p seed -v 'fused.wgmma_rs_*,fused.igemm_*' -b 1 --repeat 2 -o $R/defaults.json > $R/defaults.log 2>&1
echo "rc $?"; grep -E "^\[" $R/defaults.log | cut -c1-230
timeout 40 $T -p seed -v cudnn.eager -c tf32:0 --no-baseline -o $R/strict.json > $R/strict.log 2>&1; echo "rc $?"
grep -E "^\[" $R/strict.log | cut -c1-200
step ab
X3="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/order:2/split:1/sums:1/th:4/tma:1/tstore:0/ugrp:1/wide:0"
timeout 150 $T -p seed -v fused.wgmma_rs_3xtf32 --repeat 2 -o $R/ab.json -c "$X3/nf:4/stages:3" -c "$X3/nf:4/stages:2" \
  -c "$X3/nf:6/stages:3" -c "$X3/nf:6/stages:2" > $R/ab.log 2>&1; echo "rc $?"; grep -E "^\[" $R/ab.log | cut -c1-230
step done
