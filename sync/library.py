"""The document-library boundary: the one small interface between sync and wherever workbooks live.

Modelled on httpx's transport: every backend (a local folder, a SharePoint drive through Microsoft
Graph, an in-memory fake) implements the same four calls, and nothing above this module knows which
one it talks to. Version tags ("etags") are opaque strings compared for equality only.

The one rule every backend enforces: an upload names the version it was based on (`if_match`), and
is refused with `RemoteChanged` when the library holds anything else, so a push never overwrites a
version it has not seen. `if_match=None` means "create; refuse if the file already exists".
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from workbook_templates.atomic import atomic_write_bytes


@dataclass(frozen=True)
class RemoteFile:
    """One file in a library: its path (``/``-separated, relative to the library root) and version."""

    name: str
    etag: str
    size: int
    modified: datetime | None = None


class LibraryError(Exception):
    """The library could not be used (network, permissions, missing file): say why in one line."""


class RemoteChanged(LibraryError):
    """The remote file is not the version the upload was based on (Graph: 412, or 409 resourceModified)."""


class RemoteNotFound(LibraryError):
    """No such file in the library."""


class AuthError(LibraryError):
    """Sign-in failed or expired (HTTP 401): the user must sign in again."""


class AccessDenied(LibraryError):
    """Signed in, but lacking a permission (HTTP 403): the message names what is missing."""


class Library(Protocol):
    """What sync needs from a document library. Paths are relative, ``/``-separated."""

    def list(self, folder: str = "") -> list[RemoteFile]:
        """Every file under ``folder`` (recursively), with its current version tag."""
        ...

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        """The file's bytes and the version they belong to."""
        ...

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        """Write ``data`` only if the remote version is still ``if_match`` (None: only if absent)."""
        ...


def content_etag(data: bytes) -> str:
    """A version tag derived from content, so equal bytes give equal tags on every machine."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


class FolderLibrary:
    """A plain directory as a document library: the embedded default, or a OneDrive-synced folder.

    Version tags are content hashes (cached per (mtime, size), so listing a large, unchanged library
    does not re-read it). Uploads take an exclusive lock on ``.tomsync-library.lock`` in the root, check
    the version, then write a temporary file and rename it over the target, so a reader never sees a
    half-written workbook and two pushes cannot both win.
    """

    LOCK_NAME = ".tomsync-library.lock"

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
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / self.LOCK_NAME, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

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

