#!/usr/bin/env bash
# Session 9, sixth call: tma:1 in fused.wgmma_rs_* (carried tuner, HEAD): validation on the TmaGpu shapes, the seed
# defaults with tma:0 and tma:1 beside cudnn.eager/tf32:1 (--repeat 2), compute-sanitizer on a small shape with tma:1.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r6; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r6 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
T=build/tuner
TF="bn:64/ck:8/epi:1/form:2/groups:2/la:2/nf:4/order:0/round:1/stages:3/th:4/tma:1/wide:0"
X3="bn:32/ck:8/epi:1/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/th:4/tma:1/wide:0"
step shapes
for sh in 2,16,34,36,32,3 2,3,12,16,1,3 1,5,9,8,7,3 2,5,14,16,9,3,3,1,1 2,6,11,12,9,5,5,1,2 1,32,40,44,65,3 4,3,20,21,16,3 45,16,62,68,64,3; do
  timeout 60 $T -p $sh -v 'fused.wgmma_rs_*' -c $TF -c $X3 --no-baseline --checks 2 --min-time 0 --max-time 0.02 --warmup-ms 1 --timeout 60 -o $R/shape_$sh.json > $R/shape_$sh.log 2>&1; echo "$sh rc $?"; grep -E "^\[" $R/shape_$sh.log | cut -c1-60,100-230
done
step seed
timeout 240 $T -p seed -v 'fused.wgmma_rs_*' -c "${TF/tma:1/tma:0}" -c $TF -c "${X3/tma:1/tma:0}" -c $X3 --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed.log | cut -c1-200
for tool in memcheck racecheck; do
  step $tool
  timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $T -p 2,16,34,36,32,3 -v 'fused.wgmma_rs_*' -c $TF -c $X3 --no-baseline --no-isolation --min-time 0 --max-time 0.001 --warmup-ms 0 -o $R/san_$tool.json > $R/san_$tool.log 2>&1; echo "$tool rc $?"; grep -E "SUMMARY| ok | incorrect|rror" $R/san_$tool.log | head -8 | cut -c1-200
done
step done
