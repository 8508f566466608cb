#!/usr/bin/env bash
# Session 10, call 4 at HEAD (binaries built on the dev machine): TmaGpu (its strided igemm check fixed), and the
# neighbours of the new fused.igemm_* defaults (tma:1; TF32 order:2) on the seed, one parameter at a time, one round,
# beside cudnn.eager.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r10d; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r10d 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
T=build/tuner
step gpu-tests
timeout 200 build/tests/gpu_tests --gtest_filter='TmaGpu.*' > $R/gpu_tests.log 2>&1; echo "rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[       OK|FAILED  \]|tests ran|Failure" $R/gpu_tests.log | head -20
tf() { echo "bfrag:${bfrag:-1}/bn:64/ck:${ck:-8}/epi:${epi:-1}/form:${form:-2}/groups:${g:-2}/order:${order:-2}/pairs:0/round:${round:-0}/stages:${st:-3}/stagger:0/th:${th:-4}/tma:1/tw:${tw:-64}/unroll:${un:-1}/wm:${wm:-4}/wn:1"; }
x3() { echo "bfrag:${bfrag:-1}/bn:${bn:-64}/ck:${ck:-16}/epi:1/fold:${fold:-2}/form:4/groups:${g:-1}/order:${order:-0}/pairs:0/split:${split:-1}/stages:${st:-2}/stagger:0/th:${th:-8}/tma:1/tw:${tw:-32}/unroll:1/wm:${wm:-4}/wn:${wn:-2}"; }
step seed
C="-c $(tf) -c $(th=8 tw=32 tf) -c $(g=1 order=0 tf) -c $(epi=0 tf) -c $(bfrag=0 tf) -c $(round=1 tf) -c $(un=0 tf) -c $(form=3 tf) -c $(th=8 wm=8 g=1 order=0 tf)"
C="$C -c $(x3) -c $(bn=32 g=2 wn=1 order=2 x3) -c $(bn=32 g=2 wn=1 order=2 ck=8 st=3 x3) -c $(ck=8 st=3 x3) -c $(fold=1 x3) -c $(bfrag=0 x3) -c $(th=4 tw=64 x3) -c $(wm=8 wn=1 x3)"
timeout 480 $T -p seed -v 'fused.igemm_*' $C -o $R/n.json > $R/n.log 2>&1; echo "rc $?"
grep -E "^\[" $R/n.log | sed 's/fused.igemm_//' | cut -c1-215
step done
