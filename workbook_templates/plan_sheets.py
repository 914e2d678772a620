"""Writes a Strategic Careers Plan's Plan and Compass sheets into a new workbook (`template` calls it
when the spec has a ``[plan]``; the layout and its reading are in `workbook_templates.plan`).

The ID and School cells are locked (grey, as master wording is on a school tab); everything a Careers
Leader fills in is unlocked. Compass rows come pre-filled for every school and plan term (ID, School
and Term locked), so each school keeps to its own rows and a merge matches them by ID.
"""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from workbook_templates.layout import COMPASS, PLAN
from workbook_templates.plan import compass_headers, compass_id, plan_headers, plan_terms
from workbook_templates.spec import Spec
from workbook_templates.template import LOCKED_FILL, TOP_WRAP, UNLOCKED, _header, _protect


def _dv(ws: object, ref: str, dv: DataValidation, title: str, error: str, prompt: str = "") -> None:
    dv.showErrorMessage = True
    dv.errorTitle, dv.error = title[:32], error
    if prompt:
        dv.showInputMessage = True
        dv.promptTitle, dv.prompt = title[:32], prompt[:255]
    dv.add(ref)
    ws.add_data_validation(dv)  # type: ignore[attr-defined]


def write_plan_sheets(wb: Workbook, spec: Spec, password: str | None) -> None:
    plan = spec.plan
    assert plan is not None
    ws = wb.create_sheet(PLAN)
    heads = plan_headers(plan)
    _header(ws, heads, [9, 28, *(f.width for f in plan.fields)])
    last = len(spec.schools) + 1
    for r, school in enumerate(spec.schools, start=2):
        for c in range(1, len(heads) + 1):
            cell = ws.cell(row=r, column=c, value=school.id if c == 1 else school.name if c == 2 else None)
            cell.alignment = TOP_WRAP
            if c <= 2:
                cell.fill = LOCKED_FILL
            else:
                cell.protection = UNLOCKED
        ws.row_dimensions[r].height = 45
    for i, f in enumerate(plan.fields, start=3):
        if f.kind == "date":
            letter = get_column_letter(i)
            for r in range(2, last + 1):
                ws.cell(row=r, column=i).number_format = "dd/mm/yyyy"
            _dv(ws, f"{letter}2:{letter}{last}",
                DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)",
                               formula2="DATE(2100,12,31)", allow_blank=True),
                f.header, f"{f.header} must be a date (e.g. 15/09/2026).")
    _protect(ws, password)

    ws = wb.create_sheet(COMPASS)
    heads = compass_headers(plan)
    _header(ws, heads, [16, 28, 14, *([10] * (len(heads) - 3))])
    for c in range(4, len(heads) + 1):
        ws.cell(row=1, column=c).alignment = Alignment(wrap_text=True, horizontal="center")
    ws.row_dimensions[1].height = 30
    terms = plan_terms(spec)
    r = 1
    for school in spec.schools:
        for term in terms:
            r += 1
            for c, value in enumerate((compass_id(school.id, term), school.name, term), start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if c <= 3:  # the row is this school's for this term: its ID says so
                    cell.fill = LOCKED_FILL
                else:
                    cell.protection = UNLOCKED
            for c in range(4, len(heads) + 1):
                ws.cell(row=r, column=c).protection = UNLOCKED
    last = r
    _dv(ws, f"C2:C{last}",
        DataValidation(type="list", formula1='"' + ",".join(terms) + '"', allow_blank=True), "Term",
        "Choose one of the plan's terms.")
    for i in range(len(plan.benchmarks)):
        a, p = get_column_letter(4 + 2 * i), get_column_letter(5 + 2 * i)
        _dv(ws, f"{a}2:{a}{last}", DataValidation(type="list", formula1='"Yes,No"', allow_blank=True),
            f"BM{i + 1} achieved", "Yes or No, as Compass reports it.",
            f"{plan.benchmarks[i]}: Yes when Compass shows it achieved (all sub-benchmarks met).")
        _dv(ws, f"{p}2:{p}{last}", DataValidation(type="decimal", operator="between", formula1="0",
                                                 formula2="100", allow_blank=True),
            f"BM{i + 1} %", "A number from 0 to 100: the % of sub-benchmarks met.",
            f"{plan.benchmarks[i]}: the % of its sub-benchmarks met, 0 to 100.")
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(heads))}{last}"
    _protect(ws, password)
