#!/usr/bin/env python3
"""Check modules written by `tuner export --pytorch` against the original KernelBench Model, on the GPU.

    python3 scripts/check_export.py [--json OUT] [--seeds 5] [--no-compile] MODULE.py [MODULE.py ...]

For each module: import it (it must print nothing and compile nothing), construct ModelNew (load_inline builds the
extension: about a minute the first time; set TORCH_EXTENSIONS_DIR to keep the build out of ~/.cache), check that
its state_dict has the original's keys and shapes, then compare it with the original Model run in strict fp32 (cuDNN
TF32 off) on fresh random inputs and weights: the seed shape (the one it was tuned on) plus two other shapes the
export admits, --seeds seeds each, torch.allclose with atol = rtol = 1e-4 for the fp32 classes and 1e-2 for tf32.
Unsupported input must raise a clear error. Then, on the seed shape, time ModelNew, PyTorch eager (TF32 as PyTorch's
default, and strict fp32) and torch.compile in this process with CUDA events, each sample after an L2 flush (a
memset of twice the L2 size, as the tuner does), median of the samples, and compare ModelNew with the tuner's median
for the same record. A cuDNN-based module (cudnn.eager, mish.*) must run the record's cuDNN algorithm and math type
on the seed shape (other shapes may fall back to cudnnFind's choice, with a warning, which is recorded). Prints a
table, writes --json; exits 1 on any mismatch or failed check (times are reported, and gate the exit code only with
--gate-time).
"""
import argparse
import contextlib
import importlib.util
import io
import json
import math
import os
import statistics
import sys
import time
import traceback
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

TOLERANCE = {"fp32": 1e-4, "fp32_fastmath": 1e-4, "tf32": 1e-2}
TIME_TOLERANCE = 0.05  # ModelNew's median within 5 % of the tuner's for the same configuration


class Model(nn.Module):
    """KernelBench level 2 problem 4 (Conv2d -> Mish -> Mish), with the export's stride, padding and Mish count."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, mish_count=2):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias)
        self.mish_count = mish_count

    def forward(self, x):
        x = self.conv(x)
        for _ in range(self.mish_count):
            x = F.mish(x)
        return x


@contextlib.contextmanager
def cudnn_settings(tf32, benchmark):
    """cuDNN's TF32 and benchmark settings for a block, restored after it (torch.backends.cudnn.allow_tf32 sets conv
    and rnn together, which keeps torch 2.9+'s per-operator settings consistent)."""
    cudnn = torch.backends.cudnn
    per_op = [m for m in (getattr(cudnn, "conv", None), getattr(cudnn, "rnn", None)) if hasattr(m, "fp32_precision")]
    per_op_old = [m.fp32_precision for m in per_op]
    try:
        legacy_old = cudnn.allow_tf32
    except RuntimeError:
        legacy_old = None
    benchmark_old = cudnn.benchmark
    cudnn.benchmark = benchmark
    cudnn.allow_tf32 = tf32
    try:
        yield
    finally:
        cudnn.benchmark = benchmark_old
        if legacy_old is not None:
            cudnn.allow_tf32 = legacy_old
        for m, old in zip(per_op, per_op_old):
            m.fp32_precision = old


def matmul_precision():
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        return matmul.fp32_precision
    return "tf32" if matmul.allow_tf32 else "ieee"


def import_module(path, index):
    """Imports an exported file; returns the module, what it printed and how long the import took."""
    spec = importlib.util.spec_from_file_location(f"convmish_export_{index}", path)
    mod = importlib.util.module_from_spec(spec)
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        spec.loader.exec_module(mod)
    return mod, out.getvalue() + err.getvalue(), time.perf_counter() - t0


def compare(out, ref, tol):
    diff = (out - ref).abs()
    return {
        "allclose": bool(torch.allclose(out, ref, atol=tol, rtol=tol)),
        "finite": bool(torch.isfinite(out).all().item()),
        "max_abs": diff.max().item(),
        "worst_over_tol": (diff - (tol + tol * ref.abs())).max().item(),  # > 0: outside atol + rtol*|ref|
        "rel_l2": (torch.linalg.vector_norm(out - ref) / torch.linalg.vector_norm(ref).clamp_min(1e-30)).item(),
    }


def other_shapes(mod, want):
    """Shapes (N, C, H, W, K) besides the seed one that the export admits: odd sizes, few channels, tails."""
    c0, k0 = mod.in_channels, mod.out_channels
    candidates = [(2, 3, 17, 19, 5), (4, c0, 65, 67, k0), (3, c0, 20, 36, k0), (1, c0, 33, 64, k0),
                  (2, c0, 31, 44, max(1, k0 // 2)), (5, max(1, c0 // 2), 24, 28, k0 + 8), (2, c0, 16, 16, k0)]
    out = []
    for n, c, h, w, k in candidates:
        if mod.unsupported_reason((n, c, h, w), k) is None and (n, c, h, w, k) not in out:
            out.append((n, c, h, w, k))
        if len(out) == want:
            break
    return out


def expect_error(errors, name, fn, types, needle=""):
    try:
        fn()
    except types as e:
        ok = needle in str(e)
        errors.append({"check": name, "pass": ok, "error": f"{type(e).__name__}: {e}"[:300]})
        return
    except Exception as e:  # the wrong kind of error
        errors.append({"check": name, "pass": False, "error": f"{type(e).__name__}: {e}"[:300]})
        return
    errors.append({"check": name, "pass": False, "error": "no error raised"})


def error_checks(mod, kwargs):
    """Unsupported input raises a clear error (checked on a small shape)."""
    c, k = mod.in_channels, mod.out_channels
    r, s = mod.KERNEL_SIZE
    new = mod.ModelNew(c, k, mod.kernel_size, **kwargs).cuda()
    x = torch.rand(2, c, r + 6, s + 9, device="cuda")
    checks = []
    expect_error(checks, "float64 input", lambda: new(x.double()), TypeError, "float32")
    expect_error(checks, "CPU input", lambda: new(x.cpu()), ValueError, "CUDA")
    if c > 1:
        expect_error(checks, "channels_last input", lambda: new(x.contiguous(memory_format=torch.channels_last)),
                     ValueError, "contiguous")
    expect_error(checks, "wrong channel count", lambda: new(torch.rand(2, c + 1, r + 6, s + 9, device="cuda")),
                 ValueError, "channels")
    expect_error(checks, "3-D input", lambda: new(x[0]), ValueError, "[N, C, H, W]")
    expect_error(checks, "image smaller than the filter", lambda: new(x[:, :, : max(0, r - 1 - 2 * mod.PADDING)].contiguous()),
                 ValueError, "")
    expect_error(checks, "other kernel size", lambda: mod.ModelNew(c, k, r + 2), ValueError, "kernel_size")

    def backward():
        xg = x.clone().requires_grad_()
        new(xg).sum().backward()

    expect_error(checks, "backward", backward, RuntimeError, "forward pass only")
    return checks


def time_cuda(fn, flush, min_time_s=0.5, max_time_s=5.0, min_samples=10, max_noise=0.005, warmup_s=0.2):
    """Median of CUDA-event samples of fn(), each after flush.zero_() (no host sync between flush and start), like
    the tuner's timer: warm-up first, then samples until the standard error of the mean is under max_noise."""
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    n = 0
    while n < 3 or time.perf_counter() - t0 < warmup_s:
        fn()
        torch.cuda.synchronize()
        n += 1
    samples = []
    t0 = time.perf_counter()
    while True:
        events = []
        for _ in range(5):
            if flush is not None:
                flush.zero_()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            events.append((start, end))
        torch.cuda.synchronize()
        samples += [s.elapsed_time(e) for s, e in events]
        elapsed = time.perf_counter() - t0
        mean = statistics.fmean(samples)
        noise = statistics.stdev(samples) / math.sqrt(len(samples)) / mean if len(samples) > 1 else 1.0
        if (len(samples) >= min_samples and elapsed >= min_time_s and noise < max_noise) or elapsed >= max_time_s:
            break
    return {"median_ms": statistics.median(samples), "mean_ms": mean, "min_ms": min(samples), "max_ms": max(samples),
            "samples": len(samples), "noise": noise}


def accuracy(mod, shapes, seeds, tol, kwargs, ref_kwargs):
    """ModelNew against the original Model (strict fp32) on each shape, `seeds` random inputs and weights each."""
    acc = []
    for si, (n, c, h, w, k) in enumerate(shapes):
        for seed in range(seeds):
            torch.manual_seed(1000 * si + seed)
            orig = Model(c, k, mod.kernel_size, **ref_kwargs).cuda()
            new = mod.ModelNew(c, k, mod.kernel_size, **kwargs).cuda()
            new.load_state_dict(orig.state_dict())  # strict: same keys and shapes
            x = torch.rand(n, c, h, w, device="cuda")
            with torch.no_grad():
                with cudnn_settings(tf32=False, benchmark=False):
                    ref = orig(x)
                out = new(x)
            torch.cuda.synchronize()
            if out.shape != ref.shape:
                acc.append({"shape": [n, c, h, w, k], "seed": seed, "pass": False,
                            "error": f"output shape {tuple(out.shape)} != {tuple(ref.shape)}"})
                continue
            cmp = compare(out, ref, tol)
            acc.append(dict(cmp, shape=[n, c, h, w, k], seed=seed))
            acc[-1]["pass"] = cmp["allclose"] and cmp["finite"]
            del orig, new, x, ref, out
    return acc


def check_module(path, index, args, flush):
    res = {"file": str(path), "pass": False}
    try:
        mod, printed, import_s = import_module(path, index)
    except Exception as e:
        res["error"] = f"import failed: {type(e).__name__}: {e}"
        return res, None
    exp = mod.EXPORT
    prob = exp["problem"]
    tol = TOLERANCE[exp["precision"]]
    res.update({"variant": exp["variant"], "name": exp["name"], "record": exp["record"],
                "precision": exp["precision"], "tolerance": tol, "kind": exp["kind"],
                "tuner_median_ms": exp["tuner_median_ms"], "tuner_device": exp["tuner_device"],
                "import_printed": printed, "import_s": import_s, "shape_rules": [r[4] for r in mod.SHAPE_RULES]})
    kwargs = {"stride": prob["stride"], "padding": prob["pad"], "bias": prob["bias"]}
    ref_kwargs = dict(kwargs, mish_count=prob["mish_count"])
    seed_shape = (mod.batch_size, mod.in_channels, mod.height, mod.width, mod.out_channels)
    try:
        t0 = time.perf_counter()
        first = mod.ModelNew(mod.in_channels, mod.out_channels, mod.kernel_size, **kwargs)
        res["construct_s"] = time.perf_counter() - t0  # includes load_inline's build (or its cached load)
        orig = Model(mod.in_channels, mod.out_channels, mod.kernel_size, **ref_kwargs)
        sd_new, sd_orig = first.state_dict(), orig.state_dict()
        res["state_dict_matches"] = list(sd_new) == list(sd_orig) and all(
            sd_new[k].shape == sd_orig[k].shape for k in sd_orig)
        del first, orig

        shapes = [seed_shape] + other_shapes(mod, args.other_shapes)
        res["shapes"] = [list(s) for s in shapes]
        with warnings.catch_warnings(record=True) as seen:  # e.g. a cuDNN algorithm fallback for a shape
            warnings.simplefilter("always")
            acc = accuracy(mod, shapes, args.seeds, tol, kwargs, ref_kwargs)
        res["warnings"] = sorted({str(m.message) for m in seen})
        torch.cuda.empty_cache()
        res["accuracy"] = acc
        res["errors_raised"] = error_checks(mod, kwargs)
        res["other_shapes_ok"] = len(shapes) - 1 >= args.other_shapes
        res["pass"] = (not printed and res["state_dict_matches"] and res["other_shapes_ok"]
                       and all(a["pass"] for a in acc) and all(e["pass"] for e in res["errors_raised"]))

        # Timing on the seed shape.
        torch.manual_seed(0)
        n, c, h, w, k = seed_shape
        new = mod.ModelNew(c, k, mod.kernel_size, **kwargs).cuda()
        x = torch.rand(n, c, h, w, device="cuda")
        with torch.no_grad():
            res["time"] = time_cuda(lambda: new(x), flush)
        if exp["kind"] == "cudnn_conv_then_mish":  # the record's algorithm and math type, on the seed shape
            res["cudnn_algorithm"] = new._plan(x, new.conv.weight.contiguous())
            res["cudnn_algorithm_is_records"] = res["cudnn_algorithm"] == f"{exp['cudnn_algo']}/{exp['cudnn_math']}"
            res["cudnn_runtime"] = mod._extension(x.device).cudnn_version()
            res["tuner_cudnn"] = exp.get("tuner_cudnn")
            res["pass"] = res["pass"] and res["cudnn_algorithm_is_records"]
        ratio = res["time"]["median_ms"] / exp["tuner_median_ms"]
        res["time_vs_tuner"] = ratio
        res["same_gpu_as_tuner"] = exp["tuner_device"] == torch.cuda.get_device_name()
        res["time_within_5pct"] = abs(ratio - 1) <= TIME_TOLERANCE
        del new, x
        torch.cuda.empty_cache()
        return res, (mod, seed_shape, ref_kwargs)
    except Exception as e:
        res["error"] = f"{type(e).__name__}: {e}"
        res["traceback"] = traceback.format_exc()
        res["pass"] = False
        return res, None


def baselines(mod, seed_shape, ref_kwargs, flush, no_compile):
    """PyTorch on the seed shape, in this process: eager (TF32 allowed, PyTorch's default for convolutions; and
    strict fp32), cudnn.benchmark on as the anchors run it, and torch.compile (default mode, TF32)."""
    n, c, h, w, k = seed_shape
    torch.manual_seed(0)
    model = Model(c, k, mod.kernel_size, **ref_kwargs).cuda()
    x = torch.rand(n, c, h, w, device="cuda")
    out = {}
    with torch.no_grad():
        with cudnn_settings(tf32=True, benchmark=True):
            out["PyTorch eager (TF32)"] = time_cuda(lambda: model(x), flush)
        with cudnn_settings(tf32=False, benchmark=True):
            out["PyTorch eager (strict fp32)"] = time_cuda(lambda: model(x), flush)
        if not no_compile:
            try:
                with cudnn_settings(tf32=True, benchmark=True):
                    compiled = torch.compile(model)
                    t0 = time.perf_counter()
                    compiled(x)
                    torch.cuda.synchronize()
                    compile_s = time.perf_counter() - t0
                    out["torch.compile (TF32)"] = dict(time_cuda(lambda: compiled(x), flush), compile_s=compile_s)
            except Exception as e:  # reported, not fatal: the check is about the exported modules
                out["torch.compile (TF32)"] = {"error": f"{type(e).__name__}: {e}"[:300]}
    return out


def print_table(results, base):
    print()
    print(f"{'what':58s} {'class':13s} {'tol':>6s} {'checks':>8s} {'max |d|':>9s} {'rel_l2':>9s} "
          f"{'median ms':>10s} {'tuner ms':>9s} {'ratio':>7s}  verdict")
    print("-" * 150)
    for r in results:
        acc = r.get("accuracy", [])
        passed = sum(a["pass"] for a in acc)
        max_abs = max((a.get("max_abs", float("nan")) for a in acc), default=float("nan"))
        rel = max((a.get("rel_l2", float("nan")) for a in acc), default=float("nan"))
        t = r.get("time", {}).get("median_ms", float("nan"))
        ratio = r.get("time_vs_tuner", float("nan"))
        verdict = "PASS" if r["pass"] else "FAIL"
        if "time_within_5pct" in r:
            verdict += ", time within 5%" if r["time_within_5pct"] else ", TIME OUTSIDE 5%"
            if not r.get("same_gpu_as_tuner", True):
                verdict += " (tuned on another GPU)"
        label = f"{os.path.basename(r['file'])}: {r.get('name', '?')}"[:58]
        print(f"{label:58s} {r.get('precision', '?'):13s} {r.get('tolerance', 0):6.0e} {passed:>3d}/{len(acc):<4d} "
              f"{max_abs:9.2e} {rel:9.2e} {t:10.3f} {r.get('tuner_median_ms', float('nan')):9.3f} {ratio:7.3f}  "
              f"{verdict}")
        for e in r.get("errors_raised", []):
            if not e["pass"]:
                print(f"    error check failed: {e['check']}: {e['error']}")
        for a in acc:
            if not a["pass"]:
                print(f"    mismatch: shape {a['shape']} seed {a['seed']}: {a.get('error', '')} "
                      f"max |d| {a.get('max_abs', float('nan')):.3e}, worst over tol {a.get('worst_over_tol', 0):.3e}, "
                      f"finite {a.get('finite')}")
        if "cudnn_algorithm" in r:
            which = "the record's" if r["cudnn_algorithm_is_records"] else "NOT the record's"
            print(f"    cuDNN on the seed shape: {r['cudnn_algorithm']} ({which}); cuDNN {r['cudnn_runtime']} here, "
                  f"{r['tuner_cudnn']} in the tuner")
        for w in r.get("warnings", []):
            print(f"    warning: {w[:300]}")
        if r.get("import_printed"):
            print(f"    import printed: {r['import_printed'][:200]!r}")
        if r.get("error"):
            print(f"    error: {r['error']}")
    for name, b in base.items():
        if "error" in b:
            print(f"{name:58s} {'':13s} {'':6s} {'':8s} {'':9s} {'':9s} {'failed':>10s}  {b['error']}")
        else:
            print(f"{name:58s} {'':13s} {'':6s} {'':8s} {'':9s} {'':9s} {b['median_ms']:10.3f}")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="+", help="files written by tuner export --pytorch")
    ap.add_argument("--seeds", type=int, default=5, help="random inputs and weights per shape")
    ap.add_argument("--other-shapes", type=int, default=2, help="shapes besides the seed shape")
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile (it takes about a minute)")
    ap.add_argument("--cold", choices=["on", "off"], default="on", help="flush the L2 before every sample")
    ap.add_argument("--gate-time", action="store_true", help="exit 1 also when a time is outside 5 %% of the tuner's")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("check_export: no CUDA GPU visible to PyTorch", file=sys.stderr)
        return 2
    props = torch.cuda.get_device_properties(0)
    l2 = getattr(props, "L2_cache_size", 0) or 50 * 2**20
    flush = torch.empty(2 * l2, dtype=torch.uint8, device="cuda") if args.cold == "on" else None
    env = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda,
           "cudnn": torch.backends.cudnn.version(), "l2_bytes": l2, "cold": args.cold == "on",
           "matmul_fp32_precision": matmul_precision(),
           "torch_extensions_dir": os.environ.get("TORCH_EXTENSIONS_DIR", "(default: ~/.cache/torch_extensions)")}
    print(f"device {env['device']}, torch {env['torch']} (CUDA {env['cuda']}, cuDNN {env['cudnn']}), "
          f"L2 flush {'on' if flush is not None else 'off'}, matmul fp32 precision {env['matmul_fp32_precision']}")
    results, base, first = [], {}, None
    for i, path in enumerate(args.modules):
        print(f"checking {path} ...", flush=True)
        r, ctx = check_module(path, i, args, flush)
        results.append(r)
        first = first or ctx
        print(f"  {'PASS' if r['pass'] else 'FAIL'}: {r.get('name', '?')}", flush=True)
    if first is not None:
        print("timing PyTorch eager and torch.compile ...", flush=True)
        base = baselines(*first, flush, args.no_compile)
    print_table(results, base)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": env, "modules": results, "baselines": base}, f, indent=1)
    failed = any(not r["pass"] for r in results)
    if args.gate_time:
        failed = failed or any(not r.get("time_within_5pct", False) for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
