#!/usr/bin/env python3
"""Tests of scripts/ncu_metrics.py on synthetic `ncu --import R --csv --page raw --print-units base` exports
shaped like Nsight Compute's: a header, a units row, one row per profiled kernel, the push/pop NVTX stack as
`TID  "domain:range:payload...:message"` entries. Run: python3 scripts/ncu_metrics_test.py"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ncu_metrics as nm  # noqa: E402

NVTX = "thread Domain:Push/Pop_Range:PL_Type:PL_Value:CLR_Type:Color:Msg_Type:Msg"
DRAM = "gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed"
METRIC_COLUMNS = ["gpu__time_duration.sum", DRAM, "launch__registers_per_thread",
                  "sm__throughput.avg.pct_of_peak_sustained_elapsed",
                  "sm__warps_active.avg.pct_of_peak_sustained_active"]
FLOAT4 = "mish.float4/bias_fused:1/block:256/form:2/grid_stride:0/vec:2"
NAIVE = "fused.naive/block:128"


def plan(targets=((FLOAT4, 17, "mish.float4"), (NAIVE, 3, "fused.naive")), skipped=()):
    return {"schema": "convmish.profile_plan", "schema_version": 1, "launches": 2, "nvtx_domain": "convmish",
            "ncu_sections": ["SpeedOfLight", "Occupancy", "LaunchStats"],
            "ncu_command": ["ncu", "--nvtx", "--nvtx-include", "convmish@fused.naive\\/block:128/", "tuner"],
            "ncu_fallback_command": ["ncu", "--nvtx", "--nvtx-include", "convmish@profile/", "tuner"],
            "targets": [{"name": n, "id": i, "variant": v, "status": "skipped" if n in skipped else "profiled"}
                        for n, i, v in targets]}


def stack(*ranges):
    return "4242  " + "  ".join(f'"convmish:{r}:int64:7:ARGB:ff76b900:none:none"' for r in ranges) + " "


def export(rows, time_unit="ns", columns=METRIC_COLUMNS, preamble=""):
    header = ["ID", "Process ID", "Process Name", NVTX, "Kernel Name", "Block Size", "Grid Size"] + columns
    units = [""] * 7 + [time_unit if c.startswith("gpu__time") else "%" if "pct" in c else "register/thread"
                        for c in columns]
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(header)
    w.writerow(units)
    for i, (nvtx, kernel, values) in enumerate(rows):
        w.writerow([str(i), "4242", "tuner", nvtx, kernel, "(256, 1, 1)", "(1024, 1, 1)"] +
                   [values.get(c, "") for c in columns])
    return preamble + buf.getvalue()


def kernel_row(ranges, kernel, duration, dram, sm, occ, regs):
    return (stack(*ranges), kernel, {"gpu__time_duration.sum": duration, DRAM: dram,
                                     "sm__throughput.avg.pct_of_peak_sustained_elapsed": sm,
                                     "sm__warps_active.avg.pct_of_peak_sustained_active": occ,
                                     "launch__registers_per_thread": regs})


def sample_rows():
    return [
        kernel_row(["profile", FLOAT4], "sm90_xmma_fprop_implicit_gemm_tf32", "4,241,000", "35.1", "80.2", "24.9", "168"),
        kernel_row(["profile", FLOAT4], "mish_float4_kernel", "1399000", "91.0", "40.5", "88.0", "32"),
        kernel_row(["profile", FLOAT4], "sm90_xmma_fprop_implicit_gemm_tf32", "4,243,000", "35.3", "80.0", "25.1", "168"),
        kernel_row(["profile", FLOAT4], "mish_float4_kernel", "1401000", "91.2", "40.1", "87.6", "32"),
        kernel_row(["profile", NAIVE], "conv_mish_naive", "426800000", "3.0", "95.0", "97.0", "40"),
    ]


class Convert(unittest.TestCase):
    def test_every_kernel_is_found_by_its_range_with_medians_over_calls(self):
        doc = nm.convert(plan(), export(sample_rows()), "exact", report="p.ncu-rep", results="seed.json")
        self.assertEqual(doc["schema"], "convmish.ncu_metrics")
        self.assertEqual(doc["results"], "seed.json")
        self.assertEqual(doc["metrics"]["dram_throughput_pct"], DRAM)
        by = {(k["record"], k["kernel"]): k for k in doc["kernels"]}
        self.assertEqual(len(by), 3)
        conv = by[(FLOAT4, "sm90_xmma_fprop_implicit_gemm_tf32")]
        self.assertEqual(conv["calls"], 2)
        self.assertEqual(conv["record_id"], 17)
        self.assertAlmostEqual(conv["duration_ns"], 4242000)  # thousands separators read
        self.assertAlmostEqual(conv["dram_throughput_pct"], 35.2)
        self.assertAlmostEqual(conv["registers_per_thread"], 168)
        self.assertAlmostEqual(by[(NAIVE, "conv_mish_naive")]["achieved_occupancy_pct"], 97.0)
        self.assertEqual([c["kernels"] for c in doc["configs"]], [2, 1])

    def test_scaled_time_units_become_nanoseconds(self):
        rows = [kernel_row(["profile", NAIVE], "k", "426.8", "3", "95", "97", "40")]
        doc = nm.convert(plan(targets=((NAIVE, 3, "fused.naive"),)), export(rows, time_unit="msecond"), "exact")
        self.assertAlmostEqual(doc["kernels"][0]["duration_ns"], 426.8e6)

    def test_dram_throughput_under_either_name(self):
        cols = [c if c != DRAM else "dram__throughput.avg.pct_of_peak_sustained_elapsed" for c in METRIC_COLUMNS]
        rows = [(stack("profile", NAIVE), "k", {"gpu__time_duration.sum": "5",
                                                "dram__throughput.avg.pct_of_peak_sustained_elapsed": "12.5"})]
        doc = nm.convert(plan(targets=((NAIVE, 3, "fused.naive"),)), export(rows, columns=cols), "exact")
        self.assertAlmostEqual(doc["kernels"][0]["dram_throughput_pct"], 12.5)
        self.assertIsNone(doc["kernels"][0]["sm_throughput_pct"])  # empty cell: no value, not zero

    def test_a_kernel_without_a_configuration_range_fails(self):
        rows = sample_rows() + [kernel_row(["profile"], "stray_kernel", "1", "1", "1", "1", "1")]
        with self.assertRaisesRegex(nm.Failure, "1 captured kernel.*stray_kernel"):
            nm.convert(plan(), export(rows), "fallback")

    def test_a_name_that_only_prefixes_the_range_does_not_match(self):
        rows = [kernel_row(["profile", NAIVE + "0"], "k", "1", "1", "1", "1", "1")]  # block:1280
        with self.assertRaisesRegex(nm.Failure, "without the NVTX range"):
            nm.convert(plan(targets=((NAIVE, 3, "fused.naive"),)), export(rows), "exact")

    def test_a_profiled_configuration_without_kernels_fails_and_a_skipped_one_is_listed(self):
        rows = [r for r in sample_rows() if NAIVE not in r[0]]
        with self.assertRaisesRegex(nm.Failure, "no kernel captured for 1 .*fused.naive/block:128"):
            nm.convert(plan(), export(rows), "exact")
        doc = nm.convert(plan(skipped=(NAIVE,)), export(rows), "exact")
        self.assertEqual(doc["configs"][1], {"record": NAIVE, "record_id": 3, "variant": "fused.naive",
                                             "status": "skipped", "kernels": 0})

    def test_empty_report_missing_nvtx_or_metric_columns_fail_clearly(self):
        with self.assertRaisesRegex(nm.Failure, "captured nothing"):
            nm.convert(plan(), export([]), "exact")
        no_nvtx = export(sample_rows()).replace(NVTX, "Context")
        with self.assertRaisesRegex(nm.Failure, "no NVTX push/pop column"):
            nm.convert(plan(), no_nvtx, "exact")
        cols = [c for c in METRIC_COLUMNS if c != "launch__registers_per_thread"]
        with self.assertRaisesRegex(nm.Failure, "lacks launch__registers_per_thread"):
            nm.convert(plan(), export(sample_rows(), columns=cols), "exact")

    def test_lines_before_the_header_are_skipped(self):
        text = export(sample_rows(), preamble="==PROF== Connected to process\n==WARNING== something\n")
        self.assertEqual(len(nm.parse_raw_csv(text)[2]), 5)


class CommandLine(unittest.TestCase):
    def run_script(self, *args):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ncu_metrics.py")
        return subprocess.run([sys.executable, script, *args], capture_output=True, text=True)

    def test_argv_convert_and_failure_exit_codes(self):
        with tempfile.TemporaryDirectory() as d:
            p, c, o = (os.path.join(d, n) for n in ("plan.json", "raw.csv", "ncu_metrics.json"))
            with open(p, "w") as f:
                json.dump(plan(), f)
            with open(c, "w") as f:
                f.write(export(sample_rows()))
            r = self.run_script("argv", p)
            self.assertEqual(r.stdout.split("\0")[:-1], plan()["ncu_command"])
            r = self.run_script("argv", p, "--fallback")
            self.assertIn("convmish@profile/", r.stdout.split("\0"))
            self.assertEqual(self.run_script("count", c).stdout.strip(), "5")
            r = self.run_script("convert", "--plan", p, "--csv", c, "-o", o, "--results", "seed.json")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(o) as f:
                self.assertEqual(len(json.load(f)["kernels"]), 3)
            with open(c, "w") as f:
                f.write(export([]))
            r = self.run_script("convert", "--plan", p, "--csv", c, "-o", o)
            self.assertEqual(r.returncode, 1)
            self.assertTrue(r.stderr.startswith("ncu_metrics: "), r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
