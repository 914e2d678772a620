"""The merge base is checked against its recorded sha256 before a merge uses it."""

import io

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.folder import FolderLibrary
from sync.state import BaseDamaged
from sync.workflow import pull, resolve
from tomsync.cli import app

NAME = "borders.xlsx"


def edited(data: bytes, ref: str, value) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb["Hawick High"][ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def both_changed(tmp_path, template_bytes):
    """A working copy with an unpushed edit, a library that moved on, and a tampered merge base."""
    lib_dir = tmp_path / "library"
    lib_dir.mkdir()
    (lib_dir / NAME).write_bytes(template_bytes)
    work = tmp_path / "work"
    pull(work, FolderLibrary(lib_dir))
    (work / NAME).write_bytes(edited((work / NAME).read_bytes(), "J4", "mine"))
    (lib_dir / NAME).write_bytes(edited(template_bytes, "J3", "theirs"))
    base = work / ".tomsync" / "base" / NAME
    base.write_bytes(edited(base.read_bytes(), "J5", "slipped in"))
    return lib_dir, work


def test_a_damaged_base_refuses_the_merge_and_leaves_the_working_copy(both_changed):
    lib_dir, work = both_changed
    mine = (work / NAME).read_bytes()
    with pytest.raises(BaseDamaged, match=f"{NAME}: the merge base .* does not match"):
        pull(work, FolderLibrary(lib_dir))
    assert (work / NAME).read_bytes() == mine
    assert not list((work / ".tomsync").glob("stash/**/*.xlsx"))  # nothing was replaced


def test_the_cli_says_so_in_one_line_with_exit_2_and_the_way_out_works(both_changed):
    lib_dir, work = both_changed
    runner = CliRunner()
    result = runner.invoke(app, ["pull", "-C", str(work), "--library", str(lib_dir)])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert NAME in line and "sha256" in line and "resolve" in line
    assert len([ln for ln in result.stderr.splitlines() if ln.startswith("tomsync:")]) == 1
    # the way out the message gives: drop the base, pull (a conflict), take the library's version
    (work / ".tomsync" / "base" / NAME).unlink()
    again = runner.invoke(app, ["pull", "-C", str(work), "--library", str(lib_dir)])
    assert again.exit_code == 3
    resolve(work, NAME, take="theirs")
    assert (work / NAME).read_bytes() == (lib_dir / NAME).read_bytes()
    assert runner.invoke(app, ["pull", "-C", str(work), "--library", str(lib_dir)]).exit_code == 0
