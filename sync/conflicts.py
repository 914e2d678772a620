"""What a conflict leaves for a person, and `resolve()`, which finishes one.

When both sides changed a file in ways nothing can combine, the working copy is left as it was and
two files are written beside it: `<name>.theirs.xlsx` (the library's version) and
`<name>.conflicts.xlsx` (theirs plus every non-clashing edit of ours, with a Conflicts tab). The
library version the conflict was found against is kept in `.tomsync/theirs/` and recorded in the
archive's conflict ledger, so nothing is pushed or pulled over that file until `tomsync resolve`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sync.library import RemoteFile
from sync.merge import CONFLICTS_SHEET, Conflict, conflict_copy
from sync.state import STATE_DIR, Archive, sha256
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.package import Package, PackageError, refuse_unwritable
from workbook_templates.winfiles import refuse_if_open

log = logging.getLogger("tomsync.sync")


class UnresolvedConflict(Exception):
    """`tomsync resolve` was asked to resolve a file that has no recorded conflict."""


@dataclass
class FileConflict:
    name: str
    conflicts: list[Conflict]
    copies: list[Path]
    reason: str = "the same cell was changed here and in the library"


def conflict_paths(workdir: Path, name: str) -> tuple[Path, Path]:
    """Where a conflict leaves the library's version and the copy to resolve in."""
    path = workdir / name
    stem = path.name[: -len(".xlsx")] if path.name.endswith(".xlsx") else path.name
    return path.with_name(stem + ".theirs.xlsx"), path.with_name(stem + ".conflicts.xlsx")


def keep_both(workdir: Path, archive: Archive, name: str, ours: bytes, theirs: bytes, remote: RemoteFile,
              conflicts: list[Conflict], reason: str, partial: bytes | None = None) -> FileConflict:
    """Leave the working copy as it is and write, beside it, the library's version and a copy to
    resolve in; record the conflict in the archive's ledger (the caller saves the archive)."""
    theirs_path, copy_path = conflict_paths(workdir, name)
    atomic_write_bytes(theirs_path, theirs)
    copies = [theirs_path]
    if name.endswith(".xlsx"):
        atomic_write_bytes(copy_path, conflict_copy(partial or ours, conflicts))
        copies.append(copy_path)
    atomic_write_bytes(archive.dir / "theirs" / name, theirs)
    archive.add_conflict(name, remote.etag, remote.size, sha256(theirs))
    log.warning("%s: conflict with library version %s: %s; %d clashing cell(s), copies written", name,
                remote.etag, reason, len(conflicts))
    return FileConflict(name, conflicts, copies, reason)


def still_open(workdir: Path, name: str) -> FileConflict:
    """The report entry for a file whose earlier conflict has not been resolved yet."""
    theirs_path, copy_path = conflict_paths(workdir, name)
    return FileConflict(name, [], [theirs_path, copy_path],
                        f"unresolved conflict: edit {copy_path.name}, then run 'tomsync resolve {name}'")


def resolve(workdir: str | os.PathLike[str], name: str, take: str = "copy") -> str:
    """Finish a conflict: the resolved copy (``take="copy"``: NAME.conflicts.xlsx as the person edited
    it, Conflicts tab dropped) or the library's version (``take="theirs"``) becomes the working copy,
    and the library version the conflict was found against becomes the base, so the next push merges
    from there. The two side files are removed."""
    work = Path(workdir)
    archive = Archive(work)
    pending = archive.pending_conflict(name)
    if pending is None:
        raise UnresolvedConflict(f"{name} has no conflict to resolve")
    theirs_path, copy_path = conflict_paths(work, name)
    refuse_if_open(copy_path)  # the person may still have the copy open in Excel (issue 8)
    refuse_unwritable(work / name)  # open in Excel or read-only: refused before any work
    theirs = (archive.dir / "theirs" / name).read_bytes()
    if sha256(theirs) != pending.sha256:
        raise UnresolvedConflict(f"{name}: the library version kept for this conflict is damaged "
                                 f"({STATE_DIR}/theirs/{name}); pull into a fresh folder and copy your edits")
    if take == "theirs":
        atomic_write_bytes(work / name, theirs)
    elif take == "copy":
        if not copy_path.exists():
            raise UnresolvedConflict(f"{copy_path.name} is missing: use --take theirs, or pull again")
        try:
            pkg = Package.open(copy_path)
        except PackageError as exc:
            raise UnresolvedConflict(f"{copy_path.name} cannot be read ({exc}): use --take theirs, "
                                     "or pull again") from None
        if CONFLICTS_SHEET in pkg.sheet_names():
            pkg.remove_sheet(CONFLICTS_SHEET)  # patched out: everything else stays as the person left it
            pkg.set_active(pkg.visible_sheets()[0])
        pkg.save(work / name)
    else:
        raise ValueError(f"take must be copy or theirs, not {take!r}")
    archive.record(name, theirs, RemoteFile(name, pending.etag, pending.size))
    archive.drop_conflict(name)
    archive.save()
    for side in (theirs_path, copy_path):
        side.unlink(missing_ok=True)
    (archive.dir / "theirs" / name).unlink(missing_ok=True)
    source = "the library version" if take == "theirs" else copy_path.name
    log.info("%s: conflict resolved from %s; the base is now version %s", name, source, pending.etag)
    return f"{name}: resolved from {source}; push to send it"
