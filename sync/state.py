"""The archive: what this working copy last agreed with the library, kept in `.tomsync/`.

Per file: the remote version tag (eTag) and size seen at the last pull or push, the SHA-256 of those
bytes, and the bytes themselves (`.tomsync/base/<name>`), which are the base of a three-way merge.
Beside them, two small typed records other steps keep: the conflict ledger (files waiting for
`tomsync resolve`) and the cycle's input fingerprints (months whose outputs already stand).
Like Unison's archive, it is only ever updated after a transfer succeeded, and written atomically,
so an interrupted run leaves the previous agreement intact.

Scale (issue 14): `state.json` is rewritten once per run (`save`), not once per file, which made a
run over 3,500 files quadratic. What a run records in between goes, one line per record, to
`.tomsync/journal.jsonl` (appended and flushed to disk), which the next `Archive` replays over
`state.json`, and which `save` empties; so a run killed mid-way still remembers every finished
transfer. Why not SQLite: one JSON file of ~1 MB for 3,500 files is written in tens of milliseconds,
stays readable by a person, and keeps the archive's format and API unchanged for the other steps; the
journal gives the per-transfer durability SQLite's WAL would have given.

`state.json` carries a format version; files written before it (with an untyped "extra" mapping)
are read and rewritten in the current format on the next save.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sync.library import RemoteFile
from workbook_templates.atomic import atomic_write_bytes

STATE_DIR = ".tomsync"
STATE_VERSION = 2  # 1 (implicit): files, local, extra
JOURNAL_NAME = "journal.jsonl"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BaseDamaged(ValueError):
    """The merge base on disk is not the version the archive recorded: merging from it could bring
    back or drop edits silently, so sync refuses."""


@dataclass(frozen=True)
class FileState:
    name: str
    etag: str
    size: int
    sha256: str


@dataclass(frozen=True)
class PendingConflict:
    """The library version a conflict was found against; it becomes the base once resolved."""

    name: str
    etag: str
    size: int
    sha256: str


@dataclass(frozen=True)
class CycleRecord:
    """A month whose outputs were written and pushed from inputs with this fingerprint."""

    month: str
    fingerprint: str
    outputs: list[str] = field(default_factory=list)


class Archive:
    """`.tomsync/state.json` plus `.tomsync/base/`: the last agreed version of every synced file."""

    def __init__(self, workdir: str | os.PathLike[str]) -> None:
        self.workdir = Path(workdir)
        self.dir = self.workdir / STATE_DIR
        self._path = self.dir / "state.json"
        self._journal_path = self.dir / JOURNAL_NAME
        self._files: dict[str, FileState] = {}
        self._local: dict[str, tuple[int, int, str]] = {}  # name -> (mtime_ns, size, sha256) cache
        self._conflicts: dict[str, PendingConflict] = {}
        self._cycles: dict[str, CycleRecord] = {}
        self.changed = False  # a record changed since the last save (the hash cache does not count)
        self._local_changed = False
        self._journalled = False  # the journal holds records state.json does not
        self.writes = 0  # state.json rewrites by this Archive (a run should make one at most)
        if self._path.exists():
            try:
                self._load(json.loads(self._path.read_text(encoding="utf-8")))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise ValueError(f"{self._path}: the sync state is damaged ({exc}); "
                                 "move the .tomsync folder away and pull again") from None
        self._replay()

    # -- the journal: records since the last save, so a killed run forgets nothing it finished ----

    def _replay(self) -> None:
        """Apply what an earlier run recorded after its last save (it was stopped before saving)."""
        try:
            lines = self._journal_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                entry = json.loads(line)
                self._apply(entry)
            except (ValueError, TypeError, KeyError):
                continue  # a line cut short by the crash itself: that record never finished
            self._journalled = True
        if self._journalled:
            self.changed = True

    def _apply(self, entry: dict[str, Any]) -> None:
        op = entry["op"]
        if op == "file":
            self._files[entry["name"]] = FileState(entry["name"], entry["etag"], int(entry["size"]),
                                                   entry["sha256"])
        elif op == "conflict":
            self._conflicts[entry["name"]] = PendingConflict(entry["name"], entry["etag"], int(entry["size"]),
                                                             entry["sha256"])
        elif op == "drop_conflict":
            self._conflicts.pop(entry["name"], None)
        elif op == "cycle":
            self._cycles[entry["month"]] = CycleRecord(entry["month"], entry["fingerprint"],
                                                       list(entry.get("outputs", [])))
        else:
            raise ValueError(f"unknown journal entry {op!r}")

    def _journal(self, entry: dict[str, Any]) -> None:
        """Append one record durably: O(1) per transfer, where rewriting state.json was O(files)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self._journal_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, separators=(",", ":")) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._journalled = True

    def _load(self, raw: dict[str, Any]) -> None:
        version = int(raw.get("version", 1))
        if version > STATE_VERSION:
            raise ValueError(f"written by a newer tomsync (state version {version})")
        self.changed = version < STATE_VERSION  # an older format is rewritten in the current one
        self._files = {n: FileState(**f) for n, f in raw.get("files", {}).items()}
        self._local = {n: (int(v[0]), int(v[1]), str(v[2])) for n, v in raw.get("local", {}).items()}
        if version == 1:
            extra = raw.get("extra", {})
            conflicts = extra.get("conflicts", {})
            cycles = {k.removeprefix("cycle:"): v for k, v in extra.items() if k.startswith("cycle:")}
        else:
            conflicts, cycles = raw.get("conflicts", {}), raw.get("cycles", {})
        self._conflicts = {n: PendingConflict(n, c["etag"], int(c["size"]), c["sha256"])
                           for n, c in conflicts.items()}
        self._cycles = {m: CycleRecord(m, c["fingerprint"], list(c.get("outputs", [])))
                        for m, c in cycles.items()}

    # -- the agreed versions --------------------------------------------------------------------

    def get(self, name: str) -> FileState | None:
        return self._files.get(name)

    def names(self) -> list[str]:
        return sorted(self._files)

    def base_bytes(self, name: str) -> bytes | None:
        """The agreed version of ``name``, checked against its recorded SHA-256 (None if not kept).
        Raises `BaseDamaged` when the bytes on disk are not the ones recorded."""
        path = self.dir / "base" / name
        if not path.exists():
            return None
        data = path.read_bytes()
        state = self._files.get(name)
        if state is not None and sha256(data) != state.sha256:
            raise BaseDamaged(
                f"{name}: the merge base {STATE_DIR}/base/{name} does not match its recorded sha256 "
                "(damaged or edited), so nothing was merged and your working copy is unchanged; to "
                f"recover, pull into a fresh folder (tomsync pull -C NEW-FOLDER) and copy your edits "
                f"across, or delete {STATE_DIR}/base/{name} and pull again, then finish the conflict "
                f"with 'tomsync resolve {name}' (--take theirs for the library's version)")
        return data

    def record(self, name: str, data: bytes, remote: RemoteFile) -> None:
        """Remember ``data`` as the agreed version ``remote`` of ``name`` (call after a transfer)."""
        atomic_write_bytes(self.dir / "base" / name, data)
        state = FileState(name, remote.etag, remote.size, sha256(data))
        self._files[name] = state
        self._journal({"op": "file", **asdict(state)})
        self.changed = True

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
        self._local_changed = True
        return digest

    # -- the conflict ledger --------------------------------------------------------------------

    def pending_conflict(self, name: str) -> PendingConflict | None:
        return self._conflicts.get(name)

    def add_conflict(self, name: str, etag: str, size: int, digest: str) -> None:
        self._conflicts[name] = PendingConflict(name, etag, size, digest)
        self._journal({"op": "conflict", "name": name, "etag": etag, "size": size, "sha256": digest})
        self.changed = True

    def drop_conflict(self, name: str) -> None:
        if self._conflicts.pop(name, None) is not None:
            self._journal({"op": "drop_conflict", "name": name})
            self.changed = True

    # -- the cycle's fingerprints ---------------------------------------------------------------

    def cycle(self, month: str) -> CycleRecord | None:
        return self._cycles.get(month)

    def record_cycle(self, record: CycleRecord) -> None:
        self._cycles[record.month] = record
        self._journal({"op": "cycle", "month": record.month, "fingerprint": record.fingerprint,
                       "outputs": list(record.outputs)})
        self.changed = True

    @property
    def needs_saving(self) -> bool:
        """Anything state.json does not hold yet: records, journal lines, new entries in the hash cache."""
        return self.changed or self._journalled or self._local_changed

    def save(self) -> None:
        """Write `state.json` atomically (in the current format, whatever format was read), then
        empty the journal it now contains. Nothing to write: nothing written."""
        if not self.needs_saving and self._path.exists():
            return
        data = {"version": STATE_VERSION,
                "files": {n: asdict(f) for n, f in sorted(self._files.items())},
                "local": {n: list(v) for n, v in sorted(self._local.items())},
                "conflicts": {n: {k: v for k, v in asdict(c).items() if k != "name"}
                              for n, c in sorted(self._conflicts.items())},
                "cycles": {m: {"fingerprint": c.fingerprint, "outputs": c.outputs}
                           for m, c in sorted(self._cycles.items())}}
        atomic_write_bytes(self._path, json.dumps(data, indent=1).encode())
        self.writes += 1
        if self._journalled:
            self._journal_path.unlink(missing_ok=True)  # after state.json holds it all: never lost
        self.changed = self._journalled = self._local_changed = False
