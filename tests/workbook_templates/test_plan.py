"""The English Strategic Careers Plan (gatsby-plan): its template, the timing forms the calendar reads,
and the Compass sheet's validation, on real .xlsx files written and read back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from workbook_templates.calendar import DATE, RECURRING, read_when
from workbook_templates.layout import COMPASS, GUIDE, PLAN
from workbook_templates.plan import compass_headers, compass_id, plan_terms
from workbook_templates.reader import read_workbook
from workbook_templates.spec import Spec, load_spec
from workbook_templates.template import write_template
from workbook_templates.validate import validate

TODAY = date(2026, 12, 2)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec("gatsby-plan")


@pytest.mark.parametrize(("text", "kind", "on"), [
    ("Aut1 & Sum2", RECURRING, None),            # the same half terms in each year of the plan
    ("Each term", RECURRING, None),
    ("Spring term", RECURRING, None),
    ("Summer 2", RECURRING, None),
    ("Summer 2 2027", DATE, date(2027, 7, 22)),
    ("Sum2 2026", DATE, date(2026, 7, 22)),
    ("Aut1 2026 & Sum2 2027", DATE, date(2027, 7, 22)),  # several dates: due by the last
    ("Spring term 2027", DATE, date(2027, 3, 31)),
    ("Autumn 2026", DATE, date(2026, 12, 31)),    # CEC's autumn snapshot
    ("Sept 2026", DATE, date(2026, 9, 30)),
    ("Sept 2019 and July 2020", DATE, date(2020, 7, 31)),  # the template's own example
    ("Termly", RECURRING, None),
    ("Ongoing", RECURRING, None),
    ("By July 2027", DATE, date(2027, 7, 31)),
    ("Yearly", RECURRING, None),                   # what plans write, beside "Each term"
    ("Every half term", RECURRING, None),
    ("Throughout the year", RECURRING, None),
    ("end of Summer term", RECURRING, None),
    ("By end of Summer 2027", DATE, date(2027, 7, 31)),
    ("Sep 2026 - Jul 2027", DATE, date(2027, 7, 31)),  # a range: due by its end
    ("Sept 2026 to July 2027", DATE, date(2027, 7, 31)),
    ("Aut1 to Spr2", RECURRING, None),
    ("when the budget allows", "unknown", None),  # listed for a person, never guessed
])
def test_timing_forms_read_by_the_calendar(spec: Spec, text: str, kind: str, on: date | None) -> None:
    due = read_when(text, spec.terms, spec.months)
    assert (due.kind, due.on) == (kind, on)


def test_scottish_terms_still_read_as_before() -> None:
    scot = load_spec("scottish-tom")
    assert read_when("Term 2", scot.terms, scot.months).on == date(2026, 12, 22)
    assert read_when("Term 2 & Term 4", scot.terms, scot.months).on == date(2027, 6, 30)


def test_spec_uses_the_2025_benchmark_wording_and_a_termly_cadence(spec: Spec) -> None:
    theme = spec.column("theme")
    assert theme is not None and len(theme.choices) == 8
    assert "3 Addressing the needs of each young person" in theme.choices
    assert not any("each pupil" in c for c in theme.choices)
    assert spec.plan is not None and spec.plan.snapshots == ("12-31", "03-31", "07-31")
    assert plan_terms(spec)[:3] == ["Autumn 2025", "Spring 2026", "Summer 2026"]
    lead = spec.column("lead")
    assert lead is not None and lead.kind == "text" and "Careers Leader" in lead.suggestions


def test_template_has_plan_and_compass_and_a_consistent_guide(spec: Spec, tmp_path: Path) -> None:
    path = write_template(spec, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    assert PLAN in wb.sheetnames and COMPASS in wb.sheetnames
    assert [c.value for c in wb[PLAN][1]][:7] == ["ID", "School", "Careers Leader", "Date created",
                                                  "Approved by SLT", "Approved by governors", "Review date"]
    compass = wb[COMPASS]
    assert [c.value for c in compass[1]] == compass_headers(spec.plan)  # type: ignore[arg-type]
    assert compass["A2"].value == compass_id("NFA", "Autumn 2025") and compass["C2"].value == "Autumn 2025"
    guide = "\n".join(str(r[0].value or "") for r in wb[GUIDE].iter_rows())
    assert "31 December, 31 March, 31 July" in guide and "optional" in guide
    assert "of each month" not in guide
    school = wb[spec.schools[0].sheet]
    letter = next(c.column_letter for c in school[1] if c.value == "Responsible")
    dv = next(d for d in school.data_validations.dataValidation if letter + "2" in str(d.sqref))
    assert dv.type == "list" and not dv.showErrorMessage  # suggestions: any other text is let in


def _fill(path: Path, spec: Spec, edits: dict[tuple[str, str], object]) -> None:
    """Write values on the Compass sheet by (row ID, header)."""
    wb = load_workbook(path)
    ws = wb[COMPASS]
    heads = [c.value for c in ws[1]]
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    for (rid, header), value in edits.items():
        ws.cell(row=rows[rid], column=heads.index(header) + 1, value=value)
    wb.save(path)


def test_compass_validation_names_sheet_cell_and_rule(spec: Spec, tmp_path: Path) -> None:
    path = write_template(spec, tmp_path / "plan.xlsx")
    nfa = compass_id("NFA", "Autumn 2026")
    rsc = compass_id("RSC", "Summer 2026")
    later = compass_id("WPK", "Summer 2027")
    _fill(path, spec, {(nfa, "BM1 achieved"): "Yes", (nfa, "BM1 %"): 100, (nfa, "BM2 %"): 120,
                       (nfa, "BM3 achieved"): "Maybe", (nfa, "BM4 achieved"): "Yes", (nfa, "BM4 %"): 80,
                       (rsc, "Term"): "Autumn 2030", (rsc, "BM1 %"): 50,
                       (later, "BM1 %"): 40})
    found = {(f.sheet, f.cell, f.rule, f.severity) for f in validate(read_workbook(path), "2026-12", TODAY)
             if f.sheet == COMPASS}
    row = 2 + 3  # NFA is the first school; Autumn 2026 its fourth term
    assert found == {
        (COMPASS, f"G{row}", "compass-percent", "error"),
        (COMPASS, f"H{row}", "compass-achieved", "error"),
        (COMPASS, f"J{row}", "compass-contradiction", "warning"),
        (COMPASS, f"C{2 + 9 + 2}", "compass-term", "error"),
        (COMPASS, f"C{2 + 27 + 5}", "compass-term", "error"),  # Summer 2027 has not started
    }
    findings = validate(read_workbook(path), "2026-12", TODAY)
    message = next(f.message for f in findings if f.rule == "compass-term")
    assert "'Autumn 2030' is not a term of the plan's calendar" in message


def test_the_guide_and_prompts_say_green_is_an_action_on_track(tmp_path: Path, spec: Spec) -> None:
    """In a plan, "G" rates an action; a benchmark is achieved only on Compass. The Guide and the RAG
    cells' prompt never say "achieved" of a rating."""
    wb = load_workbook(write_template(spec, tmp_path / "plan.xlsx"))
    guide = [str(c.value) for row in wb[GUIDE].iter_rows() for c in row if c.value]
    assert "G  Green: the action is on track (a benchmark is achieved only when Compass says so)." in guide
    assert not [line for line in guide if "on track or achieved" in line]
    prompts = [dv.prompt or "" for dv in wb["Riverside School"].data_validations.dataValidation
               if dv.formula1 == '"R,A,G,B"']
    assert prompts and all("G: the action is on track" in p and "achieved" not in p for p in prompts)


def test_the_timing_cells_say_what_the_calendar_reads(tmp_path: Path, spec: Spec) -> None:
    """Timing is free text: selecting a cell shows the forms it understands, and nothing is refused."""
    ws = load_workbook(write_template(spec, tmp_path / "plan.xlsx"))["Riverside School"]
    col = next(c.column_letter for c in ws[1] if c.value == "Timing")
    dvs = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(f"{col}2:")]
    assert len(dvs) == 1 and dvs[0].type is None and not dvs[0].showErrorMessage
    assert '"Aut1 & Sum2"' in (dvs[0].prompt or "") and '"Summer 2 2027"' in (dvs[0].prompt or "")
    assert len(dvs[0].prompt or "") <= 255
