#!/usr/bin/env python3
"""Figures for a convmish results file (schema convmish.results v1), with matplotlib:

  times.png     best median time per variant against the floors of the problem on this GPU
  roofline.png  achieved TFLOP/s of every validated configuration against its arithmetic intensity
                (FLOPs over the bytes it moves at least), under the measured copy bandwidth and the compute peaks

    python3 reports/plot_results.py RESULTS.json OUTDIR

Bytes moved: a fused kernel reads x, w, b and writes y once (the problem's min_bytes); variants that run cuDNN and
then elementwise passes also move every pass they time (details.parts[].bytes), plus one more write and read of y
when the bias is added by cudnnAddTensor. Peaks: the H100 SXM datasheet dense rates (TF32 494.7, FP32 66.9 TFLOP/s).
Needs matplotlib (Debian: python3-matplotlib).
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PEAK_TFLOPS = {"tf32": 494.7, "fp32": 66.9, "fp32_fastmath": 66.9}


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("schema") != "convmish.results" or doc.get("schema_version") != 1:
        sys.exit(f"plot_results: {path} is not a convmish.results v1 file")
    return doc


def bytes_moved(rec, problem):
    b = problem["min_bytes"]
    parts = rec.get("details", {}).get("parts", [])
    b += sum(p.get("bytes", 0) for p in parts)
    if parts and rec["details"].get("bias") == "cudnnAddTensor":
        b += 2 * 4 * problem["N"] * problem["K"] * problem["P"] * problem["Q"]
    return b


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    doc = load(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    meta, problem = doc["meta"], doc["meta"]["problem"]
    ok = [r for r in doc["records"] if r["status"] == "ok" and r.get("timing")]
    if not ok:
        sys.exit("plot_results: no validated, timed record")
    copy_gbps = meta.get("copy_bandwidth", {}).get("gbps")
    title = f'{meta["device"]["name"]}, {problem["shape"]}, commit {meta["git_commit"]}'

    best = {}
    for r in ok:
        if r["variant"] not in best or r["timing"]["median_ms"] < best[r["variant"]]["timing"]["median_ms"]:
            best[r["variant"]] = r
    names = sorted(best, key=lambda v: best[v]["timing"]["median_ms"])
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 2))
    ax.barh(names, [best[v]["timing"]["median_ms"] for v in names], color="#76b900")
    floors = {"TF32 floor": problem["flops"] / 494.7e9, "FP32 FFMA floor": problem["flops"] / 66.9e9}
    if copy_gbps:
        floors["memory floor"] = problem["min_bytes"] / copy_gbps / 1e6
    for (label, ms), style in zip(floors.items(), ["--", ":", "-."]):
        ax.axvline(ms, color="k", linestyle=style, label=f"{label} {ms:.2f} ms")
    ax.set_xscale("log")
    ax.set_xlabel("median ms (log scale), best validated configuration")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "times.png"), dpi=120)

    fig, ax = plt.subplots(figsize=(8, 5.5))
    for variant in sorted({r["variant"] for r in ok}):
        rs = [r for r in ok if r["variant"] == variant]
        ax.scatter([problem["flops"] / bytes_moved(r, problem) for r in rs], [r["tflops"] for r in rs], s=14,
                   label=variant)
    xs = [0.5 * 1.05 ** i for i in range(170)]  # 0.5 .. ~2000, fine enough to draw the knee
    if copy_gbps:
        for name, peak in [("TF32", 494.7), ("FP32", 66.9)]:
            ax.plot(xs, [min(peak, x * copy_gbps / 1e3) for x in xs], "k--" if name == "TF32" else "k:", lw=1,
                    label=f"roof: {name} {peak} TFLOP/s, copy {copy_gbps:.0f} GB/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity, FLOP per byte moved (at least)")
    ax.set_ylabel("achieved TFLOP/s")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "roofline.png"), dpi=120)
    print(f"plot_results: {out}/times.png, {out}/roofline.png")


if __name__ == "__main__":
    main()
