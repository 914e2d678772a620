"""Propagation, Unison's third step: carry out the reconciled actions, and nothing else.

Every local write is atomic and every upload names the version it was based on, so nothing is
half-written and no push lands over a version it has not seen. A MERGE is a three-way cell merge
(`sync.merge`) with the library's current version, uploaded when pushing; a clash found there, or a
CONFLICT decided by `sync.reconcile`, leaves both versions for a person (`sync.conflicts`). Before a
download or a merge replaces a working-copy file with different bytes, the old bytes go to the stash
(`sync.stash`).

A broken file is refused, never propagated: a library copy that cannot be opened does not replace a
readable local one, a merge with an unreadable side leaves both as they are, and a local file that
cannot be read is not pushed. Each refusal names the file and the reason in `SyncReport.refused`,
and the run goes on with the other files (the CLI then exits 2, naming them).
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from sync.conflicts import FileConflict, keep_both
from sync.library import Library, RemoteChanged, RemoteFile
from sync.merge import ID_HEADER, Conflict, merge_workbooks
from sync.reconcile import NO_COMMON_VERSION, Action, Kind
from sync.stash import Stashed, stash
from sync.state import Archive
from sync.update import NOT_PULLED
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.reader import (
    WorkbookReadError,
    embedded_spec,
    first_line,
    package_problem,
    read_workbook,
)

MAX_MERGE_ROUNDS = 3
# What openpyxl raises on a package that opens as a zip but is broken inside.
MERGE_READ_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, EOFError, OSError,
                     zlib.error, ElementTree.ParseError)
log = logging.getLogger("tomsync.sync.propagate")


@dataclass
class SyncReport:
    direction: str
    done: list[tuple[Action, str]] = field(default_factory=list)  # every action with its outcome
    conflicts: list[FileConflict] = field(default_factory=list)
    stashed: list[Stashed] = field(default_factory=list)  # working-copy versions kept before replacing
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name, why): broken files left alone
    downloads: int = 0
    uploads: int = 0

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def changed(self) -> list[tuple[Action, str]]:
        return [(a, msg) for a, msg in self.done if a.kind is not Kind.NOTHING]


def unreadable_side(ours: bytes, theirs: bytes, base: bytes | None = None) -> str | None:
    """Why a merge cannot read one of its versions (one line naming the side), or None."""
    for label, data in (("the local copy", ours), ("the library's copy", theirs),
                        ("the last pulled version", base)):
        if data is not None:
            broken = package_problem(data, label)
            if broken is not None:
                return broken
    return None


class Propagator:
    """Carries out one run's actions on ``workdir`` and ``library``, recording each transfer in
    ``archive`` (the caller saves it) and counting it in ``report``."""

    def __init__(self, workdir: Path, library: Library, archive: Archive, report: SyncReport) -> None:
        self.workdir = workdir
        self.library = library
        self.archive = archive
        self.report = report

    def run(self, action: Action) -> str:
        """Carry out ``action``; returns its outcome in words."""
        handler: dict[Kind, Callable[[Action], str]] = {
            Kind.DOWNLOAD: self.download, Kind.UPLOAD: self.upload, Kind.UPLOAD_NEW: self.upload,
            Kind.MERGE: self.merge, Kind.CONFLICT: self.conflict,
        }
        return handler[action.kind](action) if action.kind in handler else action.reason

    def write_local(self, name: str, data: bytes) -> None:
        """Replace the working copy's ``name``, keeping the old bytes in the stash if they differ."""
        kept = stash(self.workdir, name, data)
        if kept is not None:
            self.report.stashed.append(kept)
            log.info("%s: the replaced local version is stashed as %s", name, kept.path.name)
        atomic_write_bytes(self.workdir / name, data)

    def refuse(self, name: str, why: str) -> str:
        """Leave ``name`` as it is on both sides; the report names it and the reason."""
        self.report.refused.append((name, why))
        log.warning("%s: refused: %s", name, why)
        return f"REFUSED: {why}"

    def download(self, action: Action) -> str:
        data, remote = self.library.download(action.name)
        self.report.downloads += 1
        log.debug("%s: downloaded %d bytes, version %s", action.name, len(data), remote.etag)
        local = self.workdir / action.name
        if action.name.endswith(".xlsx") and local.is_file():
            broken = package_problem(data, "the library's copy")
            if broken is not None and package_problem(local.read_bytes(), "local") is None:
                return self.refuse(action.name, f"{broken}; the readable local copy is kept")
        self.write_local(action.name, data)
        self.archive.record(action.name, data, remote)
        return f"downloaded ({action.reason})"

    def check_readable(self, name: str) -> None:
        """Never push a workbook nobody could open: a truncated or corrupt file stays local."""
        if not name.endswith(".xlsx"):
            return
        path = self.workdir / name
        try:
            if name.startswith((*NOT_PULLED, "archive/")):  # the cycle's own outputs: a sound package will do
                with zipfile.ZipFile(path):
                    pass
            else:
                read_workbook(path)
        except (WorkbookReadError, zipfile.BadZipFile) as exc:
            raise WorkbookReadError(f"not pushed: {exc}") from None

    def upload(self, action: Action) -> str:
        try:
            self.check_readable(action.name)
        except WorkbookReadError as exc:
            return self.refuse(action.name, str(exc))
        data = (self.workdir / action.name).read_bytes()
        try:
            remote = self.library.upload(action.name, data, action.if_match)
        except RemoteChanged:
            log.info("%s: upload refused, the library changed since %s: merging first", action.name,
                     action.if_match or "no file")
            return self.merge(action)  # someone pushed meanwhile: merge with their version first
        self.report.uploads += 1
        log.debug("%s: uploaded %d bytes (if-match %s), now version %s", action.name, len(data),
                  action.if_match or "none", remote.etag)
        self.archive.record(action.name, data, remote)
        return f"uploaded ({action.reason})"

    def _keep_both(self, name: str, ours: bytes, theirs: bytes, remote: RemoteFile,
                   conflicts: list[Conflict], reason: str, partial: bytes | None = None) -> str:
        self.report.conflicts.append(
            keep_both(self.workdir, self.archive, name, ours, theirs, remote, conflicts, reason, partial))
        return f"CONFLICT: {reason}; nothing pushed, both versions kept"

    def _fetch(self, name: str) -> tuple[bytes, bytes, RemoteFile]:
        theirs, remote = self.library.download(name)
        self.report.downloads += 1
        log.debug("%s: fetched the library's version %s (%d bytes)", name, remote.etag, len(theirs))
        return (self.workdir / name).read_bytes(), theirs, remote

    def conflict(self, action: Action) -> str:
        """Keep both versions, unless they turn out to be the same bytes (then they simply agree)."""
        ours, theirs, remote = self._fetch(action.name)
        if theirs == ours:
            self.archive.record(action.name, theirs, remote)
            return "already the same as the library"
        return self._keep_both(action.name, ours, theirs, remote, [], action.reason)

    def merge(self, action: Action) -> str:
        """Three-way merge with the library's current version; push the result when pushing."""
        name = action.name
        if self.report.direction == "push":
            try:
                self.check_readable(name)
            except WorkbookReadError as exc:
                return self.refuse(name, str(exc))
        for _ in range(MAX_MERGE_ROUNDS):
            ours, theirs, remote = self._fetch(name)
            if theirs == ours:
                self.archive.record(name, theirs, remote)
                return "already the same as the library"
            base = self.archive.base_bytes(name)
            if base is None or not name.endswith(".xlsx"):
                return self._keep_both(name, ours, theirs, remote, [], NO_COMMON_VERSION)
            broken = unreadable_side(ours, theirs, base)
            if broken is not None:
                return self.refuse(name, f"{broken}; not merged: both copies are left as they are")
            spec = embedded_spec(theirs) or embedded_spec(ours)
            try:
                result = merge_workbooks(base, ours, theirs,
                                         id_header=spec.id_header if spec else ID_HEADER)
            except MERGE_READ_ERRORS as exc:
                return self.refuse(name, f"the merge could not read a version ({type(exc).__name__}: "
                                         f"{first_line(exc)}); not merged: both copies are left as they are")
            log.debug("%s: merge: %d change(s) of ours, %d clashing cell(s)", name, len(result.changes),
                      len(result.conflicts))
            if result.merged is None:
                return self._keep_both(name, ours, theirs, remote, result.conflicts,
                                       f"{len(result.conflicts)} cell(s) changed here and in the library",
                                       result.partial)
            self.write_local(name, result.merged)
            if self.report.direction == "pull":
                self.archive.record(name, theirs, remote)  # the merge holds unpushed local edits
                return f"merged the library's changes into local edits ({len(result.changes)} kept)"
            try:
                pushed = self.library.upload(name, result.merged, remote.etag)
            except RemoteChanged:
                log.info("%s: the library changed again while merging: merging once more", name)
                continue  # changed again while we merged: merge with the newer version
            self.report.uploads += 1
            self.archive.record(name, result.merged, pushed)
            return f"merged with the library's changes and uploaded ({len(result.changes)} change(s))"
        raise RemoteChanged(f"{name} kept changing in the library while merging; try again later")
