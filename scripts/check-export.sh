#!/usr/bin/env bash
# On a GPU machine with PyTorch: export the best fp32-class and the best tf32-class configuration of a results file
# as drop-in PyTorch modules (tuner export --pytorch), then check each against the original KernelBench Model on
# fresh random inputs over several shapes and seeds and time it against PyTorch eager and torch.compile in the same
# process (scripts/check_export.py). Logs, the modules and OUTDIR/export_check.json land in OUTDIR.
#   scripts/check-export.sh OUTDIR [RESULTS.json]
# RESULTS.json defaults to OUTDIR/seed.json; when that does not exist either, a quick seed sweep of the
# conv-then-Mish variants (the fastest of each class so far) writes OUTDIR/export-sweep.json first.
# Environment: BUILD_DIR (default build-gpu; configured and built when it has no tuner), EXPORT_VARIANTS='glob,...'
#              (also export and check one more module per glob: the best record of the matching variants),
#              SEEDS (default 5),
#              NO_COMPILE=1 (skip torch.compile), GATE_TIME=1 (exit 1 when a time is outside 5 % of the tuner's),
#              TORCH_EXTENSIONS_DIR (default /tmp/convmish-torch-extensions: load_inline's build, kept out of OUTDIR).
set -uo pipefail
OUTDIR=${1:?usage: scripts/check-export.sh OUTDIR [RESULTS.json]}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
RESULTS=${2:-$OUTDIR/seed.json}
[ -e "$RESULTS" ] && RESULTS=$(cd "$(dirname "$RESULTS")" && pwd)/$(basename "$RESULTS")
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-gpu}
export TORCH_EXTENSIONS_DIR=${TORCH_EXTENSIONS_DIR:-/tmp/convmish-torch-extensions}
step() { echo "== $(date -u +%H:%M:%S) $*"; }

if [ ! -x "$BUILD_DIR/tuner" ]; then
  step "configure + build $BUILD_DIR"
  { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build "$BUILD_DIR" -j --target tuner; } \
    > "$OUTDIR/export-build.log" 2>&1 || { tail -30 "$OUTDIR/export-build.log"; echo "BUILD FAILED"; exit 1; }
fi

if [ ! -f "$RESULTS" ]; then
  step "no $RESULTS: quick seed sweep of the conv-then-Mish variants"
  RESULTS=$OUTDIR/export-sweep.json
  "$BUILD_DIR/tuner" -p seed -v 'mish.float4,mish.fastmath,mish.fused2' -s random -b 6 -o "$RESULTS" \
    > "$OUTDIR/export-sweep.log" 2>&1 || { tail -20 "$OUTDIR/export-sweep.log"; echo "SWEEP FAILED"; exit 1; }
fi

step "export from $RESULTS"
modules=()
export_one() {  # name, then tuner export arguments
  local out="$OUTDIR/model_new_$1.py"
  shift
  if "$BUILD_DIR/tuner" export --pytorch "$RESULTS" "$@" -o "$out"; then modules+=("$out"); else return 1; fi
}
status=0
export_one fp32 --precision fp32 || status=1
export_one tf32 --precision tf32 || status=1
if [ -n "${EXPORT_VARIANTS:-}" ]; then
  IFS=',' read -ra globs <<< "$EXPORT_VARIANTS"
  for g in "${globs[@]}"; do
    export_one "$(echo "$g" | tr -c 'A-Za-z0-9_\n' '_')" --variant "$g" || status=1
  done
fi
[ ${#modules[@]} -gt 0 ] || { echo "nothing exported"; exit 1; }

step "check ${#modules[@]} module(s) against the original Model, then time them (extensions in $TORCH_EXTENSIONS_DIR)"
args=(--seeds "${SEEDS:-5}" --json "$OUTDIR/export_check.json")
[ "${NO_COMPILE:-0}" = 1 ] && args+=(--no-compile)
[ "${GATE_TIME:-0}" = 1 ] && args+=(--gate-time)
python3 scripts/check_export.py "${args[@]}" "${modules[@]}" || status=1
step "done, status $status"
exit $status
