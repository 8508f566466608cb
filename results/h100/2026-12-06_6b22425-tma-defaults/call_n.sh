#!/usr/bin/env bash
# Session 9, seventh call: neighbours of both wgmma_rs defaults with tma:1 on the seed (one round each, beside
# cudnn.eager/tf32:1), with both tma:0 defaults for reference: TMA frees the loader's registers, so look-ahead, fragment sets, stages, rows and turns may move.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r7; rm -rf $R; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
T=build/tuner
tf() { echo "bn:64/ck:8/epi:${epi:-1}/form:2/groups:2/la:${la:-2}/nf:${nf:-4}/order:${order:-0}/round:${round:-1}/stages:${st:-3}/th:${th:-4}/tma:1/wide:0"; }
x3() { echo "bn:32/ck:8/epi:1/form:4/groups:2/la:${la:-2}/nf:${nf:-4}/order:${order:-2}/split:${split:-1}/stages:${st:-3}/th:${th:-4}/tma:1/wide:0"; }
C="-c $(tf) -c $(la=1 tf) -c $(nf=6 tf) -c $(nf=3 tf) -c $(st=2 tf) -c $(order=2 tf) -c $(th=3 la=1 nf=3 tf) -c $(round=0 tf) -c $(epi=0 tf)"
C="$C -c $(tf | sed s/tma:1/tma:0/) -c $(x3 | sed s/tma:1/tma:0/) -c $(x3) -c $(order=0 x3) -c $(la=1 x3) -c $(nf=3 x3) -c $(nf=6 x3) -c $(st=2 x3) -c $(th=3 la=1 nf=3 x3) -c $(split=0 x3)"
timeout 500 $T -p seed -v 'fused.wgmma_rs_*' $C -o $R/n.json > $R/n.log 2>&1; echo "rc $?"
grep -E "^\[" $R/n.log | sed 's/fused.wgmma_rs_//' | cut -c1-175
tar czf $OUT/r.tgz -C /tmp r7
