"""Reading a workbook back: one type per column kind, whatever people typed; rows found by ID, not place."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl.workbook.workbook import Workbook

from tests.workbook_templates.helpers import SCOT_FIRST_FREE, edit, findings, set_cells
from workbook_templates import reader
from workbook_templates.reader import WorkbookReadError, first_line, normalise, read_workbook, to_date

F = SCOT_FIRST_FREE


def test_fresh_workbook_reads_master_rows_only(scottish_master: Path) -> None:
    data = read_workbook(scottish_master)
    assert data.meta["spec_name"] == "scottish-tom"
    assert data.sheet_names[:3] == ["Guide", "Summary", "Master"]
    assert [r.get("ID") for r in data.master.rows] == [f"M{i:02d}" for i in range(1, 13)]
    hawick = data.schools["Hawick High"]
    assert [r.row for r in hawick.rows] == list(range(2, 14))  # the 40 empty free rows are not rows
    assert all(r.is_master for r in hawick.rows)
    assert hawick.rows[0].get("Status") == "Not started"
    assert hawick.rows[0].get("RAG") is None
    assert hawick.col_index("RAG") == 8 and hawick.col_index("Nope") is None


def test_typed_values_are_normalised_once(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {
        "L2": datetime(2026, 11, 3, 14, 5),  # a datetime -> its date
        "L3": "15/09/2026",  # a UK date typed as text -> a date
        "L4": "2026-09-16",  # ISO text -> a date
        "L5": "next week",  # kept as typed, for validation to report
        "I2": " g ",  # RAG tidied to G
        "J2": "NA",  # pandas would make this missing; it is what was typed
        "J3": "N/A",
        "J4": "   ",  # only spaces: blank
        f"A{F}": 5, f"B{F}": "Employer engagement", f"C{F}": "Careers fair", f"D{F}": "School",  # ID 5
    })
    rows = {r.row: r for r in read_workbook(scottish).schools["Hawick High"].rows}
    assert rows[2].get("Last updated") == date(2026, 11, 3)
    assert type(rows[2].get("Last updated")) is date
    assert rows[3].get("Last updated") == date(2026, 9, 15)
    assert rows[4].get("Last updated") == date(2026, 9, 16)
    assert rows[5].get("Last updated") == "next week"
    assert rows[2].get("RAG") == "G"
    assert rows[2].get("Progress notes") == "NA" and rows[3].get("Progress notes") == "N/A"
    assert rows[4].get("Progress notes") is None
    assert rows[F].get("ID") == "5" and rows[F].is_master is False


def test_normalise_and_to_date() -> None:
    assert normalise(99.0, "int") == 99 and normalise("42", "int") == 42
    assert normalise(3.0, "text") == "3"
    assert normalise("", "text") is None and normalise(None, "rag") is None
    assert normalise(" In progress ", "choice") == "In progress"
    assert normalise(date(2026, 9, 1), "text") == "2026-09-01"
    assert to_date("01.10.2026") == date(2026, 10, 1)
    assert to_date("31/02/2026") == "31/02/2026"  # not a date: left for validation to report


def test_sorted_school_tab_is_still_valid(scottish: Path) -> None:
    """Staff may sort (the protection allows it): master rows are found by ID, not by position."""
    def sort_descending(wb: Workbook) -> None:
        ws = wb["Selkirk High"]
        rows = [[c.value for c in ws[r]] for r in range(2, 14)]
        for r, values in enumerate(reversed(rows), start=2):
            for i, v in enumerate(values, start=1):
                ws.cell(row=r, column=i, value=v)
    edit(scottish, sort_descending)
    data = read_workbook(scottish)
    assert data.schools["Selkirk High"].rows[0].get("ID") == "M12"
    assert findings(scottish) == []


@pytest.mark.parametrize("message", ["", "\n", "  \nsecond line"])
def test_a_sheet_that_fails_with_an_empty_message_is_still_one_line(scottish: Path, message: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError(message)

    monkeypatch.setattr(reader, "sheet_rows", broken)
    with pytest.raises(WorkbookReadError) as caught:
        read_workbook(scottish)
    expected = "second line" if "second" in message else "ValueError"
    assert str(caught.value) == f"{scottish}: a sheet cannot be read ({expected})"


def test_first_line_of_an_exception() -> None:
    assert first_line(RuntimeError("")) == "RuntimeError"
    assert first_line(RuntimeError("bad zip\ndetails")) == "bad zip"
