"""Update detection: what changed on each side since the archive, deletions included."""

import pytest

from sync.library import RemoteFile
from sync.memory import MemoryLibrary
from sync.state import Archive, FileState
from sync.update import Change, detect, detect_updates, tracked

ARCH = FileState("b.xlsx", '"e1"', 10, "h1")
SAME = RemoteFile("b.xlsx", '"e1"', 10)
MOVED = RemoteFile("b.xlsx", '"e2"', 12)
N, NEW, MOD, DEL = Change.NONE, Change.NEW, Change.MODIFIED, Change.DELETED


@pytest.mark.parametrize(
    ("local", "archived", "remote", "local_change", "remote_change"),
    [
        ("h1", ARCH, SAME, N, N),
        ("h9", ARCH, SAME, MOD, N),
        ("h1", ARCH, MOVED, N, MOD),
        (None, ARCH, SAME, DEL, N),
        ("h1", ARCH, None, N, DEL),
        (None, ARCH, None, DEL, DEL),
        ("h9", None, None, NEW, N),
        (None, None, SAME, N, NEW),
        ("h9", None, SAME, NEW, NEW),
    ],
)
def test_detect_cases(local, archived, remote, local_change, remote_change):
    update = detect("b.xlsx", local, archived, remote)
    assert (update.local, update.remote) == (local_change, remote_change)



def test_which_files_a_run_looks_at(tmp_path):
    lib = MemoryLibrary.with_files({"a.xlsx": b"a", "reports/2026-11/r.html": b"r", "notes.txt": b"n"})
    (tmp_path / "mine.xlsx").write_bytes(b"m")
    (tmp_path / "a.theirs.xlsx").write_bytes(b"copy")
    archive = Archive(tmp_path)
    pulled = detect_updates(tmp_path, lib, "pull", archive)
    assert [(u.name, u.local, u.remote) for u in pulled] == [("a.xlsx", N, NEW)]  # reports never pulled
    pushed = detect_updates(tmp_path, lib, "push", archive)
    assert [(u.name, u.local, u.remote) for u in pushed] == [("mine.xlsx", NEW, N)]
    assert [u.name for u in detect_updates(tmp_path, lib, "pull", archive, ["mine.xlsx"])] == ["mine.xlsx"]
    assert not tracked(".tomsync/base/a.xlsx") and not tracked("~$a.xlsx") and tracked("x/rollup.json")
