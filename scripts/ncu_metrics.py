#!/usr/bin/env python3
"""Nsight Compute side of scripts/profile-best.sh (standard library only).

  ncu_metrics.py argv PLAN [--fallback]       the ncu command of a `tuner --profile --plan PLAN`, NUL-separated
  ncu_metrics.py count CSV                    data rows (profiled kernels) in `ncu --import R --csv --page raw`
  ncu_metrics.py convert --plan PLAN --csv CSV -o ncu_metrics.json [--filter exact|fallback] [--report R]
                         [--results RESULTS.json] [--ncu-version TEXT]

`convert` finds every captured kernel's configuration by its NVTX push/pop range (the record name, in the
convmish domain), fails when a kernel has none or a profiled configuration has no kernel, and writes per kernel of
each configuration the medians over its calls of: duration, DRAM and SM throughput (% of peak sustained), achieved
occupancy, registers per thread. Schema "convmish.ncu_metrics" version 1 (reports/README.md).
"""
import argparse
import csv
import io
import json
import re
import statistics
import sys

SCHEMA = "convmish.ncu_metrics"
SCHEMA_VERSION = 1
NVTX_COLUMN_MARK = "Push/Pop_Range"
# Output key -> metric names, first present wins: the SpeedOfLight section reports DRAM throughput as
# dram__throughput on some architectures and gpu__dram_throughput on others.
METRICS = {
    "duration_ns": ["gpu__time_duration.sum"],
    "dram_throughput_pct": ["dram__throughput.avg.pct_of_peak_sustained_elapsed",
                            "gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed"],
    "sm_throughput_pct": ["sm__throughput.avg.pct_of_peak_sustained_elapsed"],
    "achieved_occupancy_pct": ["sm__warps_active.avg.pct_of_peak_sustained_active"],
    "registers_per_thread": ["launch__registers_per_thread"],
}
TIME_UNITS_NS = {"ns": 1.0, "nsecond": 1.0, "nanosecond": 1.0, "us": 1e3, "usecond": 1e3, "microsecond": 1e3,
                 "ms": 1e6, "msecond": 1e6, "millisecond": 1e6, "s": 1e9, "second": 1e9}


class Failure(Exception):
    """A clear one-line reason; exit code 1."""


def load_plan(path):
    try:
        with open(path, encoding="utf-8") as f:
            plan = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure(f"{path}: cannot read the profile plan ({e})")
    if plan.get("schema") != "convmish.profile_plan" or plan.get("schema_version") != 1:
        raise Failure(f"{path}: not a convmish.profile_plan version 1 file")
    return plan


def parse_raw_csv(text):
    """Header, units and the data rows (dicts) of an `ncu --csv --page raw` export; tolerates lines before the
    header (==PROF== or ==WARNING== messages)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"') or line.startswith("ID,")), None)
    if start is None:
        return [], {}, []
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    header = rows[0]
    units, data = {}, []
    for row in rows[1:]:
        if not row:
            continue
        cells = dict(zip(header, row + [""] * (len(header) - len(row))))
        if cells.get("ID", "").strip().isdigit():
            data.append(cells)
        elif not data and not units:  # the units row comes right after the header
            units = cells
    return header, units, data


def number(text):
    t = (text or "").strip().replace(",", "")
    if t.endswith("%"):
        t = t[:-1]
    try:
        return float(t)
    except ValueError:
        return None


def range_name(nvtx_cell, names):
    """The configuration whose NVTX range is on this kernel's push/pop stack: a name that appears as a whole
    range name (after the domain's ':' or a quote, followed by ':' or a quote). Longest match wins."""
    best = None
    for name in names:
        if re.search(r'(^|[\s":])' + re.escape(name) + r'(:|"|$)', nvtx_cell or ""):
            if best is None or len(name) > len(best):
                best = name
    return best


def convert(plan, csv_text, nvtx_filter, report=None, results=None, ncu_version=None):
    header, units, rows = parse_raw_csv(csv_text)
    if not header:
        raise Failure("the ncu CSV export has no header row (is it `ncu --import R --csv --page raw`?)")
    if not rows:
        raise Failure("the ncu report holds no kernel: the NVTX filter captured nothing")
    nvtx_col = next((c for c in header if NVTX_COLUMN_MARK in c), None)
    if nvtx_col is None:
        raise Failure("the ncu export has no NVTX push/pop column: was the report captured with --nvtx?")
    columns = {}
    for key, candidates in METRICS.items():
        columns[key] = next((c for c in candidates if c in header), None)
        if columns[key] is None:
            raise Failure(f"the ncu export lacks {' / '.join(candidates)}: were the sections "
                          f"{', '.join(plan.get('ncu_sections', []))} collected?")
    dur_unit = (units.get(columns["duration_ns"]) or "ns").strip().lower()
    if dur_unit not in TIME_UNITS_NS:
        raise Failure(f"unknown time unit '{dur_unit}' for {columns['duration_ns']}")

    targets = plan["targets"]
    profiled = [t for t in targets if t.get("status", "profiled") in ("profiled", "planned")]
    by_name = {t["name"]: t for t in profiled}
    groups, unnamed = {}, []
    for row in rows:
        name = range_name(row.get(nvtx_col, ""), by_name)
        if name is None:
            unnamed.append(f"ID {row['ID']} {row.get('Kernel Name', '?')} (NVTX: {row.get(nvtx_col, '').strip()!r})")
            continue
        groups.setdefault((name, row.get("Kernel Name", "?")), []).append(row)
    if unnamed:
        raise Failure(f"{len(unnamed)} captured kernel(s) without the NVTX range of a profiled configuration: "
                      + "; ".join(unnamed[:3]))
    missing = [n for n in by_name if not any(k[0] == n for k in groups)]
    if missing:
        raise Failure(f"no kernel captured for {len(missing)} profiled configuration(s): {', '.join(missing)}")

    kernels = []
    for (name, kernel), rs in groups.items():
        entry = {"record": name, "record_id": by_name[name].get("id"), "variant": by_name[name].get("variant"),
                 "kernel": kernel, "calls": len(rs)}
        for key, col in columns.items():
            values = [v for v in (number(r.get(col)) for r in rs) if v is not None]
            v = statistics.median(values) if values else None
            if key == "duration_ns" and v is not None:
                v *= TIME_UNITS_NS[dur_unit]
            entry[key] = v
        kernels.append(entry)
    configs = []
    for t in targets:
        c = {"record": t["name"], "record_id": t.get("id"), "variant": t.get("variant"),
             "status": t.get("status", "profiled"),
             "kernels": sum(1 for k in kernels if k["record"] == t["name"])}
        if t.get("reason"):
            c["reason"] = t["reason"]
        configs.append(c)
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "results": results if results is not None else plan.get("results"),
        "ncu_report": report, "ncu_version": ncu_version, "nvtx_filter": nvtx_filter,
        "nvtx_domain": plan.get("nvtx_domain"), "launches": plan.get("launches"),
        "metrics": {k: c for k, c in columns.items()},
        "configs": configs, "kernels": kernels,
    }


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("argv")
    a.add_argument("plan")
    a.add_argument("--fallback", action="store_true")
    n = sub.add_parser("count")
    n.add_argument("csv")
    c = sub.add_parser("convert")
    c.add_argument("--plan", required=True)
    c.add_argument("--csv", required=True)
    c.add_argument("-o", "--out", required=True)
    c.add_argument("--filter", default="exact", choices=["exact", "fallback"])
    c.add_argument("--report")
    c.add_argument("--results")
    c.add_argument("--ncu-version")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "argv":
            plan = load_plan(args.plan)
            cmd = plan["ncu_fallback_command" if args.fallback else "ncu_command"]
            sys.stdout.write("\0".join(cmd) + "\0")
        elif args.cmd == "count":
            with open(args.csv, encoding="utf-8", errors="replace") as f:
                print(len(parse_raw_csv(f.read())[2]))
        else:
            plan = load_plan(args.plan)
            with open(args.csv, encoding="utf-8", errors="replace") as f:
                doc = convert(plan, f.read(), args.filter, args.report, args.results, args.ncu_version)
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
            for k in doc["kernels"]:
                fmt = lambda v, d: "-" if v is None else f"{v:.{d}f}"
                print(f"  {k['record']}  {k['kernel'][:60]}  x{k['calls']}  {fmt(k['duration_ns'] and k['duration_ns'] / 1e3, 1)} us"
                      f"  DRAM {fmt(k['dram_throughput_pct'], 1)}%  SM {fmt(k['sm_throughput_pct'], 1)}%"
                      f"  occupancy {fmt(k['achieved_occupancy_pct'], 1)}%  regs {fmt(k['registers_per_thread'], 0)}")
            print(f"{args.out}: {len(doc['kernels'])} kernel(s) of {sum(1 for c in doc['configs'] if c['kernels'])}"
                  f" configuration(s), each found by its NVTX range ({args.filter} filter)")
    except Failure as e:
        print(f"ncu_metrics: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
