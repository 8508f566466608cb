#!/usr/bin/env bash
# Session 10, call 7 (tree of the commit in .carry/s10/commit): where the fused.wgmma_rs_3xtf32 default's time and
# energy go. energy3x.sh builds energy3x.cu against copies of the kernel without parts of the work; each runs 200
# launches to reach the power limit, then 600 timed, NVML's energy counter over the last 400.
set -uo pipefail
R=/tmp/r10g; rm -rf $R; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
cat .carry/s10/commit | tee $R/commit.txt
bash .carry/s10/e3/energy3x.sh $PWD /tmp/e3 2>&1 | tee $R/build.txt
for t in full no_mish no_store no_load no_split one_product main_loop main_loop_no_split main_loop_one_product full; do
  timeout 40 /tmp/e3/$t/h 2>&1 | tee -a $R/energy3x.txt
done
tar czf $OUT/r.tgz -C /tmp r10g
