"""Tidy tables for analysts: a read workbook as a DataFrame, and CSV / xlsx files that never run a formula."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.workbook_templates.helpers import SCOT_FIRST_FREE, edit
from workbook_templates.cells import set_data
from workbook_templates.frame import COLUMNS, as_text, write_frame, write_table
from workbook_templates.reader import read_workbook

ROW = SCOT_FIRST_FREE
TYPED = {"A": "HAW-01", "B": "Employer engagement", "C": "Careers fair", "D": "DYW", "H": "In progress",
         "I": "A", "J": "=HYPERLINK(\"http://evil\",\"x\")", "L": datetime(2026, 11, 3)}


@pytest.fixture
def filled(scottish: Path) -> Path:
    def change(wb) -> None:
        ws = wb["Hawick High"]
        for letter, value in TYPED.items():
            set_data(ws[f"{letter}{ROW}"], value)  # typed text that starts with "=" stays text
        wb["Kelso High"]["H2"] = "Complete"
        wb["Kelso High"]["I2"] = "G"
    return edit(scottish, change)


def test_a_workbook_as_a_tidy_frame(filled: Path) -> None:
    frame = read_workbook(filled).to_frame("2026-11")
    assert list(frame.columns) == list(COLUMNS)
    hawick = frame[(frame["sheet"] == "Hawick High") & (frame["id"] == "HAW-01")]
    assert len(hawick) == 1
    row = hawick.iloc[0]
    assert (row["month"], row["area"], row["school"], row["school_id"], row["row"]) == (
        "2026-11", "Scottish Borders", "Hawick High", "HAW", ROW)
    assert (row["theme"], row["lead"], row["status"], row["rag"]) == ("Employer engagement", "DYW",
                                                                      "In progress", "A")
    assert row["last_updated"] == pd.Timestamp(2026, 11, 3)
    kelso = frame[(frame["sheet"] == "Kelso High") & (frame["id"] == "M01")].iloc[0]
    assert (kelso["status"], kelso["rag"], kelso["theme"]) == ("Complete", "G", "Planning and alignment")
    # every master row of every school tab is a row (status "Not started" is filled in by the template)
    assert len(frame) == 9 * 12 + 1
    # which column the rating came from, and the tier: a master row is a minimum expectation, own rows none
    assert (row["rated_in"], row["tier"]) == ("RAG", "")
    assert (kelso["rated_in"], kelso["tier"]) == ("RAG", "minimum")
    assert pd.isna(frame[(frame["sheet"] == "Kelso High") & (frame["id"] == "M02")].iloc[0]["rated_in"])


def test_a_plans_rating_says_which_term_it_came_from(tmp_path: Path) -> None:
    from workbook_templates.spec import load_spec
    from workbook_templates.template import build_workbook

    spec = load_spec("gatsby-plan")
    path = tmp_path / "plan.xlsx"
    wb = build_workbook(spec)
    ws = wb[spec.schools[0].sheet]
    headers = [c.value for c in ws[1]]
    ws.cell(2, headers.index("Autumn 2025") + 1, "R")
    ws.cell(2, headers.index("Summer 2026") + 1, "A")  # the latest term rated is the row's rating
    ws.cell(3, headers.index("Spring 2026") + 1, "G")
    wb.save(path)
    frame = read_workbook(path).to_frame("2026-07")
    mine = frame[frame["sheet"] == spec.schools[0].sheet]
    first, second = mine.iloc[0], mine.iloc[1]
    assert (first["rag"], first["rated_in"]) == ("A", "Summer 2026")
    assert (second["rag"], second["rated_in"]) == ("G", "Spring 2026")


def test_the_month_defaults_to_the_cycle_stamp(filled: Path) -> None:
    assert read_workbook(filled).to_frame()["month"].isna().all()  # never stamped: unknown, not guessed


def test_pandas_is_not_imported_by_the_core() -> None:
    code = ("import sys, workbook_templates.reader, workbook_templates.validate, workbook_templates.rollup,"
            " workbook_templates.frame, sync.consolidate; print('pandas' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_csv_prefixes_formula_like_text(filled: Path, tmp_path: Path) -> None:
    frame = read_workbook(filled).to_frame("2026-11")
    out = write_frame(frame, tmp_path / "tom.csv")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(frame)
    assert {r["theme"] for r in rows if r["id"] == "HAW-01"} == {"Employer engagement"}
    assert [r["last_updated"] for r in rows if r["id"] == "HAW-01"] == ["2026-11-03"]
    for start in ("=", "+", "-", "@"):
        assert as_text(start + "1") == "'" + start + "1"
    assert as_text("On track") == "On track" and as_text(5) == 5
    out = write_table(["note", "n"], [["=1+1", 3], ["+44 7700", -2], ["@SUM(A1)", None], ["fine", 1.5]],
                      tmp_path / "t.csv")
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["note,n", "'=1+1,3", "'+44 7700,-2", "'@SUM(A1),", "fine,1.5"]


def test_xlsx_keeps_formula_like_text_as_text(filled: Path, tmp_path: Path) -> None:
    out = write_table(["note", "when"], [["=HYPERLINK(\"http://evil\",\"x\")", date(2026, 11, 3)],
                                          ["-1", None], ["plain", date(2026, 1, 2)]], tmp_path / "t.xlsx")
    ws = load_workbook(out)["TOM"]
    cell = ws["A2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://evil\",\"x\")"
    assert ws["A3"].data_type == "s" and ws["A3"].value == "-1"
    assert ws["B2"].value == datetime(2026, 11, 3) and ws["B2"].number_format == "dd/mm/yyyy"
    assert "<f>" not in _sheet_xml(out)


def test_write_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=".csv or .xlsx"):
        write_table(["a"], [["b"]], tmp_path / "t.json")


def _sheet_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode()
