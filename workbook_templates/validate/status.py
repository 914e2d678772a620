"""A row's Status and its rating agree: rag-missing, red-without-note.

- rag-missing (error): Status is In progress or Complete but the row has no RAG rating.
- red-without-note (error): rated R with no progress note: a red needs a reason and an action
  (not for a row that is Not applicable).
"""

from __future__ import annotations

from typing import Any

from workbook_templates.layout import NOT_APPLICABLE
from workbook_templates.validate.findings import ERROR
from workbook_templates.validate.tab import Tab

ACTIVE_STATUSES = ("In progress", "Complete")


def check_status(tab: Tab, row: int, values: dict[str, Any], rid: str | None, rating: str) -> None:
    """A missing rating is not reported again when its column is missing (column-missing) or its cell
    was already named (an Excel error, a formula with no result, a word read as a rating)."""
    status = tab.value(values, tab.status)
    if tab.status is not None and status in ACTIVE_STATUSES and not rating:
        where = tab.rating_at(values)
        rags = [c.header for c in tab.spec.rag_columns]
        if all(tab.has(h) for h in rags) and not any(tab.cell(h, row) in tab.explained for h in rags):
            tab.add(where, row, rid, "rag-missing", ERROR,
                    f"Status is {status} but the row has no RAG rating")
    if rating == "R" and tab.notes is not None and tab.has(tab.notes.header) \
            and values.get(tab.notes.header) is None and status != NOT_APPLICABLE:
        tab.add(tab.notes.header, row, rid, "red-without-note", ERROR,
                f"rated R with no {tab.notes.header}: say what is off track and the action agreed")
