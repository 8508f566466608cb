#!/usr/bin/env python3
"""Tests of scripts/ncu_stalls.py on synthetic `ncu --page source --csv --print-source sass` exports shaped like
Nsight Compute's: a kernel-name line, a header with the per-instruction counters and stall_* columns, one row per
SASS line. Run: python3 scripts/ncu_stalls_test.py"""
import csv
import gzip
import io
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ncu_stalls as ns  # noqa: E402

REASONS = ["stall_barrier", "stall_math", "stall_wait", "stall_barrier (Not Issued)"]
HEADER = ["Address", "Source", ns.SAMPLES, "Warp Stall Sampling (Not-issued Samples)", ns.EXECUTED] + REASONS

# (source, samples, executed, barrier, math, wait): a loader run once per chunk (8), a main loop with two MMAs
# executed 8 times, an epilogue run once.
LINES = [("LDGSTS.E.BYPASS.128 [R1], desc[UR4][R2.64]", 5, 8, 0, 0, 5),
         ("@P0 BRA 0x100", 40, 8, 40, 0, 0),
         ("LDS R4, [R5]", 10, 8, 0, 0, 10),
         ("HMMA.1688.F32.TF32 R8, R4, R6, R8", 30, 8, 0, 25, 5),
         ("HMMA.1688.F32.TF32 R12, R4, R7, R12", 10, 8, 0, 10, 0),
         ("MUFU.EX2 R9, R8", 4, 1, 0, 0, 4),
         ("@!P1 STG.E desc[UR4][R2.64], R9", 1, 1, 0, 0, 1)]


def export(lines=LINES, header=HEADER):
    f = io.StringIO()
    w = csv.writer(f, quoting=csv.QUOTE_ALL)
    w.writerow(["Kernel Name", "conv_igemm_mma"])
    w.writerow(header)
    for i, (src, samples, executed, barrier, math, wait) in enumerate(lines):
        w.writerow([hex(0x7f0000 + 16 * i), "      " + src, samples, samples, executed, barrier, math, wait, 0][
            :len(header)])
    return f.getvalue()


class NcuStalls(unittest.TestCase):
    def analyse(self, text):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.csv")
            with open(path, "w") as f:
                f.write(text)
            return ns.analyse(*ns.read_rows(path))

    def test_reasons_and_opcodes_sum_the_lines(self):
        out = self.analyse(export())
        self.assertEqual(out["total_samples"], 100)
        self.assertEqual(dict(out["reasons"]), {"stall_barrier": 40, "stall_math": 35, "stall_wait": 25})
        ops = dict(out["opcodes"])
        self.assertEqual(ops["HMMA"], [40, 16])
        self.assertEqual(ops["BRA"], [40, 8])  # the predicate is not the opcode
        self.assertEqual(ops["STG"], [1, 1])

    def test_main_loop_is_the_run_executed_as_often_as_the_first_mma(self):
        regions = {r["name"]: r for r in self.analyse(export())["regions"]}
        # Every line executed 8 times around the first HMMA belongs to the loop, the loader included.
        self.assertEqual(regions["main loop"]["samples"], 95)
        self.assertEqual(regions["before"]["samples"], 0)
        self.assertEqual(regions["after"]["samples"], 5)
        self.assertEqual(regions["after"]["executed"], 2)

    def test_ffma_kernel_and_one_without_mma(self):
        ffma = [(s.replace("HMMA.1688.F32.TF32", "FFMA"), *rest) for s, *rest in LINES]
        self.assertEqual(self.analyse(export(ffma))["main_opcode"], "FFMA")
        plain = [x for x in LINES if "HMMA" not in x[0]]
        self.assertEqual(self.analyse(export(plain))["regions"], [])

    def test_report_lists_top_lines_with_their_reasons(self):
        text = ns.report(self.analyse(export()), top=2)
        self.assertIn("main loop  instructions", text)
        top = text.split("top 2 lines:")[1].strip().splitlines()
        self.assertEqual(len(top), 2)
        self.assertIn("BRA 0x100", top[0])
        self.assertIn("barrier 40", top[0])
        self.assertIn("HMMA.1688.F32.TF32 R8", top[1])

    def test_gzipped_export_reads_the_same(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.csv.gz")
            with gzip.open(path, "wt") as f:
                f.write(export())
            self.assertEqual(ns.analyse(*ns.read_rows(path))["total_samples"], 100)

    def test_not_an_export_or_missing_counters_is_a_clear_error(self):
        with self.assertRaisesRegex(ns.NotAnExport, "not an ncu"):
            self.analyse("a,b\n1,2\n")
        with self.assertRaisesRegex(ns.NotAnExport, "SourceCounters"):
            self.analyse(export(header=["Address", "Source", ns.EXECUTED]))

    def test_command_line_exit_codes(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ncu_stalls.py")
        with tempfile.TemporaryDirectory() as d:
            good, bad = os.path.join(d, "s.csv"), os.path.join(d, "bad.csv")
            with open(good, "w") as f:
                f.write(export())
            with open(bad, "w") as f:
                f.write("not,csv,of,ncu\n")
            run = lambda *a: subprocess.run([sys.executable, script, *a], capture_output=True, text=True)
            ok = run(good, "--top", "3")
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertIn("by reason:", ok.stdout)
            self.assertEqual(run(bad).returncode, 1)
            self.assertEqual(run(os.path.join(d, "missing.csv")).returncode, 1)
            self.assertEqual(run().returncode, 2)


if __name__ == "__main__":
    unittest.main()
