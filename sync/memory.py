"""An in-memory document library, shipped with the package as httpx ships MockTransport.

It keeps the same promise as the folder and SharePoint backends (an upload names the version it was
based on, and anything else is refused with `RemoteChanged`), so sync tests, the demo and anyone
trying tomsync out can run without a disk folder or a Graph server. It counts transfers, so a test
can prove a re-run fetched nothing, and it can be told to fail, so the error paths can be tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sync.library import LibraryError, RemoteChanged, RemoteFile, RemoteNotFound, content_etag


@dataclass
class _Failure:
    """A planned failure: raise ``error`` on the next ``times`` calls of ``operation`` for ``name``."""

    operation: str
    name: str | None
    error: Exception
    times: int


@dataclass
class MemoryLibrary:
    """A dict of name -> bytes behind the `Library` protocol. Version tags are content hashes, as in
    `FolderLibrary`, so equal bytes give equal tags."""

    files: dict[str, bytes] = field(default_factory=dict)
    downloads: int = 0
    uploads: int = 0
    _modified: dict[str, datetime] = field(default_factory=dict, repr=False)
    _failures: list[_Failure] = field(default_factory=list, repr=False)
    on_upload: Callable[[str], None] | None = field(default=None, repr=False)

    @classmethod
    def with_files(cls, files: dict[str, bytes] | Iterable[tuple[str, bytes]]) -> MemoryLibrary:
        return cls(files=dict(files))

    # -- test controls -----------------------------------------------------------------------

    def fail(self, operation: str, error: Exception | None = None, name: str | None = None,
             times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` ("list", "download", "upload"), for ``name``
        or any file, raise ``error`` (default: a LibraryError saying the library is unreachable)."""
        if operation not in ("list", "download", "upload"):
            raise ValueError(f"operation must be list, download or upload, not {operation!r}")
        self._failures.append(_Failure(operation, name, error or LibraryError(
            f"the library could not be reached ({operation} failed)"), times))

    def refuse_next_upload(self, name: str | None = None, times: int = 1) -> None:
        """As if someone pushed between our check and our upload: the next upload(s) get RemoteChanged."""
        self.fail("upload", RemoteChanged(f"{name or 'the file'} changed in the library"), name, times)

    def put(self, name: str, data: bytes) -> RemoteFile:
        """A colleague's write: replace ``name`` without any version check and without counting it."""
        self.files[name] = data
        self._modified[name] = datetime.now(UTC)
        return self._info(name)

    def delete(self, name: str) -> None:
        """A colleague removed ``name`` from the library."""
        self.files.pop(name, None)
        self._modified.pop(name, None)

    # -- the Library protocol ----------------------------------------------------------------

    def _planned_failure(self, operation: str, name: str | None) -> None:
        for f in self._failures:
            if f.operation == operation and (f.name is None or f.name == name):
                f.times -= 1
                if f.times <= 0:
                    self._failures.remove(f)
                raise f.error

    def _info(self, name: str) -> RemoteFile:
        data = self.files[name]
        return RemoteFile(name, content_etag(data), len(data), self._modified.get(name))

    @staticmethod
    def _clean(name: str) -> str:
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise LibraryError(f"invalid library path {name!r}")
        return "/".join(parts)

    def list(self, folder: str = "") -> list[RemoteFile]:
        self._planned_failure("list", None)
        prefix = folder.strip("/")
        prefix = prefix + "/" if prefix else ""
        return [self._info(n) for n in sorted(self.files) if n.startswith(prefix)
                and not any(p.startswith((".", "~$")) for p in n.split("/"))]

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        name = self._clean(name)
        self._planned_failure("download", name)
        if name not in self.files:
            raise RemoteNotFound(f"{name} is not in the library")
        self.downloads += 1
        return self.files[name], self._info(name)

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        name = self._clean(name)
        self._planned_failure("upload", name)
        if name in self.files:
            current = content_etag(self.files[name])
            if if_match is None or current != if_match:
                raise RemoteChanged(f"{name} changed in the library since it was pulled "
                                    f"(expected {if_match or 'no file'}, found {current})")
        elif if_match is not None:
            raise RemoteChanged(f"{name} was removed from the library since it was pulled")
        self.files[name] = bytes(data)
        self._modified[name] = datetime.now(UTC)
        self.uploads += 1
        if self.on_upload is not None:
            self.on_upload(name)
        return self._info(name)
