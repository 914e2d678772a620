"""What `tomsync validate` tells a Careers Leader about a termly plan's tab: "not updated" counts
from the start of the plan term (updates are termly, monthly ones optional), and a rating finding
names the term column that holds the rating, never the locked Current RAG formula."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from tests.workbook_templates.helpers import fill
from workbook_templates.reader import read_workbook
from workbook_templates.validate import validate


def _cols(path: Path, sheet: str) -> dict[str, str]:
    ws = load_workbook(path)[sheet]
    return {str(c.value): c.column_letter for c in ws[1] if c.value}


def _found(path: Path, rule: str, month: str | None = None, today: date = date(2026, 12, 2)
           ) -> dict[str, tuple[str, str]]:
    found = validate(read_workbook(path), month, today)
    return {f.sheet: (f.cell, f.message) for f in found if f.rule == rule}


def test_a_plan_tab_updated_this_term_is_not_stale_in_a_later_month(gatsby: Path) -> None:
    c = _cols(gatsby, "Riverside School")
    fill(gatsby, {"Riverside School": {f"{c['Last updated']}2": date(2026, 10, 15)},
                  "Northfield Academy": {f"{c['Last updated']}2": date(2026, 8, 20)}})
    stale = _found(gatsby, "stale", "2026-12")
    assert "Riverside School" not in stale  # October is in Autumn 2026: the December cycle is covered
    assert stale["Northfield Academy"][1] == "tab not updated in Autumn 2026 (last updated 20/08/2026)"
    assert stale["Hollins Grange School"][1] == "tab not updated in Autumn 2026 (never updated)"
    assert "Riverside School" in _found(gatsby, "stale", "2027-01", date(2027, 1, 20))  # a new term


def test_a_rating_finding_names_the_term_column_a_person_can_change(gatsby: Path) -> None:
    c = _cols(gatsby, "Riverside School")
    fill(gatsby, {"Riverside School": {
        f"{c['Status']}2": "Not started", f"{c['Spring 2026']}2": "A", f"{c['Autumn 2026']}2": "G",
        f"{c['Status']}3": "In progress", f"{c['Last updated']}2": date(2026, 12, 1)}})
    contradiction = _found(gatsby, "contradiction")["Riverside School"]
    assert contradiction[0] == f"{c['Autumn 2026']}2" and "Not started but rated G" in contradiction[1]
    missing = _found(gatsby, "rag-missing")["Riverside School"]
    assert missing[0] == f"{c['Autumn 2026']}3"  # nothing rated yet: this term's column
    assert c["Current RAG"] not in (contradiction[0][0], missing[0][0])
