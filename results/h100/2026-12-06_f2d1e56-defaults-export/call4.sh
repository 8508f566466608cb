#!/usr/bin/env bash
# Session 11, call 4 at the commit in .carry/s11/commit (binaries built on the dev machine): the seed with every
# tensor-core default (fused.igemm_*, fused.wgmma_rs_*: TF32, 3xTF32 and the new tf32f16), --repeat 2 beside
# cudnn.eager/tf32:1, and strict cudnn.eager/tf32:0 in the same call; then the PyTorch export check of the two
# tf32f16 defaults from this seed.json (scripts/check-export.sh, 2 seeds, no torch.compile).
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r11d; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r11d 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s11/commit | tee $R/commit.txt
T=build/tuner
step seed
timeout 120 $T -p seed -v cudnn.eager -c tf32:0 -o $R/seed_fp32.json > $R/seed_fp32.log 2>&1; echo "rc fp32 $?"
timeout 300 $T -p seed -v 'fused.igemm_*,fused.wgmma_rs_*' -b 1 --repeat 2 -o $R/seed.json > $R/seed.log 2>&1; echo "rc $?"
grep -E "^\[" $R/seed_fp32.log $R/seed.log | cut -c1-200
step export
BUILD_DIR=build SEEDS=2 NO_COMPILE=1 EXPORT_VARIANTS='fused.igemm_tf32f16,fused.wgmma_rs_tf32f16' timeout 330 scripts/check-export.sh $R $R/seed.json > $R/check.log 2>&1; echo "rc $?"
tail -30 $R/check.log | cut -c1-220
rm -rf $R/*.so $R/*.py.bak
step done
