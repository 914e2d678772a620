"""Reconciliation, Unison's second step: a pure decision per file, from the `Update` detected on
each side (`sync.update`). Propagation (`sync.propagate`) only carries the decision out. Keeping it
pure makes every case one line of a test.

Pull never uploads and push never overwrites: a pull over unpushed local edits merges, a push over
a remote that moved on merges first, and a create never replaces a file someone else created.

Deletions are never propagated, in either direction: tomsync does not delete a file in the library
or in a working copy. A file deleted here is restored by the next pull (with the library's latest
version) and left alone by push; a file deleted in the library is kept here, untouched (reported by
pull, recreated by a push only if it has local edits). So "deleted on one side, changed on the
other" is not a conflict: the changed side wins and nothing is lost. A CONFLICT is a file both sides
hold in versions nothing can combine: created on both sides (no common version), or a non-workbook
file changed on both sides (only workbooks are merged cell by cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sync.state import FileState
from sync.update import Change, Update


class Kind(Enum):
    NOTHING = "nothing"
    DOWNLOAD = "download"  # take the remote version; no local edits to lose
    UPLOAD = "upload"  # push ours with If-Match on the version we started from
    UPLOAD_NEW = "upload-new"  # create; refused if someone created it meanwhile
    MERGE = "merge"  # both sides changed: three-way merge (then upload, when pushing)
    CONFLICT = "conflict"  # both sides hold versions nothing can combine: keep both for a person


@dataclass(frozen=True)
class Action:
    kind: Kind
    name: str
    reason: str
    if_match: str | None = None


@dataclass(frozen=True)
class Conflict(Action):
    """A decision that a person must choose: propagation keeps both versions and pushes nothing."""


NO_COMMON_VERSION = "the file exists here and in the library with no common version"
NOT_MERGEABLE = "changed here and in the library, and only workbooks can be merged"


def _both_changed(update: Update, if_match: str | None) -> Action:
    if update.local is Change.NEW and update.remote is Change.NEW:
        return Conflict(Kind.CONFLICT, update.name, NO_COMMON_VERSION)
    if not update.name.endswith(".xlsx"):
        return Conflict(Kind.CONFLICT, update.name, NOT_MERGEABLE)
    return Action(Kind.MERGE, update.name, "changed on both sides", if_match=if_match)


def reconcile(update: Update, archived: FileState | None, direction: str) -> Action:
    """What to do with ``update.name``: an `Action`, or a `Conflict`. ``direction`` is "pull" or "push"."""
    if direction not in ("pull", "push"):
        raise ValueError(f"direction must be pull or push, not {direction!r}")
    name, local, remote = update.name, update.local, update.remote
    if direction == "pull":
        if update.remote_file is None:
            if remote is Change.DELETED:
                return Action(Kind.NOTHING, name, "deleted on both sides" if local is Change.DELETED
                              else "removed from the library; the local copy is kept")
            return Action(Kind.NOTHING, name, "not in the library")
        if update.local_hash is None:
            return Action(Kind.DOWNLOAD, name, "missing locally" if local is Change.DELETED
                          else "new in the library")
        if not update.remote_changed:
            return Action(Kind.NOTHING, name, "local edits not pushed yet" if update.local_changed
                          else "up to date")
        if not update.local_changed:
            return Action(Kind.DOWNLOAD, name, "changed in the library")
        return _both_changed(update, None)

    if update.local_hash is None:
        return Action(Kind.NOTHING, name, "deleted here; the library keeps it" if local is Change.DELETED
                      else "not in the working copy")
    if not update.local_changed:
        reason = "changed in the library: pull to update" if update.remote_changed else "up to date"
        return Action(Kind.NOTHING, name, reason)
    if update.remote_file is None:
        return Action(Kind.UPLOAD_NEW, name, "removed from the library" if remote is Change.DELETED
                      else "new")
    if not update.remote_changed:
        assert archived is not None
        return Action(Kind.UPLOAD, name, "changed locally", if_match=archived.etag)
    return _both_changed(update, update.remote_file.etag)
