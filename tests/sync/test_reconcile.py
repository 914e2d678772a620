"""Reconciliation is pure: one line per case of (local, archive, remote) and direction."""

import pytest

from sync.library import RemoteFile
from sync.reconcile import Conflict, Kind, reconcile
from sync.state import FileState
from sync.update import detect

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
        (None, ARCH, MOVED, "pull", Kind.DOWNLOAD, None),  # deleted here, changed there: theirs restored
        ("h1", ARCH, None, "pull", Kind.NOTHING, None),  # gone from the library: keep ours
        ("h9", ARCH, None, "pull", Kind.NOTHING, None),  # deleted there, changed here: ours kept
        (None, ARCH, None, "pull", Kind.NOTHING, None),  # deleted on both sides
        ("h9", None, SAME, "pull", Kind.CONFLICT, None),  # both have it, never synced: no common version
        # push
        ("h1", ARCH, SAME, "push", Kind.NOTHING, None),
        ("h9", ARCH, SAME, "push", Kind.UPLOAD, '"e1"'),  # If-Match on the version we started from
        ("h9", ARCH, MOVED, "push", Kind.MERGE, '"e2"'),  # someone else pushed meanwhile
        ("h1", ARCH, MOVED, "push", Kind.NOTHING, None),  # nothing of ours to push
        ("h9", None, None, "push", Kind.UPLOAD_NEW, None),  # create only if absent
        ("h9", ARCH, None, "push", Kind.UPLOAD_NEW, None),  # removed remotely, changed here: recreate
        ("h1", ARCH, None, "push", Kind.NOTHING, None),  # removed remotely, unchanged here: not recreated
        (None, ARCH, SAME, "push", Kind.NOTHING, None),  # deleting locally never deletes remote
        (None, ARCH, MOVED, "push", Kind.NOTHING, None),  # deleted here, changed there: nothing to push
        ("h9", None, SAME, "push", Kind.CONFLICT, None),  # created on both sides: no common version
    ],
)
def test_reconcile_cases(local, archived, remote, direction, kind, if_match):
    action = reconcile(detect("b.xlsx", local, archived, remote), archived, direction)
    assert action.kind is kind
    assert action.if_match == if_match
    assert isinstance(action, Conflict) == (kind is Kind.CONFLICT)
    assert action.reason


@pytest.mark.parametrize("direction", ["pull", "push"])
def test_a_non_workbook_changed_on_both_sides_is_a_conflict(direction):
    archived = FileState("archive/2026-11/rollup.json", '"e1"', 10, "h1")
    moved = RemoteFile("archive/2026-11/rollup.json", '"e2"', 12)
    action = reconcile(detect(archived.name, "h9", archived, moved), archived, direction)
    assert action.kind is Kind.CONFLICT and "only workbooks" in action.reason


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="pull or push"):
        reconcile(detect("b.xlsx", None, None, None), None, "sideways")
