"""Benchmark: patch a few cells of the big TOM workbook (400 school tabs x 80 rows) in place, against an
openpyxl load + the same edits + save of the same file, measured in the same run; then the write of
`rollup --write` (the Summary block, one row per school) through the package surface.

The patch (`workbook_templates.package`) opens the zip, parses only the two sheets it changes, adds a
fill to styles.xml, copies the other members as stored and replaces the file atomically. Target: under
0.5 s median on a 2-core machine (openpyxl: about 5-8 s).

    python benchmarks/bench_package.py [--schools 400] [--rows 80] [--runs 5] [--keep FILE]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from generate import build
from openpyxl import load_workbook

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.package import Package
from workbook_templates.reader import read_workbook
from workbook_templates.rollup import rollup_workbook
from workbook_templates.summary import write_summary_file

EDITS = {("S000", "J5"): "Employer talk booked", ("S000", "I6"): "G", ("S199", "J40"): "Moved to March",
         ("S399", "I2"): "A", ("S399", "L3"): datetime(2026, 12, 1)}


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def sheet(wb_names: list[str], school: str) -> str:
    return next(n for n in wb_names if n.startswith(school.replace("S", "S School ", 1)) or n == school)


def patch(path: Path) -> None:
    pkg = Package.open(path)
    names = pkg.sheet_names()
    for (school, ref), value in EDITS.items():
        pkg.set_value(sheet(names, school), ref, value)
    pkg.set_style(sheet(names, "S000"), ["J5"], fill="FFC000")
    pkg.save()


def openpyxl_edit(path: Path) -> None:
    from openpyxl.styles import PatternFill

    wb = load_workbook(path)
    for (school, ref), value in EDITS.items():
        wb[sheet(wb.sheetnames, school)][ref] = value
    wb[sheet(wb.sheetnames, "S000")]["J5"].fill = PatternFill("solid", start_color="FFC000")
    save_workbook_atomic(wb, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=400)
    ap.add_argument("--rows", type=int, default=80)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="build the workbook here once and reuse it")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    path = args.keep or work / "bench-core.xlsx"
    if not path.exists():
        t = time.perf_counter()
        build(path, args.schools, args.rows)
        print(f"built {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    ours, theirs = work / "patched.xlsx", work / "openpyxl.xlsx"
    shutil.copyfile(path, ours)
    shutil.copyfile(path, theirs)
    patch_times = timed(lambda: patch(ours), args.runs)
    opx_times = timed(lambda: openpyxl_edit(theirs), max(1, min(3, args.runs)))
    check = Package.open(ours)
    for (school, ref), value in EDITS.items():  # the patched file holds the edits
        assert check.value(sheet(check.sheet_names(), school), ref) == value, (school, ref)
    p, o = statistics.median(patch_times), statistics.median(opx_times)
    result = rollup_workbook(read_workbook(ours), ["school"])
    summary_times = timed(lambda: write_summary_file(ours, [result]), args.runs)
    print(f"workbook: {len(Package.open(path).sheet_names())} tabs, {path.stat().st_size / 1e6:.1f} MB; "
          f"{len(EDITS)} cells and one fill written")
    print(f"package patch + atomic save    {p:7.3f} s  (min {min(patch_times):.3f}; target < 0.5 s)")
    print(f"openpyxl load + edit + save    {o:7.3f} s")
    print(f"ratio openpyxl / patch         {o / p:7.1f} x")
    print(f"rollup --write ({len(result.groups)} groups)    {statistics.median(summary_times):7.3f} s  "
          "(the Summary block through the package surface)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
