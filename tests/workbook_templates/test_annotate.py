"""Validate's marks (`workbook_templates.annotate`) end to end on real .xlsx files, through the openpyxl
surface, as `tomsync validate --annotate` and the ribbon's Validate run them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import MONTH, TODAY
from workbook_templates.annotate import ERROR_FILL, ISSUE_HEADERS, WARNING_FILL, annotate_file
from workbook_templates.layout import ISSUES
from workbook_templates.reader import WorkbookReadError, read_workbook
from workbook_templates.rollup import rollup_workbook
from workbook_templates.surface import OpenpyxlSurface, read_surface
from workbook_templates.validate import validate

# Besides its deliberate mistakes the demo's schools opt out of master rows and fall behind, as real
# ones do (issue 10): those findings are marked too.
REALISTIC = ("opt-out", "overdue", "contradiction")


def realistic(path: Path, month: str | None = MONTH, today: date | None = TODAY) -> set[tuple[str, str]]:
    return {(f.sheet, f.cell) for f in validate(read_workbook(path), month, today) if f.rule in REALISTIC}


def expected_marks(path: Path, month: str | None = MONTH, today: date | None = TODAY
                   ) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> the fill Validate gives it: the deliberate mistakes' and the realistic ones'."""
    marks = {(f.sheet, f.cell): WARNING_FILL for f in validate(read_workbook(path), month, today)
             if f.rule in REALISTIC}
    for f in validate(read_workbook(path), month, today):
        if f.rule in REALISTIC and f.severity == "error":
            marks[(f.sheet, f.cell)] = ERROR_FILL
    return {**marks, **{k: colour for k, (_rule, colour) in MISTAKES.items()}}


def counts(path: Path, month: str | None = MONTH, today: date | None = TODAY) -> str:
    """"E error(s), W warning(s)" as Validate's message says it."""
    found = validate(read_workbook(path), month, today)
    errors = sum(1 for f in found if f.severity == "error")
    return f"{errors} error(s), {len(found) - errors} warning(s)"


# The demo's deliberate mistakes (tomsync.demo.data._mistake) and where validation puts them.
MISTAKES = {
    ("Hawick High", "J5"): ("red-without-note", ERROR_FILL),
    ("Kelso High", "I5"): ("rag-missing", ERROR_FILL),
    ("Eyemouth High", "J5"): ("personal-data", WARNING_FILL),
    ("Selkirk High", "J5"): ("formula-injection", WARNING_FILL),
    ("Jedburgh Grammar", "C2"): ("master-text-changed", ERROR_FILL),
    ("Peebles High", "A15"): ("duplicate-id", ERROR_FILL),
    ("Galashiels Academy", "L14"): ("future-date", ERROR_FILL),
    ("Peebles High", "L14"): ("stale", WARNING_FILL),  # the school that did not update this month
}


def rgb(cell: object) -> str | None:
    fill = cell.fill  # type: ignore[attr-defined]
    if fill is None or fill.fill_type is None:
        return None
    return str(fill.fgColor.rgb)[-6:]


def filled_cells(path: Path, colours: set[str]) -> set[tuple[str, str]]:
    wb = load_workbook(path)
    out = set()
    for ws in wb.worksheets:
        if ws.title == ISSUES:
            continue
        for row in ws.iter_rows():
            for c in row:
                if rgb(c) in colours:
                    out.add((ws.title, c.coordinate))
    return out


def formats(path: Path) -> dict[str, tuple[int, int, bool, str | None]]:
    """Per sheet: conditional formatting rules, data validations, protection and its password hash."""
    wb = load_workbook(path)
    return {ws.title: (sum(len(r.rules) for r in ws.conditional_formatting),
                       len(ws.data_validations.dataValidation), bool(ws.protection.sheet),
                       ws.protection.password) for ws in wb.worksheets if ws.title != ISSUES}


# -- Validate -------------------------------------------------------------------------------------

def test_validate_through_the_surface_finds_what_the_reader_finds(demo: Path, demo_gatsby: Path) -> None:
    for path in (demo, demo_gatsby):
        assert validate(read_surface(OpenpyxlSurface(path)), MONTH, TODAY) == \
            validate(read_workbook(path), MONTH, TODAY)
        assert rollup_workbook(read_surface(OpenpyxlSurface(path)), ["theme"]).as_dict() == \
            rollup_workbook(read_workbook(path), ["theme"]).as_dict()


def test_validate_lists_every_finding_on_the_issues_tab_with_links(demo: Path) -> None:
    findings = annotate_file(demo, MONTH, TODAY)
    assert findings == validate(read_workbook(demo), MONTH, TODAY)
    assert {(f.sheet, f.cell): f.rule for f in findings if f.rule not in REALISTIC} == \
        {k: v[0] for k, v in MISTAKES.items()}
    ws = load_workbook(demo)[ISSUES]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ISSUE_HEADERS
    assert [list(r) for r in rows[1:]] == [[f.sheet, f.cell, f.row_id, f.rule, f.severity, f.message]
                                           for f in findings]
    for i, f in enumerate(findings, start=2):
        link = ws[f"B{i}"].hyperlink
        assert link is not None and link.location == f"'{f.sheet}'!{f.cell}"
        assert not link.target  # an internal location, not a file or web address


def test_validate_marks_exactly_the_cells_of_the_mistakes(demo: Path) -> None:
    annotate_file(demo, MONTH, TODAY)
    wb = load_workbook(demo)
    for (sheet, cell), (_rule, colour) in MISTAKES.items():
        c = wb[sheet][cell]
        assert rgb(c) == colour, (sheet, cell)
        assert c.comment is not None and c.comment.text.startswith("tomsync: ")
    assert filled_cells(demo, {ERROR_FILL, WARNING_FILL}) == set(MISTAKES) | realistic(demo)
    note = wb["Hawick High"]["J5"].comment.text
    assert "rated R with no Progress notes" in note


def test_rerun_clears_old_marks_and_restores_the_template_fill(demo: Path) -> None:
    annotate_file(demo, MONTH, TODAY)
    wb = load_workbook(demo)
    wb["Hawick High"]["J5"] = "Off track: staff absence; catch-up agreed for December."
    wb["Jedburgh Grammar"]["C2"] = read_workbook(demo).spec.master[0]["Activity"]
    wb.save(demo)
    findings = annotate_file(demo, MONTH, TODAY)
    assert ("Hawick High", "J5") not in {(f.sheet, f.cell) for f in findings}
    wb = load_workbook(demo)
    assert rgb(wb["Hawick High"]["J5"]) is None and wb["Hawick High"]["J5"].comment is None
    assert rgb(wb["Jedburgh Grammar"]["C2"]) == "F2F2F2"  # the grey of locked master wording
    assert wb["Jedburgh Grammar"]["C2"].comment is None
    assert rgb(wb["Kelso High"]["I5"]) == ERROR_FILL  # still wrong, still marked
    assert filled_cells(demo, {ERROR_FILL, WARNING_FILL}) == (set(MISTAKES) | realistic(demo)) - {
        ("Hawick High", "J5"), ("Jedburgh Grammar", "C2")}
    assert wb[ISSUES].max_row == len(findings) + 1


def test_rerunning_changes_nothing_but_the_issues_tab(demo: Path) -> None:
    annotate_file(demo, MONTH, TODAY)
    first = filled_cells(demo, {ERROR_FILL, WARNING_FILL, "F2F2F2", "1F4E79"})
    annotate_file(demo, MONTH, TODAY)
    assert filled_cells(demo, {ERROR_FILL, WARNING_FILL, "F2F2F2", "1F4E79"}) == first
    assert load_workbook(demo).sheetnames.count(ISSUES) == 1


def test_a_mark_on_a_header_cell_gets_the_header_blue_back(demo: Path) -> None:
    wb = load_workbook(demo)
    for r in range(2, 60):
        wb["Kelso High"][f"L{r}"] = None  # nobody ever updated the tab: stale, at the header cell
    wb.save(demo)
    findings = annotate_file(demo, MONTH, TODAY)
    assert any(f.sheet == "Kelso High" and f.cell == "L1" and f.rule == "stale" for f in findings)
    assert rgb(load_workbook(demo)["Kelso High"]["L1"]) == WARNING_FILL
    annotate_file(demo, None, TODAY)  # no month (and no cycle): no stale check, the mark goes
    assert rgb(load_workbook(demo)["Kelso High"]["L1"]) == "1F4E79"


def test_validate_keeps_conditional_formatting_validation_and_protection(demo: Path) -> None:
    before = formats(demo)
    annotate_file(demo, MONTH, TODAY)
    annotate_file(demo, MONTH, TODAY)
    assert formats(demo) == before
    assert load_workbook(demo)["Hawick High"].protection.password == before["Hawick High"][3]
    assert before["Hawick High"][0] > 0 and before["Hawick High"][1] > 0 and before["Hawick High"][2]


def test_validate_refuses_a_workbook_that_is_not_a_tom(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(WorkbookReadError, match="no Master tab"):
        annotate_file(path)
    (tmp_path / "text.xlsx").write_text("not a workbook")
    with pytest.raises(WorkbookReadError, match="not an .xlsx"):
        annotate_file(tmp_path / "text.xlsx")
    with pytest.raises(WorkbookReadError, match="no such file"):
        annotate_file(tmp_path / "missing.xlsx")


