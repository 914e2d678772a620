"""The stash keeps every working-copy version a pull replaces; `tomsync restore` brings one back."""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.folder import FolderLibrary
from sync.memory import MemoryLibrary
from sync.stash import KEEP_NEWEST, NothingStashed, prune, restore, stash, stashed
from sync.workflow import pull, push
from tomsync.cli import app

NAME = "borders.xlsx"


def edited(data: bytes, sheet: str, ref: str, value) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[sheet][ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def edit(path: Path, sheet: str, ref: str, value) -> None:
    path.write_bytes(edited(path.read_bytes(), sheet, ref, value))


def cell(path: Path, sheet: str, ref: str):
    return load_workbook(path)[sheet][ref].value


@pytest.fixture
def pulled(tmp_path, template_bytes):
    lib = MemoryLibrary.with_files({NAME: template_bytes})
    work = tmp_path / "work"
    pull(work, lib)
    return lib, work


def colleague_pushes(lib: MemoryLibrary, sheet: str, ref: str, value) -> None:
    data, remote = lib.download(NAME)
    lib.upload(NAME, edited(data, sheet, ref, value), remote.etag)


def test_a_pull_that_changes_nothing_stashes_nothing(pulled):
    lib, work = pulled
    report = pull(work, lib)
    assert report.stashed == [] and stashed(work, NAME) == []


def test_a_pull_merge_keeps_the_working_copy_it_replaces(pulled):
    lib, work = pulled
    edit(work / NAME, "Kelso High", "J3", "my unpushed note")
    mine = (work / NAME).read_bytes()
    colleague_pushes(lib, "Hawick High", "J3", "colleague's note")
    report = pull(work, lib)
    assert report.ok and [s.name for s in report.stashed] == [NAME]
    (kept,) = stashed(work, NAME)
    assert kept.path.read_bytes() == mine
    assert kept.path.parent == work / ".tomsync" / "stash" / NAME
    assert kept.path.name.endswith(f"-{kept.sha8}.xlsx")
    assert cell(kept.path, "Kelso High", "J3") == "my unpushed note"
    assert cell(kept.path, "Hawick High", "J3") != "colleague's note"
    assert cell(work / NAME, "Hawick High", "J3") == "colleague's note"  # the merge is in place


def test_restore_brings_a_version_back_and_stashes_the_current_one(pulled):
    lib, work = pulled
    before = (work / NAME).read_bytes()
    colleague_pushes(lib, "Hawick High", "J3", "colleague's note")
    pull(work, lib)
    after_pull = (work / NAME).read_bytes()
    assert after_pull != before
    chosen = restore(work, NAME)
    assert (work / NAME).read_bytes() == before and chosen.path.read_bytes() == before
    assert {s.path.read_bytes() for s in stashed(work, NAME)} == {before, after_pull}
    assert push(work, lib).uploads == 1  # the restored version is a local edit like any other


def test_restore_at_a_stamp_and_errors(tmp_path, template_bytes):
    work = tmp_path / "work"
    work.mkdir()
    (work / NAME).write_bytes(template_bytes)
    old = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    first = stash(work, NAME, now=old)
    edit(work / NAME, "Hawick High", "J3", "second")
    second = stash(work, NAME, now=old + timedelta(days=1))
    assert [s.stamp for s in stashed(work, NAME)] == ["20261002T090000Z", "20261001T090000Z"]
    restore(work, NAME, at=first.stamp)
    assert (work / NAME).read_bytes() == template_bytes
    restore(work, NAME, at=f"{second.stamp}-{second.sha8}")
    assert cell(work / NAME, "Hawick High", "J3") == "second"
    with pytest.raises(NothingStashed, match="no stashed copy at 19990101T000000Z"):
        restore(work, NAME, at="19990101T000000Z")
    with pytest.raises(NothingStashed, match="no stashed copies"):
        restore(work, "other.xlsx")
    assert stash(work, "missing.xlsx") is None
    assert stash(work, NAME, (work / NAME).read_bytes()) is None  # same bytes: nothing to keep


def test_pruning_drops_old_copies_but_keeps_the_newest_five(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(8):
        (work / NAME).write_bytes(f"version {day}".encode())
        stash(work, NAME, now=start + timedelta(days=day))
    assert len(stashed(work, NAME)) == 8  # all young enough
    removed = prune(work, NAME, now=start + timedelta(days=200))
    assert len(removed) == 8 - KEEP_NEWEST
    assert [s.path.read_bytes() for s in stashed(work, NAME)] == [f"version {d}".encode()
                                                                  for d in range(7, 2, -1)]
    (work / NAME).write_bytes(b"recent")
    stash(work, NAME, now=start + timedelta(days=200))
    prune(work, NAME, now=start + timedelta(days=200))
    assert len(stashed(work, NAME)) == KEEP_NEWEST  # the recent one and the four newest old ones


def test_cli_restore_list_and_at(tmp_path, template_bytes):
    lib_dir = tmp_path / "library"
    lib_dir.mkdir()
    (lib_dir / NAME).write_bytes(template_bytes)
    lib = FolderLibrary(lib_dir)
    work = tmp_path / "work"
    runner = CliRunner()
    assert runner.invoke(app, ["pull", "-C", str(work), "--library", str(lib_dir)]).exit_code == 0
    edit(lib_dir / NAME, "Hawick High", "J3", "colleague")  # a colleague's save in the shared folder
    pulled = runner.invoke(app, ["pull", "-C", str(work), "--library", str(lib_dir)])
    assert pulled.exit_code == 0 and "tomsync restore borders.xlsx" in " ".join(pulled.output.split())
    listed = runner.invoke(app, ["restore", NAME, "-C", str(work), "--list"])
    assert listed.exit_code == 0
    stamp = listed.output.split()[0]
    restored = runner.invoke(app, ["restore", NAME, "-C", str(work), "--at", stamp])
    assert restored.exit_code == 0, restored.output
    assert (work / NAME).read_bytes() == template_bytes
    missing = runner.invoke(app, ["restore", "nope.xlsx", "-C", str(work)])
    assert missing.exit_code == 2 and "no stashed copies" in missing.stderr
    assert lib.list()[0].name == NAME  # the stash is never synced
    assert not any(".tomsync" in f.name for f in lib.list())
