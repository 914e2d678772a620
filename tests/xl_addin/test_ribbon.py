"""The ribbon's buttons end to end on real .xlsx files, through the openpyxl surface: their messages,
Roll up, New month, Pull and Push (what Validate writes: tests/workbook_templates/test_annotate.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.workbook_templates.test_annotate import counts, formats, rgb
from tests.xl_addin.conftest import MONTH, TODAY
from workbook_templates.reader import read_workbook
from workbook_templates.surface import OpenpyxlSurface
from xl_addin import ribbon
from xl_addin.ribbon import SYNC_NOT_CONFIGURED, new_month, pull, push, roll_up, validate_workbook

# -- Validate button ---------------------------------------------------------------------------

def test_validate_button_message_and_cycle(demo: Path) -> None:
    expected = counts(demo, None, TODAY)  # no cycle: no stale
    message = validate_workbook(OpenpyxlSurface(demo), today=TODAY)
    assert message == f"scottish-tom.xlsx: {expected}: see the Issues tab"
    assert expected.startswith("6 error(s)")  # 5 deliberate mistakes and Berwickshire's M11 opt-out
    new_month(OpenpyxlSurface(demo), MONTH)
    stale = counts(demo, MONTH, TODAY)
    assert stale != expected
    assert validate_workbook(OpenpyxlSurface(demo), today=TODAY).endswith(f"{stale}: see the Issues tab")


# -- Roll up --------------------------------------------------------------------------------------

def test_roll_up_refreshes_summary_and_keeps_the_rest(demo: Path) -> None:
    before = formats(demo)
    native = [[c.value for c in row] for row in load_workbook(demo)["Summary"]["A1:F30"]]
    message = roll_up(OpenpyxlSurface(demo))
    assert message.startswith("scottish-tom.xlsx: Summary refreshed (school, theme, lead); overall ")
    ws = load_workbook(demo)["Summary"]
    assert ws["H1"].value == "Rolled-up RAG (rule: score)"
    heads = [ws.cell(row=r, column=8).value for r in range(1, ws.max_row + 1)]
    assert {"School", "Theme", "Lead"} <= set(heads)
    assert heads.count("All") == 3
    assert [[c.value for c in row] for row in ws["A1:F30"]] == native  # the native formulas stay
    assert formats(demo) == before  # protection (with its password hash) and validation kept


def test_roll_up_twice_leaves_no_stale_rows(demo: Path) -> None:
    roll_up(OpenpyxlSurface(demo))
    roll_up(OpenpyxlSurface(demo), by=["school"])
    ws = load_workbook(demo)["Summary"]
    heads = [ws.cell(row=r, column=8).value for r in range(1, ws.max_row + 1)]
    assert "Theme" not in heads and heads.count("All") == 1
    fills = {rgb(ws.cell(row=r, column=13)) for r in range(heads.index("All") + 3, ws.max_row + 1)}
    assert fills <= {None}


# -- New month ------------------------------------------------------------------------------------

def cycle(path: Path) -> object:
    return next(r[1] for r in load_workbook(path)["_tom"].iter_rows(values_only=True) if r[0] == "cycle")


def test_new_month_stamps_the_cycle(demo: Path) -> None:
    message = new_month(OpenpyxlSurface(demo), today=TODAY)
    assert message == ("scottish-tom.xlsx: cycle set to 2026-11; Validate now flags tabs not updated in "
                       "November 2026")
    assert cycle(demo) == "2026-11"
    assert read_workbook(demo).meta["cycle"] == "2026-11"
    assert new_month(OpenpyxlSurface(demo), "2026-12").startswith("scottish-tom.xlsx: cycle set to 2026-12 "
                                                                  "(was 2026-11)")
    assert cycle(demo) == "2026-12"
    wb = load_workbook(demo)
    assert wb["_tom"].sheet_state == "veryHidden" and wb["_tom"].protection.sheet


def test_new_month_refuses_a_bad_month(demo: Path) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        new_month(OpenpyxlSurface(demo), "November")


# -- Pull and Push --------------------------------------------------------------------------------

def test_pull_and_push_without_config_say_so(demo: Path) -> None:
    assert pull(OpenpyxlSurface(demo)) == SYNC_NOT_CONFIGURED
    assert push(OpenpyxlSurface(demo)) == SYNC_NOT_CONFIGURED
    assert "tomsync.toml" in SYNC_NOT_CONFIGURED and "README" in SYNC_NOT_CONFIGURED


def test_pull_and_push_through_a_folder_library(demo: Path, tmp_path: Path) -> None:
    library, work = tmp_path / "library", tmp_path / "work"
    library.mkdir()
    work.mkdir()
    book = work / demo.name
    shutil.move(demo, book)
    shutil.copyfile(book, library / "other-area.xlsx")
    (work / "tomsync.toml").write_text('[library]\nfolder = "../library"\n')
    assert pull(OpenpyxlSurface(book)) == "Pull: 1 file(s) changed"
    assert (work / "other-area.xlsx").is_file()
    assert push(OpenpyxlSurface(book)) == "Push: 1 file(s) changed"
    assert (library / demo.name).read_bytes() == book.read_bytes()
    assert pull(OpenpyxlSurface(book), workdir=work) == "Pull: 0 file(s) changed"


def test_a_broken_config_is_reported_in_one_line(demo: Path, tmp_path: Path) -> None:
    (tmp_path / "tomsync.toml").write_text("[library]\nfolder = 3\n")
    message = pull(OpenpyxlSurface(demo))
    assert message.startswith("Pull: ") and "\n" not in message


def test_a_sync_layer_that_cannot_import_is_reported_as_itself(demo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8: on Windows `import fcntl` failed inside sync and the buttons said "not configured"."""
    (tmp_path / "tomsync.toml").write_text('[library]\nfolder = "."\n')
    monkeypatch.setitem(__import__("sys").modules, "sync.workflow", None)  # import fails
    for button, name in ((pull, "Pull"), (push, "Push")):
        message = button(OpenpyxlSurface(demo))
        assert message != SYNC_NOT_CONFIGURED and "not configured" not in message
        assert message.startswith(f"{name} failed: ModuleNotFoundError: ") and "sync.workflow" in message
        assert "\n" not in message


def test_an_unexpected_error_names_its_class(demo: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tomsync.toml").write_text('[library]\nfolder = "."\n')

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("sheet")

    monkeypatch.setattr("sync.workflow.pull", broken)
    assert pull(OpenpyxlSurface(demo)) == "Pull failed: KeyError: 'sheet'"


def test_macros_table_names_every_button() -> None:
    assert set(ribbon.MACROS) == {"validate", "roll_up", "new_month", "pull", "push"}
