#!/usr/bin/env bash
# Session 11, call 7 at the commit in .carry/s11/commit (binaries built on the dev machine): random sweeps of the two
# tf32f16 variants on the seed (the default plus 23 draws each, form 4 and tma 1 pinned), beside cudnn.eager.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11g; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11g 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
step sweep
timeout 420 build/tuner -p seed -v 'fused.wgmma_rs_tf32f16,fused.igemm_tf32f16' --pin form:4/tma:1 -b 24 --seed 11 --max-time 2 -o $R/sweep.json > $R/sweep.log 2>&1; echo "rc $?"
grep -E "^\[" $R/sweep.log | grep " ok " | awk '{for(i=1;i<=NF;i++) if($i=="ms"){print $(i-1), $3; break}}' | sort -n | head -12
step done
