"""Benchmark the monthly cycle at Scottish and at English scale.

(a) A folder library of 32 area workbooks (357 school tabs in all, 80 rows each): seconds for a full
    cycle, then for a re-run with nothing changed, and the downloads on the re-run (target 0).
(b) 3,500 single-school workbooks (England), 3,500 different schools: consolidation (read, validate,
    roll up) in seconds, then writing the report (.xlsx and .html, as `sync.cycle` does) with all
    3,500 schools in it, against reading the same files serially with openpyxl (read-only) in the
    same run. Targets: consolidation under 5 s, and at least 8x faster than the openpyxl read.

Each of the 3,500 files is a different school: its own ID, name, tab, evidence links, RAG ratings and
update dates, patched into one of 50 generated workbooks (different seeds and text) at the zip level,
since building each with openpyxl would take ~0.2 s. Every file is read, parsed and validated in full.

    python benchmarks/bench_cycle.py [--dir DIR] [--schools 3500] [--skip-a] [--skip-b]
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

from generate import build, read_template, school_template, write_school_variant
from openpyxl import load_workbook

from sync.consolidate import Consolidated, consolidate, read_areas
from sync.cycle import run_cycle
from sync.folder import FolderLibrary
from sync.report import write_report_html, write_report_xlsx

MONTH = "2026-11"
TODAY = date(2026, 11, 28)
TEMPLATES = 50  # generated workbooks that (b)'s schools are patched from
TOWNS = ("Ashford", "Barnsley", "Carlisle", "Dudley", "Exeter", "Frome", "Grimsby", "Hexham",
         "Ilkley", "Kendal", "Leek", "Malton", "Newark", "Oldham", "Penrith", "Ripon", "Selby", "Thirsk",
         "Wigan", "York")


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


def mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def make_schools(folder: Path, files: int, templates: int = TEMPLATES) -> None:
    """``files`` one-school workbooks, each a different school (ID, name, tab, evidence links, RAG
    ratings, update dates), patched from ``templates`` generated workbooks (seeds and text)."""
    t = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        old.unlink()
    bases = []
    for k in range(min(templates, files)):
        school_template(folder / "template.tmp", seed=1000 + k, area=f"Hub {k:02d}")
        bases.append(read_template(folder / "template.tmp"))
    (folder / "template.tmp").unlink()
    for i in range(files):
        write_school_variant(bases[i % len(bases)], folder / f"school-{i:04d}.xlsx", f"E{i:04d}",
                             f"{TOWNS[i % len(TOWNS)]} School {i:04d}", seed=i)
    print(f"(b) built {files} distinct one-school workbooks from {len(bases)} templates"
          f" in {time.perf_counter() - t:.1f} s")


def part_b(root: Path, files: int) -> None:
    folder = root / f"b-{files}"
    if not folder.exists() or len(list(folder.glob("*.xlsx"))) != files:
        make_schools(folder, files)
    paths = sorted(folder.glob("*.xlsx"))
    items = [(p.name, p) for p in paths]
    out = root / "b-report"
    out.mkdir(exist_ok=True)

    def consolidation() -> Consolidated:
        return consolidate(read_areas(items, MONTH, TODAY), MONTH)

    consolidation_times = []
    for _ in range(3):
        t = time.perf_counter()
        c = consolidation()
        consolidation_times.append(time.perf_counter() - t)
    ours_s = statistics.median(consolidation_times)
    print(f"    consolidation, median of 3: {ours_s:.2f} s", flush=True)
    t = time.perf_counter()  # once: at hub scale the .xlsx takes minutes
    write_report_xlsx(c, out / "report.xlsx")
    xlsx_s = time.perf_counter() - t
    print(f"    report .xlsx: {xlsx_s:.2f} s", flush=True)
    t = time.perf_counter()
    write_report_html(c, out / "report.html")
    html_s = time.perf_counter() - t
    print(f"    report .html: {html_s:.2f} s", flush=True)
    schools = len(c.by_school.groups)

    t = time.perf_counter()
    cells = 0
    for p in paths:
        wb = load_workbook(p, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
        wb.close()
    opx_s = time.perf_counter() - t
    print(f"(b) {len(paths)} one-school workbooks -> {schools} schools rolled up")
    print(f"    consolidation (read, validate, roll up), median of 3   {ours_s:7.2f} s  (target < 5 s)")
    print(f"    report .xlsx ({mb(out / 'report.xlsx'):.1f} MB), once                        {xlsx_s:7.2f} s")
    print(f"    report .html ({mb(out / 'report.html'):.1f} MB), once                        {html_s:7.2f} s")
    print(f"    consolidation + report                                 {ours_s + xlsx_s + html_s:7.2f} s")
    print(f"    openpyxl read-only, serial, values only                {opx_s:7.2f} s  ({cells} cells)")
    print(f"    ratio openpyxl / consolidation                {opx_s / ours_s:7.1f} x  (target >= 8x)")
    print(f"    ratio openpyxl / consolidation + report       {opx_s / (ours_s + xlsx_s + html_s):7.1f} x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="keep generated files here and reuse them")
    ap.add_argument("--schools", "--files", dest="files", type=int, default=3500,
                    help="one-school workbooks in part (b), each a different school")
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
