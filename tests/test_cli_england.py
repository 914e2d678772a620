"""`tomsync validate` on an English plan's Compass sheet, end to end through the command: a % out of
range and a term outside the plan's calendar each exit 1 and name the file, sheet, cell and rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from tomsync import cli
from workbook_templates.layout import COMPASS
from workbook_templates.plan import compass_id
from workbook_templates.spec import load_spec
from workbook_templates.template import write_template


def _plan_with(tmp_path: Path, school: str, term: str, header: str, value: object) -> tuple[Path, str]:
    """A fresh gatsby-plan workbook with one Compass cell typed, on a row with a result entered (BM1:
    achieved, 100%; a row with no result is not an entry and is not checked); returns the file and cell."""
    path = write_template(load_spec("gatsby-plan"), tmp_path / "riverside-plan.xlsx")
    wb = load_workbook(path)
    ws = wb[COMPASS]
    heads = [c.value for c in ws[1]]
    rid = compass_id(school, term)
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == rid)
    cell = f"{get_column_letter(heads.index(header) + 1)}{row}"
    ws.cell(row=row, column=heads.index("BM1 achieved") + 1, value="Yes")
    ws.cell(row=row, column=heads.index("BM1 %") + 1, value=100)
    ws[cell] = value
    wb.save(path)
    return path, cell


@pytest.mark.parametrize(("header", "value", "rule", "words"), [
    ("BM4 %", 120, "compass-percent", "BM4 % must be a number from 0 to 100"),
    ("BM4 %", -5, "compass-percent", "BM4 % must be a number from 0 to 100"),
    ("Term", "Summer 2030", "compass-term", "'Summer 2030' is not a term of the plan's calendar"),
])
def test_validate_refuses_a_bad_compass_entry(tmp_path: Path, header: str, value: object, rule: str,
                                              words: str) -> None:
    path, cell = _plan_with(tmp_path, "RSC", "Summer 2026", header, value)
    runner = CliRunner()
    as_json = runner.invoke(cli.app, ["validate", str(path), "--json"])
    assert as_json.exit_code == 1, as_json.output
    report = json.loads(as_json.stdout)
    assert report["file"] == str(path) and report["errors"] == 1
    found = [f for f in report["findings"] if f["severity"] == "error"]
    assert [(f["sheet"], f["cell"], f["rule"]) for f in found] == [(COMPASS, cell, rule)]
    assert words in found[0]["message"] and found[0]["row_id"] == "RSC"
    text = runner.invoke(cli.app, ["validate", str(path)], env={"COLUMNS": "80"})
    assert text.exit_code == 1
    line = next(x for x in text.stdout.splitlines() if f" {cell} " in x)  # sheet, cell and rule on one line
    assert COMPASS in line and rule in line and "error" in line  # the rule whole, not "compass-perce…"
    assert f"{path.name}: 1 error(s)" in text.stdout.replace("\n", "")


def test_validate_passes_a_compass_entry_in_range_and_term(tmp_path: Path) -> None:
    """The same cells with good values: no Compass finding, exit 0 (the checks are not just noise)."""
    path, _ = _plan_with(tmp_path, "RSC", "Summer 2026", "BM4 %", 100)
    result = CliRunner().invoke(cli.app, ["validate", str(path), "--json"])
    findings = json.loads(result.stdout)["findings"]
    assert result.exit_code == 0 and not [f for f in findings if f["sheet"] == COMPASS]


def test_a_compass_row_keeps_its_term(tmp_path: Path) -> None:
    """Each school has one Compass row per term (ID, School and Term locked). A result typed over the
    term of another row, which would hide that term's own result, is refused naming both rows."""
    path = write_template(load_spec("gatsby-plan"), tmp_path / "plan.xlsx")
    ws = load_workbook(path)[COMPASS]
    heads = [c.value for c in ws[1]]
    assert all(ws.cell(row=2, column=heads.index(h) + 1).protection.locked for h in ("ID", "School", "Term"))
    assert not ws.cell(row=2, column=heads.index("BM1 %") + 1).protection.locked
    path, cell = _plan_with(tmp_path, "RSC", "Summer 2026", "Term", "Spring 2026")
    result = CliRunner().invoke(cli.app, ["validate", str(path), "--json"])
    assert result.exit_code == 1
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "compass-term"]
    assert [(f["sheet"], f["cell"]) for f in found] == [(COMPASS, cell)]
    assert found[0]["message"] == ("row RSC-Summer2026 says term 'Spring 2026': enter the Spring 2026 result "
                                   "on row RSC-Spring2026 and put this row's term back")
