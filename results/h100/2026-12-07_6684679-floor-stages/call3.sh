#!/usr/bin/env bash
# Session 16, call 3 (same commit and card as calls 1 and 2; run as one command line, copied here): the wgmma_rs
# 3xTF32 default with stages 2 on eight shapes, three checks each on fresh inputs (--checks 3), no baseline. Only
# the files listed in README came back (the device tool returns a limited number of files; the rest of the lines
# are in the call's output, quoted in the README).
X3="bn:32/ck:8/epi:1/fadds:27/form:4/groups:2/la:2/mcast:1/nf:4/order:2/split:1/th:4/tma:1/tstore:0/ugrp:1/wide:0/sums:1/stages:2"
export CONVMISH_CACHE_DIR=/tmp/rtc; mkdir -p $OUT/r16c
for p in small 2,16,34,36,32,3 1,3,9,8,1,3 3,5,20,24,44,3,3,1,1 2,6,11,13,9,5 45,16,62,68,64,3 2,64,34,36,256,3 2,130,18,20,40,3; do
  timeout 40 build/tuner -p $p -v fused.wgmma_rs_3xtf32 -c "$X3" --checks 3 --no-baseline -o $OUT/r16c/$(echo $p | tr , _).json > $OUT/r16c/$(echo $p | tr , _).log 2>&1
  echo "$p rc $? $(grep -E '^\[' $OUT/r16c/$(echo $p | tr , _).log | sed -E 's/.*wide:0 +//' | cut -c1-90)"
done
