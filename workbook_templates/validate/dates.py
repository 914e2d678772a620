"""Dates that tell whether a tab is kept up: future-date, stale.

- future-date (error): Last updated after today.
- stale (warning, with a month): the tab's newest Last updated is before that month: not updated
  this cycle. One finding per tab, not per row: rows that did not change need no new date. In a
  Strategic Careers Plan (spec ``[plan]``) updates are termly: the tab is stale when it has no update
  since the start of the plan term the month falls in ("not updated in Autumn 2026"), as the report's
  "Not updated" and the reminders count it; an update in October covers the December cycle.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workbook_templates.plan import cycle_term
from workbook_templates.validate.findings import ERROR, WARNING, Finding
from workbook_templates.validate.tab import Tab

Newest = tuple[date, int] | None  # the newest Last updated on the tab, and its row


def check_updated(tab: Tab, row: int, values: dict[str, Any], rid: str | None, newest: Newest) -> Newest:
    """future-date for the row; returns the tab's newest past Last updated so far."""
    if tab.updated is None:
        return newest
    when = values.get(tab.updated.header)
    if not isinstance(when, date):
        return newest
    if tab.today is not None and when > tab.today:
        tab.add(tab.updated.header, row, rid, "future-date", ERROR,
                f"{tab.updated.header} {when:%d/%m/%Y} is in the future")
    elif newest is None or when > newest[0]:
        return (when, row)
    return newest


def check_stale(tab: Tab, month: date | None, newest: Newest) -> None:
    """One finding when the tab's newest Last updated is before ``month`` (or there is none), or
    before the start of its plan term in a termly plan."""
    updated = tab.updated
    if month is None or updated is None:
        return
    period = f"{month:%B %Y}"
    term = cycle_term(tab.spec, f"{month:%Y-%m}")
    if term is not None and term[1] < month:
        period, month = term[0], term[1]
    if newest is not None and newest[0] >= month:
        return
    where = tab.cell(updated.header, newest[1]) if newest else tab.cell(updated.header, 1)
    last = f"last updated {newest[0]:%d/%m/%Y}" if newest else "never updated"
    tab.out.append(Finding(tab.name, where, None, "stale", WARNING,
                           f"tab not updated in {period} ({last})"))
