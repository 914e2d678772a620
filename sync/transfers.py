"""Parallel transfers: the network part of downloads and uploads runs in a bounded pool, while every
local write, archive record and stash stays on the run's one thread, in the run's order.

`ParallelTransfers` wraps the run's `Library` for the `Propagator`, which does not change: before the
run walks its actions, the downloads (and, when pushing, the plain uploads) are started in a pool of
``workers`` threads (4 by default, as rclone and the OneDrive client do), a sliding window ahead of
the walk so memory stays bounded. When the walk reaches a file, ``download`` / ``upload`` hands back
that transfer's result, or raises its error there, exactly where a serial run would have.

An upload is only started early once the file reads as a workbook (the same check the walk makes),
and it names the version the archive agreed with (If-Match), so starting it early can never
overwrite anybody's edit. If the file changed on disk before the walk reached it, the walk's bytes
are uploaded on top of the early ones (If-Match: the early upload's eTag). A run stopped midway may
leave early uploads unrecorded; the next run finds the library holding the working copy's bytes and
records them ("already the same as the library").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

from sync.library import Library, RemoteFile

log = logging.getLogger("tomsync.sync.transfers")
DEFAULT_WORKERS = 4


class ParallelTransfers:
    """A `Library` whose downloads and uploads of the named files were started in a pool."""

    def __init__(self, library: Library, workers: int, workdir: Path,
                 downloads: Sequence[str] = (), uploads: Sequence[tuple[str, str | None]] = (),
                 check: Callable[[str], None] | None = None) -> None:
        self.library = library
        self.workdir = workdir
        self._check = check
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="tomsync-transfer")
        self._window = max(1, workers) * 2
        self._lock = threading.Lock()
        self._plan: list[tuple[str, str, str | None]] = [("download", n, None) for n in downloads] + [
            ("upload", n, m) for n, m in uploads]
        self._index = {(kind, name): i for i, (kind, name, _) in enumerate(self._plan)}
        self._started = 0
        self._futures: dict[tuple[str, str], Future[object]] = {}
        self._early: dict[str, tuple[bytes, str | None]] = {}  # name -> (bytes sent early, if_match)
        self._fill(0)

    def __repr__(self) -> str:
        return repr(self.library)

    def _fill(self, consumed: int) -> None:
        """Keep ``window`` transfers started ahead of the walk's position."""
        with self._lock:
            while self._started < len(self._plan) and self._started < consumed + self._window:
                kind, name, if_match = self._plan[self._started]
                job: Callable[[], object] = (
                    partial(self.library.download, name) if kind == "download"
                    else partial(self._upload_early, name, if_match))
                self._futures[(kind, name)] = self._pool.submit(job)
                self._started += 1

    def _take(self, kind: str, name: str) -> Future[object] | None:
        future = self._futures.pop((kind, name), None)
        if future is not None:
            self._fill(self._index[(kind, name)] + 1)
        return future

    def _upload_early(self, name: str, if_match: str | None) -> RemoteFile:
        if self._check is not None:
            self._check(name)  # never send a file nobody could open (the walk checks again)
        data = (self.workdir / name).read_bytes()
        remote = self.library.upload(name, data, if_match)
        with self._lock:
            self._early[name] = (data, if_match)
        return remote

    # -- Library ----------------------------------------------------------------------------------

    def list(self, folder: str = "") -> list[RemoteFile]:
        return self.library.list(folder)

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        future = self._take("download", name)
        if future is None:
            return self.library.download(name)
        result = future.result()
        assert isinstance(result, tuple)
        return result

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        future = self._take("upload", name)
        if future is None:
            return self.library.upload(name, data, if_match)
        remote = future.result()  # its error (a conflict, an outage) surfaces here, in order
        assert isinstance(remote, RemoteFile)
        with self._lock:
            sent, sent_match = self._early.pop(name)
        if sent == data and sent_match == if_match:
            return remote
        log.info("%s: changed on disk since its early upload: uploading the newer bytes", name)
        return self.library.upload(name, data, remote.etag)

    def close(self) -> None:
        """Cancel what has not started; wait for what has (no thread outlives the run)."""
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=True)
