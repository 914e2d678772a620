"""A session rollover: work not Complete carried forward with its notes marked, Complete work left in
the old workbook, dates and the stale cycle restarted, text kept as text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.workbook_templates.helpers import fill
from workbook_templates.package import Package
from workbook_templates.reader import read_workbook
from workbook_templates.session import carried_note, new_session_file
from workbook_templates.spec import canonical
from workbook_templates.validate import validate


def test_rollover_carries_unfinished_work_and_leaves_completed_work(scottish: Path, tmp_path: Path) -> None:
    fill(scottish, {"Hawick High": {
        "H2": "Complete", "I2": "G", "J2": "Signed off", "K2": "https://example.org/tom.pdf",
        "H4": "In progress", "I4": "R", "J4": "Employer dropped out", "L4": date(2027, 5, 3), "M4": "DYW",
        "A14": "HAW-01", "B14": "Career guidance", "C14": "Mock interviews", "D14": "School",
        "H14": "Complete", "I14": "G",
        "A15": "HAW-02", "B15": "Career guidance", "C15": "Alumni talks", "D15": "School",
        "H15": "In progress", "I15": "A",
        "A16": "HAW-99", "B16": "Employer engagement", "C16": "Rotary mock interviews", "D16": "School",
        "H16": "Not started",
    }})
    pkg = Package.open(scottish)
    pkg.set_value("Hawick High", "J15", "=two booked")  # typed text that looks like a formula
    pkg.save()
    old_rows = len(read_workbook(scottish).schools["Hawick High"].rows)
    result = new_session_file(scottish, "2027/28", tmp_path / "next.xlsx")
    data = read_workbook(tmp_path / "next.xlsx")
    assert data.spec.session == "2027/28" and data.spec.months[0] == "2027-08"
    assert data.spec.terms[0].start == date(2027, 8, 18)
    assert result.carried == {"Hawick High": ["M03", "HAW-02", "HAW-99"]}
    assert result.left == {"Hawick High": 2}
    rows = {canonical(r.get("ID")): r for r in data.schools["Hawick High"].rows}
    mark = carried_note("2026/27")
    assert rows["M01"].get("Status") == "Not started" and rows["M01"].get("Progress notes") is None
    m03 = rows["M03"]
    assert (m03.get("Status"), m03.get("RAG"), m03.get("Progress notes")) == (
        "In progress", "R", f"{mark} Employer dropped out")
    assert m03.get("Last updated") is None and m03.get("Updated by") is None  # dates restart
    assert "HAW-01" not in rows  # Complete: stays in the old workbook
    assert rows["HAW-02"].get("Activity") == "Alumni talks" and rows["HAW-02"].get("Progress notes") == \
        f"{mark} =two booked"
    assert rows["HAW-99"].row == 16 and rows["HAW-02"].row == 15  # its own number, else a spare row
    assert data.meta.get("cycle", "") == ""  # the stale cycle starts again
    assert not [f for f in validate(data, today=date(2027, 9, 1)) if f.rule in ("stale", "future-date")]
    assert len(read_workbook(scottish).schools["Hawick High"].rows) == old_rows  # the old one untouched


def _term_cols(path: Path, sheet: str) -> dict[str, str]:
    """Header -> column letter of a tab's row 1, as a Careers Leader sees it."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    ws = load_workbook(path)[sheet]
    return {str(c.value): get_column_letter(c.column) for c in ws[1] if c.value}


def test_a_three_year_plan_moves_on_by_its_length_with_new_blank_terms(gatsby: Path, tmp_path: Path) -> None:
    """gatsby-plan (2025-2028) by default becomes 2028-2031: its termly RAG columns, calendar and
    Compass rows are the new plan's terms, and no old rating lands in a new term's column."""
    cols = _term_cols(gatsby, "Riverside School")
    fill(gatsby, {"Riverside School": {f"{cols['Status']}2": "In progress", f"{cols['Autumn 2026']}2": "R",
                                       f"{cols['Summer 2028']}2": "A", f"{cols['Review note']}2": "Behind"},
                  "Plan": {"C3": "J. Okafor", "D3": date(2025, 9, 10)}})
    result = new_session_file(gatsby, "2028-2031", tmp_path / "next.xlsx")
    data = read_workbook(tmp_path / "next.xlsx")
    assert (data.spec.months[0], data.spec.months[-1]) == ("2028-09", "2031-07")
    terms = [c.term for c in data.spec.rag_columns]
    assert terms[0] == "Autumn 2028" and terms[-1] == "Summer 2031" and len(terms) == 9
    assert {t.name for t in data.spec.terms} >= {"Autumn 1 2028", "Summer 2 2031"}
    assert result.carried["Riverside School"] == ["G1-01"]
    row = next(r for r in data.schools["Riverside School"].rows if r.get("ID") == "G1-01")
    assert [row.get(t) for t in terms] == [None] * 9  # the old plan's ratings stay in the old plan
    assert row.get("Review note") == f"{carried_note('2025-2028')} Behind"
    assert data.plan is not None and data.plan.header["RSC"]["Careers Leader"] == "J. Okafor"
    assert data.plan.header["RSC"]["Date created"] is None  # the new plan is approved again
    assert {r.term for r in data.plan.compass if r.school_id == "RSC"} == set(terms)


def test_a_plan_rolled_on_one_year_keeps_the_terms_it_still_has(gatsby: Path, tmp_path: Path) -> None:
    """--start 2026-09 --end 2029-07: Autumn 2026 to Summer 2028 keep their ratings and Compass
    results; Autumn 2028 to Summer 2029 are new and blank."""
    cols = _term_cols(gatsby, "Riverside School")
    fill(gatsby, {"Riverside School": {f"{cols['Status']}2": "In progress", f"{cols['Autumn 2025']}2": "R",
                                       f"{cols['Autumn 2026']}2": "G"}})
    from openpyxl import load_workbook
    wb = load_workbook(gatsby)
    ws = wb["Compass"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "RSC-Autumn2026")
    ws.cell(row=row, column=4, value="Yes")
    ws.cell(row=row, column=5, value=100)
    wb.save(gatsby)
    new_session_file(gatsby, "2026-2029", tmp_path / "next.xlsx", start="2026-09", end="2029-07")
    data = read_workbook(tmp_path / "next.xlsx")
    terms = [c.term for c in data.spec.rag_columns]
    assert terms[0] == "Autumn 2026" and terms[-1] == "Summer 2029"
    row_ = next(r for r in data.schools["Riverside School"].rows if r.get("ID") == "G1-01")
    assert row_.get("Autumn 2026") == "G" and row_.get("Autumn 2028") is None
    assert row_.get("Autumn 2025") is None  # the term left the plan with its rating
    assert data.plan is not None and data.plan.results("RSC")["Autumn 2026"].met(0) is True
    assert not [f for f in validate(data, today=date(2026, 12, 1)) if f.rule.startswith("compass")]
