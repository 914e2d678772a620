"""The archive's state.json: typed records, a format version, old files read, few rewrites."""

import json

import pytest

from sync.library import LibraryError
from sync.memory import MemoryLibrary
from sync.state import STATE_VERSION, Archive, CycleRecord, sha256
from sync.workflow import pull, resolve

OLD_STATE = {
    "files": {"borders.xlsx": {"name": "borders.xlsx", "etag": '"e1"', "size": 3, "sha256": "aa"}},
    "local": {"borders.xlsx": [1, 3, "aa"]},
    "extra": {
        "conflicts": {"borders.xlsx": {"etag": '"e2"', "size": "5", "sha256": "bb"}},
        "cycle:2026-11": {"fingerprint": "f11", "outputs": ["archive/2026-11/rollup.json"]},
    },
}


def test_an_old_state_file_with_extra_is_read_and_rewritten_typed(tmp_path):
    (tmp_path / ".tomsync").mkdir()
    (tmp_path / ".tomsync" / "state.json").write_text(json.dumps(OLD_STATE))
    archive = Archive(tmp_path)
    pending = archive.pending_conflict("borders.xlsx")
    assert (pending.etag, pending.size, pending.sha256) == ('"e2"', 5, "bb")
    assert archive.cycle("2026-11") == CycleRecord("2026-11", "f11", ["archive/2026-11/rollup.json"])
    assert archive.get("borders.xlsx").etag == '"e1"'
    archive.save()
    raw = json.loads((tmp_path / ".tomsync" / "state.json").read_text())
    assert raw["version"] == STATE_VERSION and "extra" not in raw
    assert raw["conflicts"]["borders.xlsx"] == {"etag": '"e2"', "size": 5, "sha256": "bb"}
    again = Archive(tmp_path)
    assert again.pending_conflict("borders.xlsx") == pending and again.cycle("2026-11") is not None


def test_a_conflict_recorded_by_an_older_tomsync_can_still_be_resolved(tmp_path, template_bytes):
    lib = MemoryLibrary.with_files({"borders.xlsx": template_bytes})
    pull(tmp_path, lib)
    state = json.loads((tmp_path / ".tomsync" / "state.json").read_text())
    theirs = template_bytes[:-1] + b"\0"
    old = {"files": state["files"], "local": state["local"],
           "extra": {"conflicts": {"borders.xlsx": {"etag": '"e9"', "size": str(len(theirs)),
                                                   "sha256": sha256(theirs)}}}}
    (tmp_path / ".tomsync" / "state.json").write_text(json.dumps(old))
    (tmp_path / ".tomsync" / "theirs").mkdir()
    (tmp_path / ".tomsync" / "theirs" / "borders.xlsx").write_bytes(theirs)
    assert "resolved" in resolve(tmp_path, "borders.xlsx", take="theirs")
    assert Archive(tmp_path).get("borders.xlsx").etag == '"e9"'


def test_state_from_a_newer_tomsync_or_damaged_is_refused_in_one_line(tmp_path):
    (tmp_path / ".tomsync").mkdir()
    path = tmp_path / ".tomsync" / "state.json"
    path.write_text(json.dumps({"version": STATE_VERSION + 1}))
    with pytest.raises(ValueError, match="newer tomsync"):
        Archive(tmp_path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="damaged"):
        Archive(tmp_path)


def test_state_is_written_once_per_quiet_run_and_after_each_transfer(tmp_path, monkeypatch):
    lib = MemoryLibrary.with_files({f"{c}.json": c.encode() for c in "abcdef"})
    saves: list[int] = []
    real_save = Archive.save

    def counting_save(self):
        saves.append(1)
        real_save(self)

    monkeypatch.setattr(Archive, "save", counting_save)
    assert pull(tmp_path, lib).downloads == 6
    assert len(saves) == 6 + 1
    saves.clear()
    assert pull(tmp_path, lib).downloads == 0
    assert len(saves) == 1  # nothing changed: one write for the whole run


def test_an_interrupted_run_keeps_the_record_of_every_completed_transfer(tmp_path):
    lib = MemoryLibrary.with_files({f"{c}.json": c.encode() for c in "abcd"})
    lib.fail("download", name="c.json")
    with pytest.raises(LibraryError):
        pull(tmp_path, lib)
    archive = Archive(tmp_path)
    assert archive.names() == ["a.json", "b.json"]
    report = pull(tmp_path, lib)
    assert [a.name for a, _ in report.changed()] == ["c.json", "d.json"]  # a and b are not fetched again
