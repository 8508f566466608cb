#!/usr/bin/env bash
# On a GPU machine: configure, build, run every test (CPU and GPU), run the tuner on `small` and on `seed`, and
# time the PyTorch anchors in the same call, leaving logs and JSON in OUTDIR. Well under 10 minutes on an H100.
#   scripts/gpu-check.sh OUTDIR [tuner arguments for the seed run, default: -s random -b 24]
# Environment: ANCHORS=path/to/pytorch_anchors.py (skipped when absent), BUILD_DIR (default build-gpu),
#              SEED_VARIANTS (default '*'), SKIP_TESTS=1, SKIP_SMALL=1, SKIP_ANCHORS=1, SKIP_SURVEY=1,
#              SANITIZE='glob' (compute-sanitizer memcheck + racecheck on `small` for those variants),
#              BENCH=1 (Google Benchmark front end on the seed sweep's best configurations, 3 repetitions).
set -uo pipefail
OUTDIR=${1:?usage: scripts/gpu-check.sh OUTDIR [tuner args]}
shift
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-gpu}
status=0
step() { echo "== $(date -u +%H:%M:%S) $*"; }

step "device" | tee "$OUTDIR/summary.txt"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv \
  | tee -a "$OUTDIR/summary.txt"
echo "commit ${CONVMISH_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}" | tee -a "$OUTDIR/summary.txt"

step "configure + build"
if ! { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build "$BUILD_DIR" -j; } \
     > "$OUTDIR/build.log" 2>&1; then
  tail -40 "$OUTDIR/build.log"; echo "BUILD FAILED"; exit 1
fi

if [ "${SKIP_TESTS:-0}" != 1 ]; then
  step "tests"
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j 8 > "$OUTDIR/ctest.log" 2>&1 || status=1
  tail -6 "$OUTDIR/ctest.log" | tee -a "$OUTDIR/summary.txt"
  grep -E "Failed|\*\*\*" "$OUTDIR/ctest.log" | head -20
fi

export CONVMISH_CACHE_DIR="$PWD/$BUILD_DIR/rtc-cache"
if [ -n "${SANITIZE:-}" ]; then
  for tool in memcheck racecheck; do
    step "compute-sanitizer $tool on small: $SANITIZE"
    compute-sanitizer --tool $tool --error-exitcode 9 "$BUILD_DIR/tuner" -p small -v "$SANITIZE" --no-baseline \
      -s random -b 2 --min-time 0 --max-time 0.001 --warmup-ms 0 -o "$OUTDIR/sanitize-$tool.json" \
      > "$OUTDIR/sanitize-$tool.log" 2>&1 || status=1
    grep -E "ERROR SUMMARY|Error|ok |incorrect" "$OUTDIR/sanitize-$tool.log" | tail -8
  done
fi
[ "${SKIP_SMALL:-0}" = 1 ] || {
step "tuner small"
"$BUILD_DIR/tuner" -p small -o "$OUTDIR/small.json" --checks 3 -s random -b 8 --min-time 0.1 --warmup-ms 20 \
  > "$OUTDIR/tuner-small.log" 2>&1 || status=1
grep -cE " ok " "$OUTDIR/tuner-small.log" | sed 's/^/ok lines: /'
grep -E "incorrect|_error|timeout" "$OUTDIR/tuner-small.log" | head -10
}

if [ "${SKIP_SURVEY:-0}" != 1 ]; then
  step "Mish accuracy survey (every finite float)"
  "$BUILD_DIR/tuner" survey -o "$OUTDIR/mish_survey.json" 2>&1 | tee "$OUTDIR/survey.log" || status=1
fi

step "tuner seed"
[ $# -eq 0 ] && set -- -s random -b 24
"$BUILD_DIR/tuner" -p seed -v "${SEED_VARIANTS:-*}" -o "$OUTDIR/seed.json" "$@" > "$OUTDIR/tuner-seed.log" 2>&1 || status=1
sed -n '/^variant\/config/,$p' "$OUTDIR/tuner-seed.log" | cut -c1-170 | head -45 | tee -a "$OUTDIR/summary.txt"

if [ "${BENCH:-0}" = 1 ] && [ -f "$OUTDIR/seed.json" ]; then
  step "bench (Google Benchmark) on the best configuration of each variant"
  "$BUILD_DIR/bench" --problem=seed --results="$OUTDIR/seed.json" --variants="${SEED_VARIANTS:-*}" \
    --benchmark_repetitions=3 --benchmark_out="$OUTDIR/bench.json" --benchmark_out_format=json \
    > "$OUTDIR/bench.log" 2>&1 || status=1
  grep -E "_median|ERROR" "$OUTDIR/bench.log" | head -20
fi

if [ "${SKIP_ANCHORS:-0}" != 1 ] && [ -n "${ANCHORS:-}" ] && [ -f "$ANCHORS" ]; then
  step "PyTorch anchors (same machine, same call)"
  python3 "$ANCHORS" --json "$OUTDIR/anchors.json" > "$OUTDIR/anchors.log" 2>&1 || status=1
  tee -a "$OUTDIR/summary.txt" < "$OUTDIR/anchors.log"
fi
step "done, status $status"
exit $status
