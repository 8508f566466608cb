#!/usr/bin/env bash
# Session 9, third call: the composite floor with tensor-map TMA (one 68 x 6 x 16 box a chunk in, two 64 x 4 x 16
# boxes out), an idle mode for the board's base power, and the 16-byte-load composite again for reference.
set -uo pipefail
R=/tmp/r3; rm -rf $R; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,pci.bus_id --format=csv | tee $R/device.txt
timeout 200 .carry/cf/bin/composite_floor > $R/composite.txt 2>&1; echo "rc $?"; cat $R/composite.txt
tar czf $OUT/r.tgz -C /tmp r3
