"""A Strategic Careers Plan's Plan and Compass sheets (`workbook_templates.plan`).

- plan-sheet-missing (error): the spec has a [plan] but the workbook lacks the Plan or Compass sheet.
- not-a-date (error): a date field of the plan header holding something else.
- review-due (warning): the plan's review date has passed.
- compass-term (error): a Compass row whose term is not one of the plan's terms (its calendar), has
  not started, or is not the term its ID was built for (one row per school and term: the Term cell is
  locked; a result typed over another term's row would hide that term's).
- compass-achieved (error): an "achieved" cell that is not Yes or No.
- compass-percent (error): a "%" cell that is not a number from 0 to 100.
- compass-contradiction (warning): achieved Yes with under 100% of sub-benchmarks met, or No at 100%
  (Compass counts a benchmark achieved when all its sub-benchmarks are met).
"""

from __future__ import annotations

from datetime import date

from openpyxl.utils import get_column_letter

from workbook_templates.layout import COMPASS, PLAN
from workbook_templates.plan import (
    PlanData,
    compass_headers,
    compass_id,
    plan_headers,
    plan_terms,
    term_dates,
)
from workbook_templates.spec import Spec
from workbook_templates.validate.findings import ERROR, WARNING, Finding


def _letter(headers: list[str], header: str) -> str:
    return get_column_letter(headers.index(header) + 1)


def check_plan(plan: PlanData, spec: Spec, today: date, out: list[Finding]) -> None:
    """Every rule above, in sheet then row order."""
    p = spec.plan
    assert p is not None
    for name in plan.missing:
        out.append(Finding(name, "", None, "plan-sheet-missing", ERROR,
                           f"the {name} sheet is missing: this Strategic Careers Plan needs it"))
    heads = plan_headers(p)
    for sid, values in plan.header.items():
        row = plan.header_rows[sid]
        for f in p.fields:
            v = values.get(f.header)
            cell = f"{_letter(heads, f.header)}{row}"
            if f.kind == "date" and v is not None and not isinstance(v, date):
                out.append(Finding(PLAN, cell, sid, "not-a-date", ERROR,
                                   f"{f.header} must be a date (e.g. 15/09/2026), not '{v}'"))
            elif f.role == "review" and isinstance(v, date) and v < today:
                out.append(Finding(PLAN, cell, sid, "review-due", WARNING,
                                   f"the plan's review date {v:%d/%m/%Y} has passed: review it and "
                                   "set the next date"))
    terms = plan_terms(spec)
    starts = {t: start for t, (start, _end) in term_dates(spec).items()}
    heads = compass_headers(p)
    for r in plan.compass:
        if not r.entered:
            continue
        rid = r.school_id or None
        if r.term not in terms:
            out.append(Finding(COMPASS, f"C{r.row}", rid, "compass-term", ERROR,
                               f"term '{r.term}' is not a term of the plan's calendar "
                               f"({terms[0]} to {terms[-1]})"))
        elif r.id and r.school_id and r.id != compass_id(r.school_id, r.term):
            out.append(Finding(COMPASS, f"C{r.row}", rid, "compass-term", ERROR,
                               f"row {r.id} says term '{r.term}': enter the {r.term} result on row "
                               f"{compass_id(r.school_id, r.term)} and put this row's term back"))
        else:
            start = starts.get(r.term)
            if start is not None and start > today:
                out.append(Finding(COMPASS, f"C{r.row}", rid, "compass-term", ERROR,
                                   f"term '{r.term}' has not started: enter a Compass result after the "
                                   "evaluation"))
        for i in range(len(p.benchmarks)):
            ach, pct = r.achieved[i], r.percent[i]
            a_cell = f"{_letter(heads, f'BM{i + 1} achieved')}{r.row}"
            p_cell = f"{_letter(heads, f'BM{i + 1} %')}{r.row}"
            met = r.met(i)
            if ach is not None and met is None:
                out.append(Finding(COMPASS, a_cell, rid, "compass-achieved", ERROR,
                                   f"BM{i + 1} achieved must be Yes or No, not '{ach}'"))
            number = pct if isinstance(pct, int | float) and not isinstance(pct, bool) else None
            if pct is not None and (number is None or not 0 <= number <= 100):
                out.append(Finding(COMPASS, p_cell, rid, "compass-percent", ERROR,
                                   f"BM{i + 1} % must be a number from 0 to 100 (the % of its "
                                   f"sub-benchmarks met), not '{pct}'"))
            elif number is not None and met is not None and met != (number >= 100):
                out.append(Finding(COMPASS, a_cell, rid, "compass-contradiction", WARNING,
                                   f"BM{i + 1} achieved is {ach} but {number:g}% of its sub-benchmarks "
                                   "are met (achieved means all of them)"))
