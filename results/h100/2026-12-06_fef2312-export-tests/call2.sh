#!/usr/bin/env bash
# Session 12, call 2 at the commit in .carry/s12/commit (binaries built on the dev machine): the PyTorch export of
# clustered records (mcast:2, the tuner's clustered launch written as cudaLaunchKernelEx) from call 1's seed.json,
# checked against the KernelBench Model and timed (scripts/check_export.py, 2 seeds, no torch.compile), beside the
# same variants' mcast:1 records.
set -uo pipefail
R=/tmp/r12b; rm -rf $R; mkdir -p $R
step() { tar czf $OUT/r.tgz -C /tmp r12b 2>/dev/null; echo "== $(date -u +%H:%M:%S) $*"; }
[ -e /work/main ] || { mkdir -p /work && ln -s "$PWD" /work/main; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s12/commit | tee $R/commit.txt
S=results/h100/2026-12-06_824dbfb-mcast/seed.json
mods=()
for id in 8 5 7 4; do  # tf32f16 mcast:2, tf32 mcast:2, then their mcast:1 records
  build/tuner export --pytorch $S --record $id -o $R/model_new_r$id.py >> $R/export.log 2>&1 && mods+=($R/model_new_r$id.py)
done
cat $R/export.log | cut -c1-200
step check
export TORCH_EXTENSIONS_DIR=/tmp/convmish-torch-extensions
timeout 330 python3 scripts/check_export.py --seeds 2 --no-compile --json $R/export_check.json "${mods[@]}" > $R/check.log 2>&1
echo "rc $?"
tail -16 $R/check.log | cut -c1-220
step done
