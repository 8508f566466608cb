#!/usr/bin/env bash
# On a GPU machine with Nsight Compute: profile the best configuration of each variant in a results file. Runs
# `tuner --profile-best` under ncu with the exact NVTX filters the tuner prints (one per configuration, the range
# named like the record), --clock-control none, then exports the headline metrics of every captured kernel and
# checks that each one was found by its configuration's NVTX range. Builds nothing.
#   scripts/profile-best.sh RESULTS.json OUTDIR [tuner arguments, e.g. -v 'mish.*' or --problem small]
# Environment: BUILD_DIR (default build-gpu, built beforehand, e.g. by scripts/gpu-check.sh), NCU (default: ncu
#              on PATH, else /usr/local/cuda/bin/ncu),
#              LAUNCHES (default 3: launches of each configuration), NSYS=1 (also an Nsight Systems timeline of
#              the same region, when nsys is installed).
# OUTDIR receives: profile_plan.json (targets, filters, commands, outcome), profile.ncu-rep, ncu.log,
# ncu_raw.csv, ncu_metrics.json (schema convmish.ncu_metrics: reports/README.md) and report_ncu.md.
# Exit: 0 done; 1 a step failed (the reason on the last line); 2 bad usage.
set -uo pipefail
usage="usage: scripts/profile-best.sh RESULTS.json OUTDIR [tuner arguments]"
RESULTS=${1:?$usage}
OUTDIR=${2:?$usage}
shift 2
fail() { echo "profile-best: $*" >&2; exit 1; }
[ -f "$RESULTS" ] || { echo "profile-best: $RESULTS: no such file" >&2; exit 2; }
RESULTS=$(cd "$(dirname "$RESULTS")" && pwd)/$(basename "$RESULTS")
mkdir -p "$OUTDIR" && OUTDIR=$(cd "$OUTDIR" && pwd) || exit 2
cd "$(dirname "$0")/.." || exit 2
BUILD_DIR=${BUILD_DIR:-build-gpu}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac
if [ -z "${NCU:-}" ]; then  # the toolkit's ncu when none is on PATH
  NCU=ncu
  command -v ncu > /dev/null || { [ -x /usr/local/cuda/bin/ncu ] && NCU=/usr/local/cuda/bin/ncu; }
fi
LAUNCHES=${LAUNCHES:-3}
TUNER=$BUILD_DIR/tuner
PLAN=$OUTDIR/profile_plan.json
REPORT=$OUTDIR/profile
[ -x "$TUNER" ] || fail "no $TUNER: build first (cmake --build $BUILD_DIR, or scripts/gpu-check.sh)"
command -v "$NCU" > /dev/null || fail "Nsight Compute ('$NCU') not found: install it or set NCU=/path/to/ncu"
command -v python3 > /dev/null || fail "python3 not found (it converts the ncu export)"
echo "== $(date -u +%H:%M:%S) plan: best configuration of each variant in $RESULTS"
"$TUNER" --profile-best "$RESULTS" --launches "$LAUNCHES" --plan "$PLAN" --ncu-report "$REPORT" --dry-run "$@" \
  > "$OUTDIR/profile-plan.log" 2>&1 || { cat "$OUTDIR/profile-plan.log"; fail "tuner --profile-best --dry-run failed"; }
cat "$OUTDIR/profile-plan.log"
"$NCU" --version | tail -1

# Runs the plan's ncu command (exact per-configuration filters, or with --fallback the single "profile" range),
# then exports the raw page; sets KERNELS to the number of captured kernels.
capture() {
  local log=$1; shift
  local -a cmd
  mapfile -d '' -t cmd < <(python3 scripts/ncu_metrics.py argv "$PLAN" "$@")
  [ ${#cmd[@]} -gt 1 ] || fail "no ncu command in $PLAN"
  cmd[0]=$NCU
  rm -f "$REPORT.ncu-rep" "$OUTDIR/ncu_raw.csv"
  echo "== $(date -u +%H:%M:%S) ${cmd[*]:0:3} ... (log: $log)"
  "${cmd[@]}" > "$log" 2>&1
  local rc=$?
  grep -E "==(ERROR|WARNING)==" "$log" | head -10
  grep -q "ERR_NVGPUCTRPERM" "$log" && fail "ncu may not read the GPU performance counters (ERR_NVGPUCTRPERM):" \
    "run as root, or allow profiling for all users (NVreg_RestrictProfilingToAdminUsers=0)"
  [ $rc -eq 0 ] || echo "profile-best: ncu exited with $rc (the tuner's outcome per configuration is in $PLAN)"
  KERNELS=0
  if [ -f "$REPORT.ncu-rep" ]; then
    "$NCU" --import "$REPORT.ncu-rep" --csv --page raw --print-units base > "$OUTDIR/ncu_raw.csv" \
      2> "$OUTDIR/ncu-import.log" || fail "ncu --import $REPORT.ncu-rep failed (see $OUTDIR/ncu-import.log)"
    KERNELS=$(python3 scripts/ncu_metrics.py count "$OUTDIR/ncu_raw.csv")
  fi
  echo "captured kernels: $KERNELS"
  return $rc
}

FILTER=exact
capture "$OUTDIR/ncu.log"
NCU_RC=$?
if [ "$KERNELS" -eq 0 ]; then
  # The exact filters escape '/' in the range names ("mish.float4\/block:256/"); should this ncu read them
  # otherwise, the single "profile" range (no quantifier in its name) still holds exactly the profiled launches,
  # and the conversion below still requires every kernel to carry its configuration's range name.
  echo "profile-best: the exact NVTX filters captured no kernel; retrying with --nvtx-include convmish@profile/"
  FILTER=fallback
  capture "$OUTDIR/ncu-fallback.log" --fallback
  NCU_RC=$?
  [ "$KERNELS" -gt 0 ] || fail "ncu captured no kernel, even inside the profile range (see $OUTDIR/ncu*.log)"
fi

echo "== $(date -u +%H:%M:%S) metrics"
python3 scripts/ncu_metrics.py convert --plan "$PLAN" --csv "$OUTDIR/ncu_raw.csv" -o "$OUTDIR/ncu_metrics.json" \
  --filter "$FILTER" --report "$REPORT.ncu-rep" --results "$RESULTS" \
  --ncu-version "$("$NCU" --version | tail -1)" || fail "the ncu export does not match the profiled configurations"
if [ -x "$BUILD_DIR/reports/report" ]; then
  "$BUILD_DIR/reports/report" "$RESULTS" --ncu "$OUTDIR/ncu_metrics.json" -o "$OUTDIR/report_ncu.md" \
    || fail "report --ncu failed"
  echo "report with the metrics: $OUTDIR/report_ncu.md"
fi

if [ "${NSYS:-0}" = 1 ]; then
  command -v nsys > /dev/null || { [ -x /usr/local/cuda/bin/nsys ] && PATH=$PATH:/usr/local/cuda/bin; }
  if command -v nsys > /dev/null; then
    echo "== $(date -u +%H:%M:%S) nsys (the same region)"
    mapfile -t NSYS_CMD < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["nsys_command"]))' "$PLAN")
    "${NSYS_CMD[@]}" > "$OUTDIR/nsys.log" 2>&1 || echo "profile-best: nsys failed (see $OUTDIR/nsys.log)"
  else
    echo "profile-best: NSYS=1 but nsys is not installed; skipped"
  fi
fi
[ $NCU_RC -eq 0 ] || fail "the profiled tuner exited with $NCU_RC: some configuration was not profiled (see $PLAN)"
echo "== $(date -u +%H:%M:%S) done: $OUTDIR/ncu_metrics.json ($FILTER NVTX filter)"
