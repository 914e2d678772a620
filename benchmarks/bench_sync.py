"""Benchmark pull over Microsoft Graph at a hub's scale, against the project's Graph test server.

The server (tests/sync/graph_server.py) adds ``--latency`` to every answer, outside its lock, so
requests in flight overlap as they would over a real network. For each file count and latency:

- first pull, parallel (``--workers``, default 4) with delta listing and one request per download;
- no-change pull right after (target: at most 2 requests, under 3 s);
- first pull, serial (workers = 1), in the same run, for counts up to ``--serial-max`` (a serial
  first pull of 3,500 files at 100 ms is ~6 minutes of latency alone; above that count it is reported
  as an estimate from the per-file time of the largest serial run, and marked so).

Each line: requests, the most requests the server was answering at once, seconds. Files are 2 KB
each (the transfer, not the workbook, is measured); the drive pages listings by 200 like Graph.

    python benchmarks/bench_sync.py [--files 300 3500] [--latency 0.05 0.1] [--workers 4] [--serial-max 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.sharepoint import SharePointLibrary  # noqa: E402
from sync.workflow import pull  # noqa: E402
from tests.sync.graph_server import FakeGraph  # noqa: E402

FOLDER = "TOM 2026-27"


def library(server: FakeGraph, state: Path) -> SharePointLibrary:
    return SharePointLibrary(server.site_url, "Documents", FOLDER, token=lambda: "test-token",
                             graph_url=server.graph_url, state_path=state)


def timed_pull(server: FakeGraph, work: Path, state: Path, workers: int) -> tuple[int, int, float, int]:
    server.reset_log()
    server.max_in_flight = 0
    started = time.perf_counter()
    report = pull(work, library(server, state), workers=workers)
    took = time.perf_counter() - started
    return len(server.seen), server.max_in_flight, took, report.downloads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, nargs="+", default=[300, 3500])
    ap.add_argument("--latency", type=float, nargs="+", default=[0.05, 0.1])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--serial-max", type=int, default=300)
    args = ap.parse_args()
    print(f"{'files':>6} {'latency':>8}  {'run':<28} {'requests':>8} {'in flight':>9} {'seconds':>8}")
    per_file_serial: dict[float, float] = {}
    for latency in args.latency:
        for count in sorted(args.files):
            server = FakeGraph(page_size=200).start()
            root = Path(tempfile.mkdtemp(prefix="bench-sync-"))
            try:
                for i in range(count):
                    server.put(f"{FOLDER}/area{i % 35:02}/school{i:04}.xlsx", os.urandom(2048))
                server.latency = latency

                def line(run: str, requests: int | str, flight: int | str, seconds: str,
                         count: int = count, latency: float = latency) -> None:
                    print(f"{count:>6} {latency * 1000:>6.0f}ms  {run:<28} {requests:>8} {flight:>9} "
                          f"{seconds:>8}", flush=True)

                req, flight, took, got = timed_pull(server, root / "par", root / "par.delta", args.workers)
                assert got == count
                line(f"first pull, {args.workers} workers", req, flight, f"{took:.1f}")
                req, flight, took, got = timed_pull(server, root / "par", root / "par.delta", args.workers)
                assert got == 0
                line("no-change pull", req, flight, f"{took:.2f}")
                if count <= args.serial_max:
                    req, flight, took, got = timed_pull(server, root / "ser", root / "ser.delta", 1)
                    assert got == count
                    per_file_serial[latency] = took / count
                    line("first pull, serial", req, flight, f"{took:.1f}")
                elif latency in per_file_serial:
                    line("first pull, serial (estimate)", "~" + str(count + 1 + count // 200), 1,
                         f"~{per_file_serial[latency] * count:.0f}")
            finally:
                server.stop()
                shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
