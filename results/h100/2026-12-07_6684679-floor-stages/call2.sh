#!/usr/bin/env bash
# Session 16, call 2 (same commit, binaries as call 1): A/B of stages 2 against 3 for the wgmma_rs 3xTF32 and
# tf32f16 defaults, --repeat 2, beside cudnn.eager/tf32:1.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r16b; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r16b 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,uuid --format=csv | tee $R/device.txt
X3="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/th:4/tma:1/tstore:0/ugrp:1/wide:0"
timeout 150 build/tuner -p seed -v 'fused.wgmma_rs_3xtf32,fused.wgmma_rs_tf32f16' --repeat 2 -o $R/stages.json \
  -c "$X3/sums:1/stages:3" -c "$X3/sums:1/stages:2" -c "$X3/stages:3" -c "$X3/stages:2" > $R/stages.log 2>&1
echo "rc $?"; grep -E "^\[" $R/stages.log | cut -c1-200
step done
