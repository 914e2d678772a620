"""Validation of a read TOM workbook: every finding names the sheet, cell, row ID and rule.

One module per rule family (rule id, severity):
- `cells`: required (error), vocabulary (error: a value outside the column's list), not-a-date (error),
  not-a-number (error), bad-link (warning), rag-word (warning), cell-error, formula-no-result and
  text-too-long (errors).
- `status`: rag-missing (error), red-without-note (error).
- `master`: master-tampered, master-outdated, master-text-changed, master-row-missing (errors).
- `dates`: future-date (error), stale (warning, with a month).
- `privacy`: formula, formula-injection, personal-data (warnings); `shown`, how messages quote values.
- `optout`: opt-out (error: Not applicable on a master row the spec does not let the school skip).
- `overdue`: overdue, due-unreadable (warnings; When / Target read against `workbook_templates.calendar`).
- `contradictions`: contradiction (warning: Not started rated G, Complete rated R).
- `plan`: a Strategic Careers Plan's Plan and Compass sheets (plan-sheet-missing, not-a-date,
  review-due, compass-term, compass-achieved, compass-percent, compass-contradiction).
- here: duplicate-id (error), school-tab-missing (error), unknown-tab (warning), column-missing (error);
  `school`: too-many-findings past 500 on a tab.

`validate(data)` checks a whole workbook; `check_row(spec, headers, values)` one row (TOM_CHECK).
"""

from __future__ import annotations

from datetime import date

from workbook_templates.reader import WorkbookData
from workbook_templates.spec import RESERVED_SHEETS
from workbook_templates.validate.findings import (
    ERROR,
    WARNING,
    Finding,
    cycle_of,
    parse_month,
    summary_counts,
)
from workbook_templates.validate.master import check_master_tab, closed_tabs
from workbook_templates.validate.overdue import check_master_due
from workbook_templates.validate.plan import check_plan
from workbook_templates.validate.school import check_row, check_school

__all__ = ["ERROR", "WARNING", "Finding", "check_row", "cycle_of", "parse_month", "summary_counts",
           "validate"]


def _check_tabs(data: WorkbookData, out: list[Finding]) -> None:
    """Every school has its tab; any other tab is named as ignored."""
    spec = data.spec
    names = set(data.sheet_names)
    schools = {s.sheet for s in spec.schools} | closed_tabs(data.meta)
    for school in spec.schools:
        if school.sheet not in names:
            out.append(Finding(school.sheet, "", None, "school-tab-missing", ERROR,
                               f"the tab for {school.name} ({school.id}) is missing"))
    for name in data.sheet_names:
        if name not in schools and name not in RESERVED_SHEETS:
            out.append(Finding(name, "", None, "unknown-tab", WARNING,
                               f"tab '{name}' is not a school of this workbook's spec; it is ignored"))


def validate(data: WorkbookData, month: str | None = None, today: date | None = None) -> list[Finding]:
    """All findings for a workbook, in sheet order then row order. The stale check runs for ``month``,
    or else for the cycle the workbook was stamped with (the ribbon's New month)."""
    today = today or date.today()
    month = month or cycle_of(data.meta)
    first = parse_month(month) if month else None
    out: list[Finding] = []
    check_master_tab(data, out)
    check_master_due(data, out)
    _check_tabs(data, out)
    for sheet in data.schools.values():
        check_school(data, sheet, first, today, out)
    if data.plan is not None:
        check_plan(data.plan, data.spec, today, out)
    return out
