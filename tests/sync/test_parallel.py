"""Parallel transfers: a bounded pool does the network part, the run's one thread every local write.

Over the Graph test server with latency, so requests really overlap: the pool keeps up to ``workers``
requests in flight (never more), one 429 holds every worker, and the working copy, the archive and
conflicts come out exactly as a serial run leaves them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sync.folder import FolderLibrary
from sync.library import RemoteChanged
from sync.sharepoint import SharePointLibrary
from sync.state import Archive
from sync.workflow import pull, push
from tests.sync.conftest import BASE
from tests.sync.graph_server import FakeGraph, Seen


def remote(name: str) -> str:
    return f"{BASE}/{name}"


def test_downloads_overlap_up_to_the_pool_size_and_land_as_in_a_serial_run(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], tmp_path: Path
) -> None:
    files = {f"area{i % 3}/s{i:02}.json": f'{{"n": {i}}}'.encode() for i in range(16)}
    for name, data in files.items():
        graph_server.put(remote(name), data)
    graph_server.latency = 0.05
    library = make_library()
    library.list()  # warm the drive lookup
    graph_server.reset_log()

    report = pull(tmp_path / "par", library, workers=4)
    assert report.downloads == 16 and graph_server.max_in_flight == 4  # bounded: never more than 4
    serial = pull(tmp_path / "ser", make_library(), workers=1)
    assert serial.downloads == 16
    for name, data in files.items():
        assert (tmp_path / "par" / name).read_bytes() == data == (tmp_path / "ser" / name).read_bytes()
    assert Archive(tmp_path / "par").names() == sorted(files)
    assert [a.name for a, _ in report.done] == [a.name for a, _ in serial.done]  # the same order


def test_a_serial_run_has_one_request_in_flight(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], tmp_path: Path
) -> None:
    for i in range(6):
        graph_server.put(remote(f"s{i}.json"), b"{}")
    graph_server.latency = 0.02
    pull(tmp_path, make_library(), workers=1)
    assert graph_server.max_in_flight == 1


def test_one_429_holds_every_worker_of_a_pull(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], tmp_path: Path
) -> None:
    for i in range(16):
        graph_server.put(remote(f"s{i:02}.json"), b"{}")
    library = make_library(sleep=time.sleep, max_retries=None)
    library.list()
    stamps: list[tuple[float, str]] = []
    told: list[float] = []

    def watch(seen: Seen) -> None:
        stamps.append((time.monotonic(), seen.kind))
        if seen.status == 429:
            told.append(time.monotonic())

    graph_server.latency = 0.02
    graph_server.observers.append(watch)
    graph_server.fail_next(1, 429, kinds=("download",), retry_after=1, skip=2)
    report = pull(tmp_path, library, workers=4)
    assert report.downloads == 16 and told
    inside = [kind for at, kind in stamps if told[0] + 0.1 < at < told[0] + 0.9]
    assert inside == []  # the other three workers waited too


def test_parallel_pushes_upload_each_file_once_and_merge_a_refused_one(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], tmp_path: Path
) -> None:
    for i in range(6):
        graph_server.put(remote(f"s{i}.json"), b"v1")
    work = tmp_path / "work"
    pull(work, make_library())
    for i in range(6):
        (work / f"s{i}.json").write_bytes(f"mine {i}".encode())
    graph_server.reset_log()
    # a colleague saves s2 after our listing, as the first upload arrives: s2's If-Match is stale
    graph_server.on_next("upload", lambda: graph_server.edit(remote("s2.json"), b"colleague"))
    report = push(work, make_library(), workers=3)
    assert report.uploads == 5 and [c.name for c in report.conflicts] == ["s2.json"]  # json: kept both
    assert graph_server.counts["upload"] == 6  # one attempt each, the refused one included
    for i in (0, 1, 3, 4, 5):
        assert graph_server.content(remote(f"s{i}.json")) == f"mine {i}".encode()
    assert graph_server.content(remote("s2.json")) == b"colleague"


def test_a_file_saved_again_after_its_early_upload_is_sent_in_its_newer_version(tmp_path: Path) -> None:
    """The pool uploaded the bytes it read; the walk then finds newer bytes: they go on top, with the
    early upload's version as If-Match, and the archive records what is really in the library."""
    from sync.transfers import ParallelTransfers

    library_dir, work = tmp_path / "library", tmp_path / "work"
    library_dir.mkdir()
    (work).mkdir()
    (work / "a.json").write_bytes(b"first")
    lib = FolderLibrary(library_dir)
    pool = ParallelTransfers(lib, 2, work, uploads=[("a.json", None)])
    time.sleep(0.2)  # the early upload has happened
    remote_file = pool.upload("a.json", b"second", None)
    pool.close()
    assert (library_dir / "a.json").read_bytes() == b"second" and remote_file.size == 6

    pool = ParallelTransfers(lib, 2, work, uploads=[("a.json", None)])  # a stale If-Match: refused
    try:
        pool.upload("a.json", b"first", None)
        raise AssertionError("the early upload should have been refused")
    except RemoteChanged:
        pass
    finally:
        pool.close()
    assert (library_dir / "a.json").read_bytes() == b"second"
