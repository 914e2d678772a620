"""The archive: what this working copy last agreed with the library, kept in `.tomsync/`.

Per file: the remote version tag (eTag) and size seen at the last pull or push, the SHA-256 of those
bytes, and the bytes themselves (`.tomsync/base/<name>`), which are the base of a three-way merge.
Like Unison's archive, it is only ever updated after a transfer succeeded, and written atomically,
so an interrupted run leaves the previous agreement intact.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sync.library import RemoteFile
from workbook_templates.atomic import atomic_write_bytes

STATE_DIR = ".tomsync"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileState:
    name: str
    etag: str
    size: int
    sha256: str


class Archive:
    """`.tomsync/state.json` plus `.tomsync/base/`: the last agreed version of every synced file."""

    def __init__(self, workdir: str | os.PathLike[str]) -> None:
        self.workdir = Path(workdir)
        self.dir = self.workdir / STATE_DIR
        self._path = self.dir / "state.json"
        self._files: dict[str, FileState] = {}
        self._local: dict[str, tuple[int, int, str]] = {}  # name -> (mtime_ns, size, sha256) cache
        self.extra: dict[str, object] = {}  # small records other steps keep (e.g. cycle fingerprints)
        if self._path.exists():
            try:
                raw = json.loads(self._path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise ValueError(f"{self._path}: the sync state is damaged ({exc}); "
                                 "move the .tomsync folder away and pull again") from None
            self._files = {n: FileState(**f) for n, f in raw.get("files", {}).items()}
            self._local = {n: tuple(v) for n, v in raw.get("local", {}).items()}  # type: ignore[misc]
            self.extra = raw.get("extra", {})

    def get(self, name: str) -> FileState | None:
        return self._files.get(name)

    def names(self) -> list[str]:
        return sorted(self._files)

    def base_bytes(self, name: str) -> bytes | None:
        path = self.dir / "base" / name
        return path.read_bytes() if path.exists() else None

    def record(self, name: str, data: bytes, remote: RemoteFile) -> None:
        """Remember ``data`` as the agreed version ``remote`` of ``name`` (call after a transfer)."""
        atomic_write_bytes(self.dir / "base" / name, data)
        self._files[name] = FileState(name, remote.etag, remote.size, sha256(data))

    def local_hash(self, name: str) -> str | None:
        """SHA-256 of the working copy's file, cached by (mtime, size); None if it does not exist."""
        path = self.workdir / name
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        cached = self._local.get(name)
        if cached and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return cached[2]
        digest = sha256(path.read_bytes())
        self._local[name] = (st.st_mtime_ns, st.st_size, digest)
        return digest

    def save(self) -> None:
        data = {"files": {n: asdict(f) for n, f in sorted(self._files.items())},
                "local": {n: list(v) for n, v in sorted(self._local.items())},
                "extra": self.extra}
        atomic_write_bytes(self._path, json.dumps(data, indent=1).encode())
