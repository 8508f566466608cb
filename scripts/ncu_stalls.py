#!/usr/bin/env python3
"""Where a kernel's warps wait, from Nsight Compute's per-instruction (SASS) source page.

Input: `ncu --import REPORT.ncu-rep --page source --csv --print-source sass > source.csv` (optionally gzipped), of
a report captured with --section WarpStateStats --section SourceCounters. Output (text): the warp-stall samples by
reason; samples and executed instructions by opcode; the split between the main loop (the straight run of
instructions executed as often as the first MMA: HMMA, HGMMA or FFMA, whichever the kernel has) and the code before
and after it (loads and barriers before, epilogue after); the most sampled lines with their two largest reasons.

    python3 scripts/ncu_stalls.py source.csv[.gz] [--top N]

Exit: 0 done; 1 the file is not such an export; 2 bad usage.
"""
import argparse
import collections
import csv
import gzip
import sys

SAMPLES = "Warp Stall Sampling (All Samples)"
EXECUTED = "Instructions Executed"
MMA_OPCODES = ("HGMMA", "HMMA", "FFMA")


class NotAnExport(Exception):
    pass


def read_rows(path):
    """Header and instruction rows (Address, Source, counters...) of an ncu source-page CSV export."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    for i, row in enumerate(rows):
        if len(row) > 2 and row[0] == "Address" and row[1] == "Source":
            header = row
            data = [r for r in rows[i + 1:] if len(r) >= len(header)]
            missing = [c for c in (SAMPLES, EXECUTED) if c not in header]
            if missing:
                raise NotAnExport("no column " + ", ".join(missing) + " (capture with --section SourceCounters "
                                  "--section WarpStateStats)")
            if not data:
                raise NotAnExport("no instruction rows")
            return header, data
    raise NotAnExport("no 'Address,Source,...' header: not an ncu --page source --csv export")


def opcode(source):
    """The opcode without its modifiers and predicate: '@!P0 LDS.64 R2, [R3]' -> 'LDS'."""
    words = source.split()
    if words and words[0].startswith("@"):
        words = words[1:]
    return words[0].split(".")[0] if words else ""


def as_int(text):
    try:
        return int(float(text or 0))
    except ValueError:
        return 0


def analyse(header, data):
    ix = {h: i for i, h in enumerate(header)}
    reasons = [h for h in header if h.startswith("stall_") and "Not Issued" not in h]
    lines = [{"source": r[ix["Source"]].strip(), "op": opcode(r[ix["Source"]]),
              "samples": as_int(r[ix[SAMPLES]]), "executed": as_int(r[ix[EXECUTED]]),
              "reasons": {h: as_int(r[ix[h]]) for h in reasons}} for r in data]
    total = sum(x["samples"] for x in lines)
    out = {"total_samples": total, "total_executed": sum(x["executed"] for x in lines)}
    by_reason = collections.Counter()
    for x in lines:
        by_reason.update(x["reasons"])
    out["reasons"] = by_reason.most_common()
    ops = collections.defaultdict(lambda: [0, 0])
    for x in lines:
        ops[x["op"]][0] += x["samples"]
        ops[x["op"]][1] += x["executed"]
    out["opcodes"] = sorted(ops.items(), key=lambda kv: -kv[1][0])
    # The main loop: around the first executed MMA, the maximal run of lines executed exactly as often.
    out["regions"] = []
    for mma in MMA_OPCODES:
        first = next((i for i, x in enumerate(lines) if x["op"] == mma and x["executed"] > 0), None)
        if first is None:
            continue
        count = lines[first]["executed"]
        a, b = first, first
        while a > 0 and lines[a - 1]["executed"] == count:
            a -= 1
        while b + 1 < len(lines) and lines[b + 1]["executed"] == count:
            b += 1
        for name, part in (("before", lines[:a]), ("main loop", lines[a:b + 1]), ("after", lines[b + 1:])):
            reasons_here = collections.Counter()
            for x in part:
                reasons_here.update(x["reasons"])
            out["regions"].append({"name": name, "executed": sum(x["executed"] for x in part),
                                   "samples": sum(x["samples"] for x in part),
                                   "reasons": reasons_here.most_common(6)})
        out["main_opcode"] = mma
        break
    out["top"] = sorted(lines, key=lambda x: -x["samples"])
    return out


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


def report(out, top):
    total, executed = out["total_samples"], out["total_executed"]
    text = [f"warp-stall samples: {total}; executed warp instructions: {executed}", "", "by reason:"]
    text += [f"  {r[6:]:22s} {n:10d} {pct(n, total):5.1f}%" for r, n in out["reasons"] if n]
    text += ["", "by opcode (share of samples, share of executed instructions):"]
    text += [f"  {op:10s} {pct(s, total):5.1f}%  {pct(e, executed):5.1f}%" for op, (s, e) in out["opcodes"][:15]]
    if out["regions"]:
        text += ["", f"regions (main loop: the run of lines executed as often as the first {out['main_opcode']}):"]
        for r in out["regions"]:
            reasons = ", ".join(f"{k[6:]} {pct(v, total):.1f}%" for k, v in r["reasons"] if v)
            text.append(f"  {r['name']:10s} instructions {pct(r['executed'], executed):5.1f}%  samples "
                        f"{pct(r['samples'], total):5.1f}%  ({reasons})")
    text += ["", f"top {top} lines:"]
    for x in out["top"][:top]:
        two = sorted(x["reasons"].items(), key=lambda kv: -kv[1])[:2]
        why = ", ".join(f"{k[6:]} {v}" for k, v in two if v)
        text.append(f"  {x['samples']:8d} {pct(x['samples'], total):5.1f}%  {x['source'][:64]:64s} {why}")
    return "\n".join(text)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("csv", help="ncu --page source --csv --print-source sass export (.csv or .csv.gz)")
    p.add_argument("--top", type=int, default=25, help="most sampled lines to list (default 25)")
    a = p.parse_args(argv)
    try:
        header, data = read_rows(a.csv)
    except OSError as e:
        print(f"ncu_stalls: {e}", file=sys.stderr)
        return 1
    except NotAnExport as e:
        print(f"ncu_stalls: {a.csv}: {e}", file=sys.stderr)
        return 1
    print(report(analyse(header, data), a.top))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
