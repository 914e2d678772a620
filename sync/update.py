"""Update detection, Unison's first step: what changed on each side since the archive.

The working copy is compared with the archive by content hash, the library by version tag. A file
missing on a side where the archive says it was is a deletion. Nothing here decides what to do
(`sync.reconcile` does) or touches a file (`sync.propagate` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from sync.library import Library, RemoteFile
from sync.state import STATE_DIR, Archive, FileState

CONFLICT_SUFFIXES = (".conflicts.xlsx", ".theirs.xlsx")
SYNCED_SUFFIXES = (".xlsx", ".json", ".html")
NOT_PULLED = ("reports/",)  # reports are outputs of the cycle: pushed, never needed locally


class Change(Enum):
    NONE = "none"  # as archived (or absent, and never archived)
    NEW = "new"  # present, never archived
    MODIFIED = "modified"  # present, differs from the archive
    DELETED = "deleted"  # archived, now absent


@dataclass(frozen=True)
class Update:
    """What happened to one file on each side since the last agreement."""

    name: str
    local: Change
    remote: Change
    local_hash: str | None = None  # the working copy's SHA-256, None if absent
    remote_file: RemoteFile | None = None  # the library's current version, None if absent

    @property
    def local_changed(self) -> bool:
        return self.local in (Change.NEW, Change.MODIFIED)

    @property
    def remote_changed(self) -> bool:
        return self.remote in (Change.NEW, Change.MODIFIED)


def _change(present: bool, archived: bool, same: bool) -> Change:
    if not present:
        return Change.DELETED if archived else Change.NONE
    if not archived:
        return Change.NEW
    return Change.NONE if same else Change.MODIFIED


def detect(name: str, local_hash: str | None, archived: FileState | None,
           remote: RemoteFile | None) -> Update:
    """Pure: the two sides' changes for ``name``, from the working copy's hash, the archive's record
    and the library's current version."""
    local = _change(local_hash is not None, archived is not None,
                    archived is not None and local_hash == archived.sha256)
    theirs = _change(remote is not None, archived is not None,
                     archived is not None and remote is not None and remote.etag == archived.etag)
    return Update(name, local, theirs, local_hash, remote)


def tracked(name: str) -> bool:
    """Files sync carries: workbooks, archive summaries, reports; never state, locks or copies."""
    parts = PurePosixPath(name).parts
    if not parts or any(p.startswith((".", "~$")) for p in parts):
        return False
    return name.endswith(SYNCED_SUFFIXES) and not name.endswith(CONFLICT_SUFFIXES)


def local_files(workdir: Path) -> list[str]:
    """Every tracked file in the working copy, ``/``-separated and sorted."""
    out = []
    for root, dirs, files in os.walk(workdir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != STATE_DIR)
        for f in sorted(files):
            name = (Path(root) / f).relative_to(workdir).as_posix()
            if tracked(name):
                out.append(name)
    return out


def detect_updates(workdir: Path, library: Library, direction: str, archive: Archive,
                   names: Iterable[str] | None = None) -> list[Update]:
    """One `Update` per file this run looks at: ``names`` if given, else (pull) everything in the
    library or the archive except reports, or (push) everything in the working copy or the archive."""
    remote = {f.name: f for f in library.list() if tracked(f.name)}
    if names is not None:
        wanted = sorted(set(names))
    elif direction == "pull":
        wanted = sorted(n for n in set(remote) | set(archive.names()) if not n.startswith(NOT_PULLED))
    else:
        wanted = sorted(set(local_files(workdir)) | set(archive.names()))
    return [detect(n, archive.local_hash(n), archive.get(n), remote.get(n)) for n in wanted]
