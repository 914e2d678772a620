"""Propagation: carry out the reconciled actions for `tomsync pull` and `tomsync push`.

Every local write is atomic and every upload names the version it was based on, so nothing is
half-written and no push lands over a version it has not seen. When both sides changed a workbook
it is merged cell by cell (`sync.merge`); when the same cell changed both ways nothing is pushed, the
working copy is left as it was, and two files are written beside it for a person to resolve:
`<name>.theirs.xlsx` (the library's version) and `<name>.conflicts.xlsx` (ours plus a Conflicts tab).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sync.library import Library, RemoteChanged, RemoteFile
from sync.merge import CONFLICTS_SHEET, ID_HEADER, Conflict, conflict_copy, merge_workbooks
from sync.preflight import check_pull_names, refuse_open_targets
from sync.reconcile import Action, Kind, reconcile
from sync.state import STATE_DIR, Archive, sha256
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.reader import WorkbookReadError, embedded_spec, read_workbook
from workbook_templates.winfiles import refuse_if_open

CONFLICT_SUFFIXES = (".conflicts.xlsx", ".theirs.xlsx")
SYNCED_SUFFIXES = (".xlsx", ".json", ".html")
NOT_PULLED = ("reports/",)  # reports are outputs of the cycle: pushed, never needed locally
MAX_MERGE_ROUNDS = 3
PENDING = "conflicts"  # archive.extra key: name -> the library version a conflict was found against


class UnresolvedConflict(Exception):
    """`tomsync resolve` was asked to resolve a file that has no recorded conflict."""


def tracked(name: str) -> bool:
    """Files sync carries: workbooks, archive summaries, reports; never state, locks or copies."""
    parts = PurePosixPath(name).parts
    if not parts or any(p.startswith((".", "~$")) for p in parts):
        return False
    return name.endswith(SYNCED_SUFFIXES) and not name.endswith(CONFLICT_SUFFIXES)


@dataclass
class FileConflict:
    name: str
    conflicts: list[Conflict]
    copies: list[Path]
    reason: str = "the same cell was changed here and in the library"


@dataclass
class SyncReport:
    direction: str
    done: list[tuple[Action, str]] = field(default_factory=list)  # every action with its outcome
    conflicts: list[FileConflict] = field(default_factory=list)
    downloads: int = 0
    uploads: int = 0

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def changed(self) -> list[tuple[Action, str]]:
        return [(a, msg) for a, msg in self.done if a.kind is not Kind.NOTHING]


def conflict_paths(workdir: Path, name: str) -> tuple[Path, Path]:
    """Where a conflict leaves the library's version and the copy to resolve in."""
    path = workdir / name
    stem = path.name[: -len(".xlsx")] if path.name.endswith(".xlsx") else path.name
    return path.with_name(stem + ".theirs.xlsx"), path.with_name(stem + ".conflicts.xlsx")


def local_files(workdir: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(workdir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != STATE_DIR)
        for f in sorted(files):
            name = (Path(root) / f).relative_to(workdir).as_posix()
            if tracked(name):
                out.append(name)
    return out


class _Propagator:
    def __init__(self, workdir: Path, library: Library, report: SyncReport) -> None:
        self.workdir = workdir
        self.library = library
        self.archive = Archive(workdir)
        self.report = report

    def download(self, action: Action) -> str:
        data, remote = self.library.download(action.name)
        self.report.downloads += 1
        atomic_write_bytes(self.workdir / action.name, data)
        self.archive.record(action.name, data, remote)
        return f"downloaded ({action.reason})"

    def pending(self, name: str) -> dict[str, str] | None:
        return self.archive.extra.get(PENDING, {}).get(name)  # type: ignore[union-attr]

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
        self.check_readable(action.name)
        data = (self.workdir / action.name).read_bytes()
        try:
            remote = self.library.upload(action.name, data, action.if_match)
        except RemoteChanged:
            return self.merge(action, after_refusal=True)
        self.report.uploads += 1
        self.archive.record(action.name, data, remote)
        return f"uploaded ({action.reason})"

    def _keep_both(self, name: str, ours: bytes, theirs: bytes, remote: RemoteFile,
                   conflicts: list[Conflict], reason: str, partial: bytes | None = None) -> str:
        """Leave the working copy as it is and write, beside it, the library's version and a copy to
        resolve in (theirs plus every non-conflicting edit of ours, with a Conflicts tab)."""
        theirs_path, copy_path = conflict_paths(self.workdir, name)
        atomic_write_bytes(theirs_path, theirs)
        copies = [theirs_path]
        if name.endswith(".xlsx"):
            atomic_write_bytes(copy_path, conflict_copy(partial or ours, conflicts))
            copies.append(copy_path)
        atomic_write_bytes(self.archive.dir / "theirs" / name, theirs)
        pending = self.archive.extra.setdefault(PENDING, {})
        pending[name] = {"etag": remote.etag, "size": str(remote.size), "sha256": sha256(theirs)}  # type: ignore[index]
        self.report.conflicts.append(FileConflict(name, conflicts, copies, reason))
        return f"CONFLICT: {reason}; nothing pushed, both versions kept"

    def merge(self, action: Action, after_refusal: bool = False) -> str:
        """Three-way merge with the library's current version; push the result when pushing."""
        name = action.name
        if self.report.direction == "push":
            self.check_readable(name)
        for _ in range(MAX_MERGE_ROUNDS):
            theirs, remote = self.library.download(name)
            self.report.downloads += 1
            ours = (self.workdir / name).read_bytes()
            if theirs == ours:
                self.archive.record(name, theirs, remote)
                return "already the same as the library"
            base = self.archive.base_bytes(name)
            if base is None or not name.endswith(".xlsx"):
                return self._keep_both(name, ours, theirs, remote, [],
                                       "the file exists here and in the library with no common version")
            spec = embedded_spec(theirs) or embedded_spec(ours)
            result = merge_workbooks(base, ours, theirs, id_header=spec.id_header if spec else ID_HEADER)
            if result.merged is None:
                return self._keep_both(name, ours, theirs, remote, result.conflicts,
                                       f"{len(result.conflicts)} cell(s) changed here and in the library",
                                       result.partial)
            atomic_write_bytes(self.workdir / name, result.merged)
            if self.report.direction == "pull":
                self.archive.record(name, theirs, remote)  # the merge holds unpushed local edits
                return f"merged the library's changes into local edits ({len(result.changes)} kept)"
            try:
                pushed = self.library.upload(name, result.merged, remote.etag)
            except RemoteChanged:
                continue  # changed again while we merged: merge with the newer version
            self.report.uploads += 1
            self.archive.record(name, result.merged, pushed)
            return f"merged with the library's changes and uploaded ({len(result.changes)} change(s))"
        raise RemoteChanged(f"{name} kept changing in the library while merging; try again later")

    def run(self, action: Action) -> None:
        if action.kind is not Kind.NOTHING and self.pending(action.name) is not None:
            theirs_path, copy_path = conflict_paths(self.workdir, action.name)
            self.report.conflicts.append(FileConflict(
                action.name, [], [theirs_path, copy_path],
                f"unresolved conflict: edit {copy_path.name}, then run 'tomsync resolve {action.name}'"))
            self.report.done.append((action, "skipped: unresolved conflict"))
            return
        handler: dict[Kind, Callable[[Action], str]] = {
            Kind.DOWNLOAD: self.download, Kind.UPLOAD: self.upload, Kind.UPLOAD_NEW: self.upload,
            Kind.MERGE: self.merge,
        }
        outcome = handler[action.kind](action) if action.kind in handler else action.reason
        self.report.done.append((action, outcome))
        self.archive.save()


def _plan(workdir: Path, library: Library, direction: str, names: Iterable[str] | None,
          archive: Archive) -> list[Action]:
    remote = {f.name: f for f in library.list() if tracked(f.name)}
    if names is not None:
        wanted = sorted(set(names))
    elif direction == "pull":
        wanted = sorted(n for n in set(remote) | set(archive.names()) if not n.startswith(NOT_PULLED))
    else:
        wanted = sorted(set(local_files(workdir)) | set(archive.names()))
    if direction == "pull":  # Windows-safe names, before anything is written (issue 8)
        check_pull_names(workdir, [n for n in wanted if n in remote], local_files(workdir))
    actions = []
    for name in wanted:
        r: RemoteFile | None = remote.get(name)
        actions.append(reconcile(name, archive.local_hash(name), archive.get(name), r, direction))
    return actions


def sync(workdir: str | os.PathLike[str], library: Library, direction: str,
         names: Iterable[str] | None = None, progress: Callable[[str], None] | None = None) -> SyncReport:
    """Pull or push the working copy at ``workdir`` against ``library``."""
    work = Path(workdir)
    report = SyncReport(direction)
    prop = _Propagator(work, library, report)
    actions = _plan(work, library, direction, names, prop.archive)
    refuse_open_targets(work, actions)  # a workbook open in Excel is not rewritten (issue 8)
    for action in actions:
        if progress is not None:
            progress(action.name)
        prop.run(action)
    prop.archive.save()
    return report


def pull(workdir: str | os.PathLike[str], library: Library, names: Iterable[str] | None = None,
         progress: Callable[[str], None] | None = None) -> SyncReport:
    """Bring the library's changes into the working copy without losing unpushed local edits."""
    return sync(workdir, library, "pull", names, progress)


def push(workdir: str | os.PathLike[str], library: Library, names: Iterable[str] | None = None,
         progress: Callable[[str], None] | None = None) -> SyncReport:
    """Send local edits to the library, merging first where someone else changed the same file."""
    return sync(workdir, library, "push", names, progress)


def resolve(workdir: str | os.PathLike[str], name: str, take: str = "copy") -> str:
    """Finish a conflict: the resolved copy (``take="copy"``: NAME.conflicts.xlsx as the person edited
    it, Conflicts tab dropped) or the library's version (``take="theirs"``) becomes the working copy,
    and the library version the conflict was found against becomes the base, so the next push merges
    from there. The two side files are removed."""
    from openpyxl import load_workbook

    from workbook_templates.atomic import save_workbook_atomic

    work = Path(workdir)
    archive = Archive(work)
    pending = archive.extra.get(PENDING, {})
    info = pending.get(name) if isinstance(pending, dict) else None
    if info is None:
        raise UnresolvedConflict(f"{name} has no conflict to resolve")
    theirs_path, copy_path = conflict_paths(work, name)
    refuse_if_open(copy_path)  # open in Excel: Windows could neither remove it nor replace the copy
    refuse_if_open(work / name)
    theirs = (archive.dir / "theirs" / name).read_bytes()
    if take == "theirs":
        atomic_write_bytes(work / name, theirs)
    elif take == "copy":
        if not copy_path.exists():
            raise UnresolvedConflict(f"{copy_path.name} is missing: use --take theirs, or pull again")
        wb = load_workbook(copy_path)
        if CONFLICTS_SHEET in wb.sheetnames:
            del wb[CONFLICTS_SHEET]
        save_workbook_atomic(wb, work / name)
    else:
        raise ValueError(f"take must be copy or theirs, not {take!r}")
    archive.record(name, theirs, RemoteFile(name, info["etag"], int(info["size"])))
    del pending[name]
    archive.save()
    for side in (theirs_path, copy_path):
        side.unlink(missing_ok=True)
    (archive.dir / "theirs" / name).unlink(missing_ok=True)
    source = "the library version" if take == "theirs" else copy_path.name
    return f"{name}: resolved from {source}; push to send it"
