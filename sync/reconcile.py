"""Reconciliation: a pure decision per file, from what changed on each side since the archive.

Update detection (local hash vs archive, remote eTag vs archive) happens before this; propagation
(downloads, uploads, merges) after it, in `sync.workflow`. Keeping the decision pure makes every
case one line of a test, as in Unison.

Pull never uploads and push never overwrites: a pull over unpushed local edits merges, a push over
a remote that moved on merges first, and a create never replaces a file someone else created.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sync.library import RemoteFile
from sync.state import FileState


class Kind(Enum):
    NOTHING = "nothing"
    DOWNLOAD = "download"  # take the remote version; no local edits to lose
    UPLOAD = "upload"  # push ours with If-Match on the version we started from
    UPLOAD_NEW = "upload-new"  # create; refused if someone created it meanwhile
    MERGE = "merge"  # both sides changed: three-way merge (then upload, when pushing)


@dataclass(frozen=True)
class Action:
    kind: Kind
    name: str
    reason: str
    if_match: str | None = None


def reconcile(name: str, local_hash: str | None, archived: FileState | None, remote: RemoteFile | None,
              direction: str) -> Action:
    """What to do with ``name``. ``direction`` is "pull" or "push"."""
    if direction not in ("pull", "push"):
        raise ValueError(f"direction must be pull or push, not {direction!r}")
    local_changed = local_hash is not None and (archived is None or local_hash != archived.sha256)
    remote_changed = remote is not None and (archived is None or remote.etag != archived.etag)

    if direction == "pull":
        if remote is None:
            return Action(Kind.NOTHING, name, "not in the library")
        if local_hash is None:
            return Action(Kind.DOWNLOAD, name, "new in the library" if archived is None
                          else "missing locally")
        if not remote_changed:
            return Action(Kind.NOTHING, name, "local edits not pushed yet" if local_changed else "up to date")
        if not local_changed:
            return Action(Kind.DOWNLOAD, name, "changed in the library")
        return Action(Kind.MERGE, name, "changed on both sides")

    if local_hash is None:
        return Action(Kind.NOTHING, name, "not in the working copy")
    if not local_changed:
        reason = "changed in the library: pull to update" if remote_changed else "up to date"
        return Action(Kind.NOTHING, name, reason)
    if remote is None:
        return Action(Kind.UPLOAD_NEW, name, "new" if archived is None else "removed from the library")
    if not remote_changed:
        assert archived is not None
        return Action(Kind.UPLOAD, name, "changed locally", if_match=archived.etag)
    return Action(Kind.MERGE, name, "changed on both sides", if_match=remote.etag)
