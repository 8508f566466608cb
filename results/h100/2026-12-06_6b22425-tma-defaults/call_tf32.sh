#!/usr/bin/env bash
# Session 9: the TF32 candidates with tma:1 (order 0, order 2, order 2 with nf 6) and tma:0's default, --repeat 2
# beside cudnn.eager/tf32:1.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r9; rm -rf $R; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
B="bn:64/ck:8/epi:1/form:2/groups:2/la:2"
timeout 300 build/tuner -p seed -v 'fused.wgmma_rs_tf32' -c $B/nf:4/order:0/round:1/stages:3/th:4/tma:0/wide:0 -c $B/nf:4/order:0/round:1/stages:3/th:4/tma:1/wide:0 -c $B/nf:4/order:2/round:1/stages:3/th:4/tma:1/wide:0 -c $B/nf:6/order:2/round:1/stages:3/th:4/tma:1/wide:0 --repeat 2 -o $R/tf32.json > $R/tf32.log 2>&1; echo "rc $?"
grep -E "^\[" $R/tf32.log | cut -c1-190
tar czf $OUT/r.tgz -C /tmp r9
