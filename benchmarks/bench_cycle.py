"""Benchmark the monthly cycle at Scottish and at English scale.

(a) A folder library of 32 area workbooks (357 school tabs in all, 80 rows each): seconds for a full
    cycle, then for a re-run with nothing changed, and the downloads on the re-run (target 0).
(b) 3,500 single-school workbooks (England): consolidation (read, validate, roll up) in seconds,
    against reading the same files serially with openpyxl (read-only) in the same run.
    Targets: under 5 s, and at least 8x faster than the openpyxl read.

The 3,500 files are 100 distinct generated workbooks (different schools, seeds and text), each
copied 35 times under its own name; every file is read, parsed and validated in full.

    python benchmarks/bench_cycle.py [--dir DIR] [--files 3500] [--skip-a] [--skip-b]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from generate import build
from openpyxl import load_workbook

from sync.consolidate import consolidate, read_areas
from sync.cycle import run_cycle
from sync.folder import FolderLibrary

MONTH = "2026-11"
TODAY = date(2026, 11, 28)


def area_sizes(total: int = 357, areas: int = 32) -> list[int]:
    base, extra = divmod(total, areas)
    return [base + (1 if i < extra else 0) for i in range(areas)]


def part_a(root: Path) -> None:
    lib_dir = root / "a-library"
    if not lib_dir.exists():
        t = time.perf_counter()
        lib_dir.mkdir(parents=True)
        for i, n in enumerate(area_sizes()):
            build(lib_dir / f"area-{i:02d}.xlsx", n, 80, seed=i, area=f"Area {i:02d}", prefix=f"A{i:02d}")
        print(f"(a) built 32 area workbooks in {time.perf_counter() - t:.1f} s")
    work = root / "a-work"
    shutil.rmtree(work, ignore_errors=True)
    for stale in ("archive", "reports"):
        shutil.rmtree(lib_dir / stale, ignore_errors=True)
    library = FolderLibrary(lib_dir)
    t = time.perf_counter()
    first = run_cycle(work, library, MONTH, TODAY)
    full = time.perf_counter() - t
    tabs = sum(len(a.schools) for a in first.consolidated.areas)
    library.downloads = library.uploads = 0
    t = time.perf_counter()
    again = run_cycle(work, library, MONTH, TODAY)
    rerun = time.perf_counter() - t
    print(f"(a) {len(first.consolidated.areas)} area workbooks, {tabs} school tabs")
    print(f"    full cycle (pull, validate, roll up, snapshot, report, push)  {full:7.2f} s")
    print(f"    re-run with nothing changed                                 {rerun:7.2f} s"
          f"  (ratio {full / rerun:.0f}x)")
    print(f"    downloads on the re-run: {library.downloads} (target 0); uploads: {library.uploads};"
          f" unchanged: {again.unchanged}")


def part_b(root: Path, files: int) -> None:
    folder = root / f"b-{files}"
    if not folder.exists() or len(list(folder.glob("*.xlsx"))) != files:
        t = time.perf_counter()
        folder.mkdir(parents=True, exist_ok=True)
        distinct = min(100, files)
        for i in range(distinct):
            build(folder / f"school-{i:04d}.xlsx", 1, 80, seed=1000 + i, area=f"Hub {i % 20:02d}",
                  prefix=f"E{i:03d}")
        for i in range(distinct, files):
            shutil.copyfile(folder / f"school-{i % distinct:04d}.xlsx", folder / f"school-{i:04d}.xlsx")
        print(f"(b) built {files} one-school workbooks in {time.perf_counter() - t:.1f} s")
    paths = sorted(folder.glob("*.xlsx"))
    items = [(p.name, p) for p in paths]

    def ours() -> int:
        areas = read_areas(items, MONTH, TODAY)
        c = consolidate(areas, MONTH)
        return len(c.by_school.groups)

    times = []
    for _ in range(3):
        t = time.perf_counter()
        groups = ours()
        times.append(time.perf_counter() - t)
    ours_s = statistics.median(times)

    t = time.perf_counter()
    cells = 0
    for p in paths:
        wb = load_workbook(p, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
        wb.close()
    opx_s = time.perf_counter() - t
    print(f"(b) {len(paths)} one-school workbooks -> {groups} schools rolled up")
    print(f"    consolidation (read, validate, roll up), median of 3   {ours_s:7.2f} s  (target < 5 s)")
    print(f"    openpyxl read-only, serial, values only                {opx_s:7.2f} s  ({cells} cells)")
    print(f"    ratio openpyxl / ours                         {opx_s / ours_s:7.1f} x  (target >= 8x)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="keep generated files here and reuse them")
    ap.add_argument("--files", type=int, default=3500)
    ap.add_argument("--skip-a", action="store_true")
    ap.add_argument("--skip-b", action="store_true")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-cycle-"))
    root.mkdir(parents=True, exist_ok=True)
    if not args.skip_a:
        part_a(root)
    if not args.skip_b:
        part_b(root, args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
