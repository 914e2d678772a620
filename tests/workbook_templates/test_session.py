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
