"""Benchmark: a master change (add M13, edit M03, retire M05) rolled into the big TOM workbook (every
school tab full of typed rows), through `workbook_templates.upgrade`: every school tab is parsed and
patched in the changed rows only, every other part copied as stored, the file replaced atomically.

    python benchmarks/bench_upgrade.py [--schools 400] [--rows 80] [--runs 3] [--keep FILE]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from generate import build

from workbook_templates.master_edit import add_row, edit_row, retire_row
from workbook_templates.reader import read_workbook
from workbook_templates.upgrade import upgrade_file

M13 = {"ID": "M13", "Theme": "Employer engagement", "Activity": "College taster days", "Lead": "Joint"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=400)
    ap.add_argument("--rows", type=int, default=80)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = args.keep if args.keep and args.keep.exists() else Path(tmp) / "big.xlsx"
        if not src.exists():
            started = time.perf_counter()
            build(src, args.schools, args.rows)
            took = time.perf_counter() - started
            print(f"built {args.schools} x {args.rows} in {took:.1f} s", file=sys.stderr)
            if args.keep:
                shutil.copyfile(src, args.keep)
        spec = read_workbook(src).spec
        new = add_row(spec, M13, tier="wagjll")
        new = retire_row(edit_row(new, "M03", {"Target": "Three sessions"}), "M05")
        times = []
        for _ in range(args.runs):
            work = Path(tmp) / "work.xlsx"
            shutil.copyfile(src, work)
            started = time.perf_counter()
            upgrade_file(work, new, "bench")
            times.append(time.perf_counter() - started)
        size = src.stat().st_size / 1e6
        print(f"upgrade (add + edit + retire) of {args.schools} tabs x {args.rows} rows ({size:.1f} MB): "
              f"median {statistics.median(times):.2f} s, min {min(times):.2f} s over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
