#!/usr/bin/env bash
# On a GPU machine: configure, build, run every test (CPU and GPU), run the tuner on `small` and on `seed`, and
# time the PyTorch anchors in the same call, leaving logs and JSON in OUTDIR. Well under 10 minutes on an H100.
#   scripts/gpu-check.sh OUTDIR [tuner arguments for the seed run, default: -s random -b 24]
# Environment: ANCHORS=path/to/pytorch_anchors.py (skipped when absent), BUILD_DIR (default build-gpu),
#              SEED_VARIANTS (default '*'), SKIP_TESTS=1, SKIP_SMALL=1, SKIP_ANCHORS=1, SKIP_SURVEY=1,
#              SANITIZE='glob' (compute-sanitizer memcheck + racecheck for those variants on `small`, whose
#              W=37 takes the 4-byte staging paths, and on 2,16,36,36,32,3, whose W=36 takes the 16-byte ones;
#              SANITIZE_SHAPES to change the shapes),
#              BENCH=1 (Google Benchmark front end on the seed sweep's best configurations, 3 repetitions),
#              EXPORT=1 (scripts/check-export.sh on seed.json: the best fp32 and tf32 configurations as PyTorch
#              modules, checked against the original Model and timed against eager and torch.compile),
#              PROFILE=1 (scripts/profile-best.sh on seed.json into OUTDIR/profile, then seed_report.md with the
#              Nsight Compute metrics; needs ncu),
#              NVTX_OVERHEAD=1 (the same few seed configurations timed without NVTX, with, and without again;
#              compare: with vs without, and the two without runs as the noise floor; NVTX_VARIANTS to choose),
#              GATE=1 (two independent seed runs of this build compared, then a build slowed by
#              CONVMISH_NVRTC_OPTIONS=--device-debug compared: the gate must say same, then slower),
#              FAULTS=1 (isolation: the IsolationGpu test, its JSON and logs in OUTDIR/faults, and
#              scripts/kill-resume-check.sh into OUTDIR/kill-resume).
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
  for shape in ${SANITIZE_SHAPES:-small 2,16,36,36,32,3}; do
    for tool in memcheck racecheck; do
      step "compute-sanitizer $tool on $shape: $SANITIZE"
      out="$OUTDIR/sanitize-$tool-${shape//,/_}"
      compute-sanitizer --tool $tool --error-exitcode 9 "$BUILD_DIR/tuner" -p "$shape" -v "$SANITIZE" --no-baseline \
        --no-isolation -s random -b 2 --min-time 0 --max-time 0.001 --warmup-ms 0 -o "$out.json" > "$out.log" 2>&1 ||
        status=1
      grep -E "ERROR SUMMARY|RACECHECK SUMMARY|Error|ok |incorrect" "$out.log" | tail -8
    done
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

if [ "${EXPORT:-0}" = 1 ] && [ -f "$OUTDIR/seed.json" ]; then
  step "PyTorch export of the best fp32 and tf32 configurations, checked and timed (scripts/check-export.sh)"
  BUILD_DIR="$BUILD_DIR" scripts/check-export.sh "$OUTDIR" "$OUTDIR/seed.json" > "$OUTDIR/export-check.log" 2>&1 \
    || status=1
  sed -n '/^what /,$p' "$OUTDIR/export-check.log" | cut -c1-170 | tee -a "$OUTDIR/summary.txt"
fi

if [ "${PROFILE:-0}" = 1 ] && [ -f "$OUTDIR/seed.json" ]; then
  step "Nsight Compute on the best configuration of each variant (scripts/profile-best.sh)"
  BUILD_DIR="$BUILD_DIR" scripts/profile-best.sh "$OUTDIR/seed.json" "$OUTDIR/profile" -v "${SEED_VARIANTS:-*}" \
    > "$OUTDIR/profile-best.log" 2>&1 || status=1
  tail -14 "$OUTDIR/profile-best.log" | cut -c1-170 | tee -a "$OUTDIR/summary.txt"
  if [ -f "$OUTDIR/profile/ncu_metrics.json" ]; then
    "$BUILD_DIR/reports/report" "$OUTDIR/seed.json" --ncu "$OUTDIR/profile/ncu_metrics.json" \
      -o "$OUTDIR/seed_report.md" || status=1
    echo "report with the Nsight Compute metrics: $OUTDIR/seed_report.md" | tee -a "$OUTDIR/summary.txt"
  fi
fi

if [ "${NVTX_OVERHEAD:-0}" = 1 ]; then
  step "NVTX overhead: the same seed configurations without NVTX ranges, with, and without again"
  nvtx_args=(-p seed -v "${NVTX_VARIANTS:-mish.float4,fused.igemm_tf32}" -s random -b 3 --repeat 3 --no-baseline)
  for run in off on off2; do
    flag=(); [ "$run" = on ] || flag=(--no-nvtx)
    "$BUILD_DIR/tuner" "${nvtx_args[@]}" "${flag[@]}" -o "$OUTDIR/nvtx-$run.json" > "$OUTDIR/nvtx-$run.log" 2>&1 \
      || status=1
  done
  for pair in "off on" "off off2"; do
    read -r base cand <<< "$pair"
    "$BUILD_DIR/reports/compare" "$OUTDIR/nvtx-$base.json" "$OUTDIR/nvtx-$cand.json" \
      --markdown "$OUTDIR/nvtx-compare-$base-$cand.md" > "$OUTDIR/nvtx-compare-$base-$cand.log" 2>&1
    rc=$?
    [ $rc -eq 2 ] && status=1
    echo "NVTX $cand vs $base (exit $rc): $(tail -1 "$OUTDIR/nvtx-compare-$base-$cand.log")" \
      | tee -a "$OUTDIR/summary.txt"
  done
fi

if [ "${SKIP_ANCHORS:-0}" != 1 ] && [ -n "${ANCHORS:-}" ] && [ -f "$ANCHORS" ]; then
  step "PyTorch anchors (same machine, same call)"
  python3 "$ANCHORS" --json "$OUTDIR/anchors.json" > "$OUTDIR/anchors.log" 2>&1 || status=1
  tee -a "$OUTDIR/summary.txt" < "$OUTDIR/anchors.log"
fi
if [ "${FAULTS:-0}" = 1 ]; then
  step "isolation: faulting, hanging and wrong test variants beside good ones (tuner_faults); kill -9 + --resume"
  mkdir -p "$OUTDIR/faults"
  CONVMISH_FAULTS_OUT="$OUTDIR/faults" "$BUILD_DIR/tests/gpu_tests" --gtest_filter='IsolationGpu.*' \
    > "$OUTDIR/faults/test.log" 2>&1 || status=1
  grep -E "^\[  (PASSED|FAILED|SKIPPED) " "$OUTDIR/faults/test.log" | tee -a "$OUTDIR/summary.txt"
  for f in faults good; do
    [ -f "$OUTDIR/faults/$f.json" ] && python3 -c 'import collections, json, sys
d = json.load(open(sys.argv[1]))
c = collections.Counter((r["variant"], r["status"]) for r in d["records"])
print(sys.argv[2] + ": " + ", ".join(f"{v} {s} x{n}" for (v, s), n in sorted(c.items()))
      + "; workers started: " + str(d["meta"].get("workers_started")))' "$OUTDIR/faults/$f.json" "$f" \
      | tee -a "$OUTDIR/summary.txt"
  done
  BUILD_DIR="$BUILD_DIR" scripts/kill-resume-check.sh "$OUTDIR/kill-resume" > "$OUTDIR/kill-resume.log" 2>&1 \
    || status=1
  tail -10 "$OUTDIR/kill-resume.log" | tee -a "$OUTDIR/summary.txt"
fi

if [ "${GATE:-0}" = 1 ]; then
  step "regression gate: two independent runs of this build, and a deliberately slowed build (-G)"
  gate_args=(-p seed -v "${GATE_VARIANTS:-mish.float4,fused.igemm_tf32}" -s random -b 2 --repeat 2)
  "$BUILD_DIR/tuner" "${gate_args[@]}" -o "$OUTDIR/gate-a.json" > "$OUTDIR/gate-a.log" 2>&1 || status=1
  "$BUILD_DIR/tuner" "${gate_args[@]}" -o "$OUTDIR/gate-b.json" > "$OUTDIR/gate-b.log" 2>&1 || status=1
  # The kernels compiled with -G (no device optimisation): every NVRTC-compiled kernel must come out slower.
  # (--fmad=false was tried first and changed nothing: the FFMA kernels call fmaf() explicitly.)
  # (fused.tiled_fp32 is left out by default: built with -G it takes ~10 s a launch.)
  CONVMISH_NVRTC_OPTIONS="--device-debug" "$BUILD_DIR/tuner" "${gate_args[@]}" --repeat 1 -o "$OUTDIR/gate-slow.json" \
    > "$OUTDIR/gate-slow.log" 2>&1 || status=1
  for cand in b slow; do
    "$BUILD_DIR/reports/compare" "$OUTDIR/gate-a.json" "$OUTDIR/gate-$cand.json" \
      --markdown "$OUTDIR/gate-compare-$cand.md" > "$OUTDIR/gate-compare-$cand.log" 2>&1
    rc=$?
    echo "gate: run $cand vs run a: exit $rc ($( [ $cand = b ] && echo 'expected 0' || echo 'expected 1' )): $(tail -1 "$OUTDIR/gate-compare-$cand.log")" \
      | tee -a "$OUTDIR/summary.txt"
    { [ $cand = b ] && [ $rc -ne 0 ]; } && status=1
    { [ $cand = slow ] && [ $rc -ne 1 ]; } && status=1
  done
fi

step "done, status $status"
exit $status
