"""A plain directory as a document library (the embedded default, or a OneDrive-synced folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from sync.leftovers import remove_leftovers
from sync.library import LibraryError, RemoteChanged, RemoteFile, RemoteNotFound, content_etag
from workbook_templates.atomic import atomic_write_bytes


class FolderLibrary:
    """A plain directory as a document library: the embedded default, or a OneDrive-synced folder.

    Version tags are content hashes (cached per (mtime, size), so listing a large, unchanged library
    does not re-read it). Uploads take an exclusive lock on ``.tomsync-library.lock`` in the root, check
    the version, then write a temporary file and rename it over the target, so a reader never sees a
    half-written workbook and two pushes cannot both win.
    """

    LOCK_NAME = ".tomsync-library.lock"
    LOCK_TIMEOUT = 120.0  # seconds: a push holds the lock only while it checks and renames one file

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._hash_cache: dict[str, tuple[int, int, str]] = {}
        self.downloads = 0  # counted, so a re-run can prove it fetched nothing
        self.uploads = 0

    def __repr__(self) -> str:
        return f"FolderLibrary({str(self.root)!r})"

    def _path(self, name: str) -> Path:
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise LibraryError(f"invalid library path {name!r}")
        return self.root.joinpath(*parts)

    def _info(self, name: str, path: Path) -> RemoteFile:
        st = path.stat()
        cached = self._hash_cache.get(name)
        if cached and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            etag = cached[2]
        else:
            etag = content_etag(path.read_bytes())
            self._hash_cache[name] = (st.st_mtime_ns, st.st_size, etag)
        return RemoteFile(name, etag, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def list(self, folder: str = "") -> list[RemoteFile]:
        if not self.root.is_dir():
            raise LibraryError(f"library folder {self.root} does not exist")
        base = self._path(folder) if folder.strip("/") else self.root
        if not base.exists():
            return []
        if base == self.root:
            remove_leftovers(self.root)  # an upload killed between its write and its rename
        out = []
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith((".", "~$")):
                continue
            rel = path.relative_to(self.root).as_posix()
            if any(part.startswith(".") for part in rel.split("/")):
                continue
            out.append(self._info(rel, path))
        return out

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        path = self._path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise RemoteNotFound(f"{name} is not in the library {self.root}") from None
        self.downloads += 1
        etag = content_etag(data)
        st = path.stat()
        self._hash_cache[name] = (st.st_mtime_ns, st.st_size, etag)
        return data, RemoteFile(name, etag, len(data), datetime.fromtimestamp(st.st_mtime, UTC))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One uploader at a time, across processes and machines sharing the folder (filelock works
        on Windows and POSIX alike; a fresh FileLock per call, so threads do not share a re-entrant lock)."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.root / self.LOCK_NAME, thread_local=False)
        try:
            with lock.acquire(timeout=self.LOCK_TIMEOUT):
                yield
        except Timeout:
            raise LibraryError(f"the library folder {self.root} stayed locked by another push for "
                               f"{self.LOCK_TIMEOUT:.0f} s; try again") from None

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        path = self._path(name)
        with self._locked():
            if path.exists():
                current = self._info(name, path)
                if if_match is None or current.etag != if_match:
                    raise RemoteChanged(
                        f"{name} changed in the library since it was pulled "
                        f"(expected {if_match or 'no file'}, found {current.etag})"
                    )
            elif if_match is not None:
                raise RemoteChanged(f"{name} was removed from the library since it was pulled")
            atomic_write_bytes(path, data)
            self.uploads += 1
            return self._info(name, path)

