#!/usr/bin/env bash
# Session 11, call 8 at the commit in .carry/s11/commit (binaries built on the dev machine): Nsight Compute on the
# wgmma_rs 3xTF32 and tf32f16 defaults (scripts/profile-best.sh on call 4's seed.json, one launch each), for what
# limits the f16 kernel now.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11h; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11h 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
step profile
BUILD_DIR=build LAUNCHES=1 timeout 400 scripts/profile-best.sh .carry/s11/seed_c4.json $R/profile -v 'fused.wgmma_rs_3xtf32,fused.wgmma_rs_tf32f16' > $R/profile.log 2>&1; echo "rc $?"
tail -5 $R/profile.log
rm -f $R/profile/profile.ncu-rep
cat $R/profile/report_ncu.md 2>/dev/null | head -60 | cut -c1-250
step done
