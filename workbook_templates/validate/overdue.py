"""Work past its due date: overdue (warning), due-unreadable (warning).

A row's due date comes from its Due column, its Target's "by ..." or its When, read against the
spec's session calendar (`workbook_templates.calendar`). A due date before today on a row whose
Status is not Complete (nor Not applicable) is overdue. Only tabs staff have started to keep (some
Last updated date) are checked: a tab never updated is already named once by the stale check and the
report's "Not updated", and a fresh workbook is not a wall of findings. Text the calendar cannot
read is never guessed: it is listed once per master row (on the Master tab) and once per school's own row.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from workbook_templates.calendar import DATE, UNKNOWN, Due, Term, due_date
from workbook_templates.layout import FIRST_ROW, MASTER, NOT_APPLICABLE
from workbook_templates.reader import WorkbookData
from workbook_templates.spec import Spec
from workbook_templates.validate.findings import WARNING, Finding
from workbook_templates.validate.tab import Tab

DONE = ("Complete", NOT_APPLICABLE)


@lru_cache(maxsize=4096)
def _due(when: Any, target: Any, terms: tuple[Term, ...], months: tuple[str, ...]) -> Due:
    return due_date(when, target, terms, months)


def row_due(spec: Spec, values: dict[str, Any]) -> Due:
    """The row's due date as the calendar reads it (see `workbook_templates.calendar.due_date`)."""
    def get(role: str) -> Any:
        col = spec.column(role)
        return values.get(col.header) if col else None
    due = get("due")
    if due is not None and not isinstance(due, str):
        return due_date(None, None, spec.terms, spec.months, due)
    when, target = get("when"), get("target")
    when = due if due is not None and when is None else when
    return _due(when if isinstance(when, str | type(None)) else str(when),
                target if isinstance(target, str | type(None)) else str(target), spec.terms, spec.months)


def _where(spec: Spec, values: dict[str, Any]) -> str:
    for role in ("due", "target", "when"):
        col = spec.column(role)
        if col is not None and values.get(col.header) not in (None, ""):
            return col.header
    return spec.id_header


def check_overdue(tab: Tab, row: int, values: dict[str, Any], rid: str | None, master: bool) -> None:
    if tab.today is None:
        return
    due = row_due(tab.spec, values)
    status = tab.value(values, tab.status)
    if due.kind == UNKNOWN and not master:
        tab.add(_where(tab.spec, values), row, rid, "due-unreadable", WARNING,
                f"when this is due cannot be read from '{due.text}': write a month, a term or 'by <date>'")
    elif due.kind == DATE and due.on is not None and due.on < tab.today and status not in DONE:
        tab.add(_where(tab.spec, values), row, rid, "overdue", WARNING,
                f"due by {due.on:%d/%m/%Y} ('{due.text}') and still {status or 'not started'}")


def check_master_due(data: WorkbookData, out: list[Finding]) -> None:
    """Once per master row whose timing cannot be read: the school tabs repeat it, so once is enough."""
    spec = data.spec
    tab = Tab(spec, MASTER, data.master.headers, out=out)
    for i, row in enumerate(spec.master, start=FIRST_ROW):
        due = row_due(spec, row)
        if due.kind == UNKNOWN:
            tab.add(_where(spec, row), i, str(row.get(spec.id_header)), "due-unreadable", WARNING,
                    f"when master row {row.get(spec.id_header)} is due cannot be read from '{due.text}': "
                    "it is never guessed, so it is not checked for overdue work")
