#!/usr/bin/env bash
# Session 9: Nsight Compute on the new wgmma_rs defaults (tma:1, order:2) on the seed, one launch each, clocks not
# locked: speed of light, compute and memory workload, warp states (the stall reasons), occupancy, launch.
set -uo pipefail
export CONVMISH_CACHE_DIR=/tmp/rtc
R=/tmp/r10; rm -rf $R; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id,uuid --format=csv | tee $R/device.txt
NCU=ncu; command -v ncu > /dev/null || NCU=/usr/local/cuda/bin/ncu
timeout 300 $NCU --nvtx --nvtx-include 'convmish@profile/' --profile-from-start off --clock-control none \
  --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section WarpStateStats \
  --section Occupancy --section LaunchStats --force-overwrite --export $R/prof \
  build/tuner --profile -p seed -v 'fused.wgmma_rs_*' --launches 1 > $R/ncu.log 2>&1; echo "rc $?"; tail -5 $R/ncu.log
$NCU --import $R/prof.ncu-rep --page details --print-units base > $R/details.txt 2>&1
$NCU --import $R/prof.ncu-rep --page raw --csv --print-units base > $R/raw.csv 2>&1
grep -E "conv_igemm_mma|Duration|Compute \(SM\) Throughput|Memory Throughput|DRAM Throughput|Issue Slots Busy|Executed Ipc A|Stall|Warp Cycles Per Issued|Registers Per|Achieved Occupancy|L1/TEX Hit|L2 Hit|Mem Pipes Busy|SM Frequency" $R/details.txt | head -60
tar czf $OUT/r.tgz -C /tmp r10
