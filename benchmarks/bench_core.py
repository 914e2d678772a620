"""Benchmark: read + validate + roll up one big TOM workbook (400 school tabs x 80 rows).

Prints seconds (median of several runs) and the ratio against merely reading the same file with
openpyxl in read-only mode, measured in the same run. Target: read + validate + roll-up under 1 s
median on a 2-core machine, and at least 4x faster than the openpyxl read.

    python benchmarks/bench_core.py [--schools 400] [--rows 80] [--runs 5] [--keep FILE]

It also prints the peak memory (resident set) of one read + validate + roll-up in a fresh process
(POSIX only: the `resource` module; skipped on Windows).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from generate import build
from openpyxl import load_workbook

from workbook_templates.reader import read_workbook
from workbook_templates.rollup import rollups
from workbook_templates.validate import validate


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def openpyxl_read(path: Path) -> int:
    wb = load_workbook(path, read_only=True)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            n += len(row)
    wb.close()
    return n


PEAK_SCRIPT = """
import resource, sys
from datetime import date
from workbook_templates.reader import read_workbook
from workbook_templates.rollup import rollups
from workbook_templates.validate import validate
def hwm():  # Linux: this process's own high-water mark (ru_maxrss would include the parent's, on exec)
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KB elsewhere
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
base = hwm()
data = read_workbook(sys.argv[1])
validate(data, "2026-11", date(2026, 11, 28))
rollups(data, [["school"], ["theme"]])
print(base, hwm())
"""


def peak_memory(path: Path) -> tuple[int, int] | None:
    """(bytes after imports, peak bytes) of read + validate + roll-up in a fresh process; None on Windows."""
    if sys.platform == "win32":
        return None
    out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout.split()
    return int(out[0]), int(out[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=400)
    ap.add_argument("--rows", type=int, default=80)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="build the workbook here once and reuse it")
    args = ap.parse_args()
    path = args.keep or Path(tempfile.mkdtemp()) / "bench-core.xlsx"
    if not path.exists():
        t = time.perf_counter()
        build(path, args.schools, args.rows)
        print(f"built {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    today = date(2026, 11, 28)

    def pipeline():
        data = read_workbook(path)
        findings = validate(data, "2026-11", today)
        rollups(data, [["school"], ["theme"]])
        return data, findings

    read_s, _ = timed(lambda: read_workbook(path), args.runs)
    data = read_workbook(path)
    val_s, findings = timed(lambda: validate(data, "2026-11", today), args.runs)
    roll_s, _ = timed(lambda: rollups(data, [["school"], ["theme"]]), args.runs)
    total_s, _ = timed(pipeline, args.runs)
    opx_s, cells = timed(lambda: openpyxl_read(path), max(1, min(3, args.runs)))
    rows = sum(len(s.rows) for s in data.schools.values())
    print(f"workbook: {len(data.schools)} school tabs, {rows} rows, {cells} cells read by openpyxl")
    print(f"read (calamine)            {read_s:7.3f} s")
    print(f"validate                   {val_s:7.3f} s  ({len(findings)} findings)")
    print(f"roll-up (school, theme)    {roll_s:7.3f} s")
    print(f"read + validate + roll-up  {total_s:7.3f} s  (target < 1 s)")
    print(f"openpyxl read_only read    {opx_s:7.3f} s")
    print(f"ratio openpyxl read / ours {opx_s / total_s:7.1f} x  (target >= 4x)")
    peak = peak_memory(path)
    if peak is not None:
        print(f"peak memory (RSS)          {peak[1] / 2**20:7.0f} MB  ({peak[0] / 2**20:.0f} MB after "
              f"imports; file {path.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
