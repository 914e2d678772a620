"""Broken files in the sync (issue 9): a truncated library copy never wipes a good local one, a merge
with an unreadable side never crashes, and push sends the good files past a bad one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.memory import MemoryLibrary
from sync.workflow import pull, push
from tomsync.cli import app

NAME, OTHER = "borders.xlsx", "other.xlsx"


def edit(path: Path, cell: str, value: object) -> None:
    wb = load_workbook(path)
    wb["Hawick High"][cell] = value
    wb.save(path)


def edited(data: bytes, cell: str, value: object) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb["Hawick High"][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def value(where: Path | bytes, cell: str) -> object:
    source = io.BytesIO(where) if isinstance(where, bytes) else where
    return load_workbook(source)["Hawick High"][cell].value


@pytest.fixture
def synced(tmp_path: Path, template_bytes: bytes) -> tuple[MemoryLibrary, Path]:
    lib = MemoryLibrary.with_files({NAME: template_bytes, OTHER: template_bytes})
    work = tmp_path / "work"
    work.mkdir()
    assert pull(work, lib).downloads == 2
    return lib, work


def test_a_truncated_library_copy_never_replaces_an_unchanged_local_one(synced, template_bytes) -> None:
    lib, work = synced
    lib.put(NAME, template_bytes[: len(template_bytes) // 2])  # someone's upload broke off halfway
    lib.put(OTHER, edited(template_bytes, "J3", "a good change"))
    report = pull(work, lib)
    assert (work / NAME).read_bytes() == template_bytes  # the good local copy is kept
    assert value(work / OTHER, "J3") == "a good change"  # and the pull went on with the other file
    assert [n for n, _ in report.refused] == [NAME]
    why = report.refused[0][1]
    assert why.startswith("the library's copy: the workbook is corrupt or truncated")
    assert why.endswith("the readable local copy is kept") and "\n" not in why
    assert [k.name for k in report.stashed] == [OTHER]  # only the file really replaced
    again = pull(work, lib)  # nothing was recorded: the next pull refuses again, until someone repairs it
    assert [n for n, _ in again.refused] == [NAME]


def test_a_truncated_library_copy_with_a_local_edit_keeps_both(synced, template_bytes) -> None:
    lib, work = synced
    edit(work / NAME, "J3", "my unpushed note")
    broken = template_bytes[:-200]
    lib.put(NAME, broken)
    report = pull(work, lib)  # was: zipfile.BadZipFile traceback, exit 1
    assert value(work / NAME, "J3") == "my unpushed note"
    assert lib.files[NAME] == broken
    assert report.refused and report.refused[0][0] == NAME
    assert "not merged: both copies are left as they are" in report.refused[0][1]
    report = push(work, lib)  # the library moved on to a broken copy: refused, nothing sent over it
    assert [n for n, _ in report.refused] == [NAME]
    assert lib.files[NAME] == broken and value(work / NAME, "J3") == "my unpushed note"


def test_push_sends_the_good_files_past_a_bad_one(synced) -> None:
    lib, work = synced
    (work / NAME).write_bytes((work / NAME).read_bytes()[:1000])  # a local file broken by a crash
    edit(work / OTHER, "J3", "a good change")
    report = push(work, lib)
    assert value(lib.files[OTHER], "J3") == "a good change"
    assert [n for n, _ in report.refused] == [NAME]
    assert report.refused[0][1].startswith("not pushed: ")


def test_the_cli_names_the_refused_file_and_exits_2(tmp_path: Path, template_bytes: bytes) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / NAME).write_bytes(template_bytes)
    work = tmp_path / "work"
    runner = CliRunner()
    assert runner.invoke(app, ["pull", "-C", str(work), "--library", str(library)]).exit_code == 0
    (library / NAME).write_bytes(template_bytes[:5000])
    result = runner.invoke(app, ["pull", "-C", str(work), "--library", str(library)])
    assert result.exit_code == 2, result.output
    assert f"tomsync: {NAME}: the library's copy: the workbook is corrupt or truncated" in result.stderr
    assert "0 file(s) changed, 1 download(s), 0 upload(s), 0 conflict(s), 1 refused (broken: borders.xlsx)" \
        in " ".join(result.stdout.split())
    assert (work / NAME).read_bytes() == template_bytes
    assert "Traceback" not in result.output


def test_the_cycle_carries_on_with_the_local_copy(synced, template_bytes) -> None:
    from datetime import date

    from sync.cycle import run_cycle

    lib, work = synced
    lib.put(NAME, template_bytes[:3000])
    result = run_cycle(work, lib, "2026-11", date(2026, 11, 28))
    assert [n for n, _ in result.refused] == [NAME]
    assert result.consolidated is not None and not result.unreadable
    assert lib.files["archive/2026-11/" + NAME] == template_bytes  # the readable copy was used
