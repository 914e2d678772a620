"""Master opt-outs, overdue work and contradictions, on real workbooks (fixtures in conftest)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.workbook_templates.helpers import findings, set_cells, summary
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec, loads_spec
from workbook_templates.template import write_template
from workbook_templates.validate import validate


def test_not_applicable_on_a_master_row_is_an_error_on_an_own_row_it_is_not(scottish: Path) -> None:
    set_cells(scottish, "Jedburgh Grammar", {"H9": "Not applicable", "A15": "JED-01", "C15": "Own",
                                             "B15": "Career guidance", "D15": "DYW", "H15": "Not applicable"})
    found = [f for f in findings(scottish) if f.rule == "opt-out"]
    assert summary(found) == [("Jedburgh Grammar", "H9", "M08", "opt-out", "error")]
    assert "minimum expected of every school" in found[0].message


def test_an_exemption_with_a_reason_allows_the_opt_out(tmp_path: Path) -> None:
    spec = loads_spec(load_spec("scottish-tom").to_toml()
                      + '\n[[exemptions]]\nschool = "JED"\nids = ["M08"]\nreason = "No parent council"\n')
    path = write_template(spec, tmp_path / "exempt.xlsx")
    set_cells(path, "Jedburgh Grammar", {"H9": "Not applicable"})
    set_cells(path, "Eyemouth High", {"H9": "Not applicable"})
    found = [f for f in findings(path) if f.rule == "opt-out"]
    assert summary(found) == [("Eyemouth High", "H9", "M08", "opt-out", "error")]


def test_overdue_on_a_kept_tab_only_and_never_when_complete(scottish: Path) -> None:
    set_cells(scottish, "Eyemouth High", {"H2": "In progress", "I2": "A", "L2": date(2026, 11, 3),
                                          "H11": "Complete", "I11": "G"})
    found = [f for f in findings(scottish, skip=()) if f.rule == "overdue"]
    assert {(f.sheet, f.row_id) for f in found} == {("Eyemouth High", "M01"), ("Eyemouth High", "M12")}
    m01 = next(f for f in found if f.row_id == "M01")
    assert m01.cell == "G2" and m01.severity == "warning"
    assert m01.message == "due by 31/08/2026 ('31 August') and still In progress"


def test_unreadable_timing_is_listed_once_per_master_row(tmp_path: Path) -> None:
    text = load_spec("scottish-tom").to_toml().replace('When = "Sep"', 'When = "Jan"').replace(
        'Target = "Calendar on the school website by end of September"',
        'Target = "Calendar up by 31 Smarch"')
    path = write_template(loads_spec(text), tmp_path / "odd.xlsx")
    found = [f for f in validate(read_workbook(path), None, date(2026, 11, 20)) if f.rule == "due-unreadable"]
    assert [(f.sheet, f.row_id, f.severity) for f in found] == [("Master", "M10", "warning")]
    assert "never guessed" in found[0].message


def test_contradictions(scottish: Path) -> None:
    set_cells(scottish, "Kelso High", {"H3": "Not started", "I3": "G", "H4": "Complete", "I4": "R",
                                       "J4": "Finished late"})
    found = [f for f in findings(scottish) if f.rule == "contradiction"]
    assert summary(found) == [("Kelso High", "I3", "M02", "contradiction", "warning"),
                              ("Kelso High", "I4", "M03", "contradiction", "warning")]
