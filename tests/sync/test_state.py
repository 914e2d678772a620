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


def count_state_writes(monkeypatch) -> list[str]:
    """Every rewrite of a state.json, by path, whoever asks for it."""
    import sync.state

    written: list[str] = []
    real = sync.state.atomic_write_bytes

    def counting(path, data):
        if path.name == "state.json":
            written.append(str(path))
        real(path, data)

    monkeypatch.setattr(sync.state, "atomic_write_bytes", counting)
    return written


def test_state_is_written_once_per_run_however_many_files(tmp_path, monkeypatch):
    lib = MemoryLibrary.with_files({f"f{i:03}.json": str(i).encode() for i in range(120)})
    writes = count_state_writes(monkeypatch)
    assert pull(tmp_path, lib).downloads == 120
    assert len(writes) == 1  # 120 transfers, one rewrite of state.json (the journal kept each record)
    assert not (tmp_path / ".tomsync" / "journal.jsonl").exists()  # emptied once state.json holds it
    writes.clear()
    assert pull(tmp_path, lib).downloads == 0
    assert len(writes) <= 1  # at most the hash cache of the files the first run wrote
    writes.clear()
    assert pull(tmp_path, lib).downloads == 0
    assert writes == []  # a quiet run writes nothing


def test_a_killed_run_forgets_no_finished_transfer(tmp_path, template_bytes):
    """No save at all (kill -9 before the end): the journal alone brings the records back."""
    from sync.library import RemoteFile

    archive = Archive(tmp_path)
    archive.record("a.json", b"A", RemoteFile("a.json", '"e1"', 1))
    archive.record("b.json", b"B", RemoteFile("b.json", '"e2"', 1))
    archive.add_conflict("b.json", '"e3"', 2, "cc")
    with open(tmp_path / ".tomsync" / "journal.jsonl", "a") as fh:
        fh.write('{"op":"file","name":"c.j')  # the line the kill cut short
    again = Archive(tmp_path)
    assert again.names() == ["a.json", "b.json"] and again.get("b.json").etag == '"e2"'
    assert again.pending_conflict("b.json").etag == '"e3"'
    assert again.base_bytes("a.json") == b"A"
    again.save()
    assert Archive(tmp_path).names() == ["a.json", "b.json"]


def test_an_interrupted_run_keeps_the_record_of_every_completed_transfer(tmp_path):
    lib = MemoryLibrary.with_files({f"{c}.json": c.encode() for c in "abcd"})
    lib.fail("download", name="c.json")
    with pytest.raises(LibraryError):
        pull(tmp_path, lib)
    archive = Archive(tmp_path)
    assert archive.names() == ["a.json", "b.json"]
    report = pull(tmp_path, lib)
    assert [a.name for a, _ in report.changed()] == ["c.json", "d.json"]  # a and b are not fetched again
