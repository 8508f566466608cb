#!/usr/bin/env bash
# Session 9, fourth call: the composite floor again, now also with TMA loads and 16-byte stores from registers
# (no output staging), beside TMA boxes both ways, the 16-byte-load composite and the idle mode.
set -uo pipefail
R=/tmp/r4; rm -rf $R; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id --format=csv | tee $R/device.txt
timeout 200 .carry/cf/bin/composite_floor > $R/composite.txt 2>&1; echo "rc $?"; cat $R/composite.txt
tar czf $OUT/r.tgz -C /tmp r4
