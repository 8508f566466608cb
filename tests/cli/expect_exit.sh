#!/usr/bin/env bash
# Runs a command in a fresh work directory and checks how it fails: its exit status, that its standard error is
# exactly one line matching an extended regex, that files it must not damage are byte for byte as before, and
# that no half-written file (*.tmp*) is left behind.
#
#   expect_exit.sh WORKDIR STATUS REGEX [setup and check options] -- COMMAND [ARGS...]
#     --text FILE TEXT      create FILE holding TEXT before the run
#     --copy SRC FILE       copy SRC to FILE before the run
#     --sparse FILE BYTES   create a sparse FILE of BYTES bytes (a huge input that costs no disk)
#     --nested FILE DEPTH   create a results file whose meta nests DEPTH arrays
#     --keep FILE           FILE (created above) must be unchanged after the run
#     --absent FILE         FILE must not exist after the run
#     --env NAME=VALUE      run the command with this variable set
set -uo pipefail
fail() { echo "expect_exit: $*" >&2; exit 1; }
[ $# -ge 4 ] || fail "usage: WORKDIR STATUS REGEX [options] -- COMMAND..."
dir=$1 want_status=$2 regex=$3
shift 3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || fail "cannot make $dir"
keep=() absent=() envs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --text) printf '%s' "$3" > "$2"; shift 3 ;;
    --copy) cp "$2" "$3"; shift 3 ;;
    --sparse) truncate -s "$3" "$2"; shift 3 ;;
    --nested)
      { printf '{"schema":"convmish.results","schema_version":1,"records":[],"meta":{"x":'
        for ((i = 0; i < $3; i++)); do printf '['; done
        for ((i = 0; i < $3; i++)); do printf ']'; done
        printf '}}\n'; } > "$2"
      shift 3 ;;
    --keep) keep+=("$2"); shift 2 ;;
    --absent) absent+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    *) fail "unknown option $1" ;;
  esac
done
[ "${1:-}" = "--" ] || fail "missing -- before the command"
shift
declare -A before
for f in "${keep[@]}"; do
  [ -f "$f" ] || fail "--keep $f: not created by the setup"
  before[$f]=$(sha256sum < "$f")
done

env "${envs[@]}" "$@" > stdout.txt 2> stderr.txt
status=$?
lines=$(wc -l < stderr.txt)
echo "exit status $status; standard error:"
cat stderr.txt

[ "$status" -eq "$want_status" ] || fail "exit status $status, expected $want_status"
[ "$lines" -eq 1 ] || fail "standard error has $lines lines, expected exactly one"
grep -Eq -- "$regex" stderr.txt || fail "standard error does not match: $regex"
for f in "${keep[@]}"; do
  [ -f "$f" ] && [ "$(sha256sum < "$f")" = "${before[$f]}" ] || fail "$f was changed or removed"
done
for f in "${absent[@]}"; do
  [ ! -e "$f" ] || fail "$f exists but must not"
done
left=$(find . -name '*.tmp*' | head -3)
[ -z "$left" ] || fail "half-written files left behind: $left"
echo "expect_exit: ok"
