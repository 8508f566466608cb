#!/usr/bin/env bash
# On a GPU machine: start a sweep, kill -9 the tuner and its worker (the whole process group) in the middle of
# it, resume it with --resume, and check that the final JSON holds every planned configuration exactly once and
# every record finished before the kill, unchanged. Prints the counts; exit 1 if anything was lost, duplicated
# or changed (or the kill did not land mid-sweep), 2 on bad usage.
#   scripts/kill-resume-check.sh OUTDIR [tuner arguments replacing the default sweep]
# Default sweep: -p small -v 'mish.*,fused.naive' -s random -b 6 --min-time 0.2 (29 configurations, ~30 s on
# an H100). Environment: BUILD_DIR (default build-gpu), TUNER (default $BUILD_DIR/tuner), KILL_AFTER (records
# in the journal before the kill; default half the plan).
set -uo pipefail
OUTDIR=${1:?usage: scripts/kill-resume-check.sh OUTDIR [tuner arguments]}
shift
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-gpu}
TUNER=${TUNER:-$BUILD_DIR/tuner}
[ -x "$TUNER" ] || { echo "kill-resume-check: no executable $TUNER (build first, or set BUILD_DIR/TUNER)"; exit 2; }
[ $# -eq 0 ] && set -- -p small -v 'mish.*,fused.naive' -s random -b 6 --min-time 0.2
JSON="$OUTDIR/kill-resume.json"
LOG1="$OUTDIR/kill-resume-1.log" LOG2="$OUTDIR/kill-resume-2.log"
rm -f "$JSON" "$JSON.journal" "$OUTDIR/journal-before-kill.jsonl"

# A session (and process group) of its own, so that one kill reaches the tuner and its worker.
setsid "$TUNER" "$@" -o "$JSON" > "$LOG1" 2>&1 &
pid=$!
sleep 0.2
pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')
if [ "$pgid" != "$pid" ]; then
  echo "kill-resume-check: the tuner (pid $pid) is not its own process group leader (pgid '$pgid')"
  kill -KILL "$pid" 2>/dev/null; exit 1
fi

total="" records=0
for _ in $(seq 1 3000); do  # 5 minutes at most
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "kill-resume-check: the sweep ended before the kill (after $records records); see $LOG1"
    tail -5 "$LOG1"; exit 1
  fi
  [ -n "$total" ] || total=$(grep -m1 -oE '^\[ *[0-9]+/[0-9]+\]' "$LOG1" | sed -E 's/.*\/([0-9]+)\]/\1/')
  [ -f "$JSON.journal" ] && records=$(( $(wc -l < "$JSON.journal") - 1 ))
  if [ -n "$total" ] && [ "$records" -ge "${KILL_AFTER:-$(( total / 2 ))}" ]; then break; fi
  sleep 0.1
done
[ -n "$total" ] || { echo "kill-resume-check: no progress line in $LOG1"; kill -KILL -- "-$pgid"; exit 1; }
workers=$(pgrep -g "$pgid" | grep -vx "$pid" | tr '\n' ' ')
kill -KILL -- "-$pgid"
wait "$pid" 2>/dev/null
echo "killed the tuner (pid $pid) and its worker(s) ($workers) with SIGKILL after $records of $total records"
cp "$JSON.journal" "$OUTDIR/journal-before-kill.jsonl"
sleep 1
left=$(ps -o stat= -g "$pgid" | grep -vc '^Z')  # zombies are dead, waiting for a parent that may never reap
echo "processes left running in its group after the kill: $left"

"$TUNER" "$@" -o "$JSON" --resume > "$LOG2" 2>&1
rc=$?
echo "resumed sweep: exit code $rc; $(grep -m1 '^resuming:' "$LOG2")"

python3 - "$OUTDIR/journal-before-kill.jsonl" "$JSON" "$total" "$rc" "$left" <<'EOF'
import json, sys
before_path, final_path = sys.argv[1], sys.argv[2]
total, rc, left = (int(a) for a in sys.argv[3:6])

def key(r):
    return (r["name"], r.get("details", {}).get("round", 0))

with open(before_path) as f:
    lines = f.read().split("\n")
before, torn = [], 0
for line in lines[1:]:  # the first line is the header
    if not line.strip():
        continue
    try:
        before.append(json.loads(line))
    except json.JSONDecodeError:
        torn += 1  # the line being written when the process died
with open(final_path) as f:
    doc = json.load(f)
final = doc["records"]
baseline = doc["meta"].get("baseline")
final_by_key = {}
for r in final:
    final_by_key.setdefault(key(r), []).append(r)
dups = sum(len(v) - 1 for v in final_by_key.values())
lost = [k for k in map(key, before) if k not in final_by_key]
kept = [r for r in before if r["name"] != baseline]
changed = [key(r) for r in kept if key(r) in final_by_key and final_by_key[key(r)][0] != r]
print(f"records in the journal before the kill:  {len(before)} (+{torn} cut short)")
print(f"records in the final JSON:               {len(final)} (planned: {total})")
print(f"distinct configurations in the final JSON: {len(final_by_key)}")
print(f"duplicates:                              {dups}")
print(f"records from before the kill missing:    {len(lost)}")
print(f"records from before the kill unchanged:  {len(kept) - len(changed)} of {len(kept)}"
      f" (the baseline {baseline} is timed afresh by design)")
print(f"configurations measured after the resume: {len(final) - len(kept)}")
bad = []
if rc != 0: bad.append(f"the resumed sweep exited with {rc}")
if left: bad.append(f"{left} processes of the killed sweep survived")
if not (0 < len(before) < total): bad.append("the kill did not land mid-sweep")
if len(final) != total or len(final_by_key) != total: bad.append("the final JSON does not hold every configuration")
if dups: bad.append("duplicates")
if lost: bad.append(f"lost: {lost[:5]}")
if changed: bad.append(f"changed: {changed[:5]}")
print("RESULT:", "FAIL (" + "; ".join(bad) + ")" if bad else "PASS: nothing finished was lost, nothing is twice")
sys.exit(1 if bad else 0)
EOF
