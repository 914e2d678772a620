"""Reconciliation is pure: one line per case of (local, archive, remote) and direction."""

import pytest

from sync.library import RemoteFile
from sync.reconcile import Kind, reconcile
from sync.state import FileState

ARCH = FileState("b.xlsx", '"e1"', 10, "h1")
SAME = RemoteFile("b.xlsx", '"e1"', 10)
MOVED = RemoteFile("b.xlsx", '"e2"', 12)


@pytest.mark.parametrize(
    ("local", "archived", "remote", "direction", "kind", "if_match"),
    [
        # pull
        (None, None, SAME, "pull", Kind.DOWNLOAD, None),  # new in the library
        ("h1", ARCH, SAME, "pull", Kind.NOTHING, None),  # up to date
        ("h1", ARCH, MOVED, "pull", Kind.DOWNLOAD, None),  # changed remotely only
        ("h9", ARCH, SAME, "pull", Kind.NOTHING, None),  # local edits wait for push
        ("h9", ARCH, MOVED, "pull", Kind.MERGE, None),  # both changed: merge, never overwrite
        (None, ARCH, SAME, "pull", Kind.DOWNLOAD, None),  # deleted locally: restored
        ("h1", ARCH, None, "pull", Kind.NOTHING, None),  # gone from the library: keep ours
        ("h9", None, SAME, "pull", Kind.MERGE, None),  # both have it, never synced
        # push
        ("h1", ARCH, SAME, "push", Kind.NOTHING, None),
        ("h9", ARCH, SAME, "push", Kind.UPLOAD, '"e1"'),  # If-Match on the version we started from
        ("h9", ARCH, MOVED, "push", Kind.MERGE, '"e2"'),  # someone else pushed meanwhile
        ("h1", ARCH, MOVED, "push", Kind.NOTHING, None),  # nothing of ours to push
        ("h9", None, None, "push", Kind.UPLOAD_NEW, None),  # create only if absent
        ("h9", ARCH, None, "push", Kind.UPLOAD_NEW, None),  # removed remotely: recreate
        (None, ARCH, SAME, "push", Kind.NOTHING, None),  # deleting locally never deletes remote
    ],
)
def test_reconcile_cases(local, archived, remote, direction, kind, if_match):
    action = reconcile("b.xlsx", local, archived, remote, direction)
    assert action.kind is kind
    assert action.if_match == if_match
    assert action.reason


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="pull or push"):
        reconcile("b.xlsx", None, None, None, "sideways")
