"""Does each value fit its column? required, vocabulary, not-a-date, not-a-number, bad-link.

Locked columns of a master row are left to `master.wording_changed`: their wording is fixed, so the
kind checks do not apply to them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workbook_templates.spec import Column
from workbook_templates.validate.findings import ERROR, WARNING
from workbook_templates.validate.master import wording_changed
from workbook_templates.validate.tab import Tab


def check_value(col: Column, value: Any) -> tuple[str, str, str] | None:
    """(rule, severity, message) when the value does not fit the column's kind."""
    if col.kind in ("choice", "rag") and str(value) not in col.choices:
        allowed = ", ".join(col.choices)
        return "vocabulary", ERROR, f"'{value}' is not allowed in {col.header} (choose one of: {allowed})"
    if col.kind == "date" and not isinstance(value, date):
        return "not-a-date", ERROR, f"{col.header} must be a date, not '{value}'"
    if col.kind == "int" and not isinstance(value, int):
        return "not-a-number", ERROR, f"{col.header} must be a whole number, not '{value}'"
    if col.kind == "url" and not str(value).lower().startswith(("https://", "http://")):
        return "bad-link", WARNING, f"{col.header} should be a web link starting https://, not '{value}'"
    return None


def check_cells(tab: Tab, row: int, values: dict[str, Any], rid: str | None,
                want: dict[str, Any] | None) -> list[tuple[Column, str]]:
    """The cell rules over one row, in column order; returns the typed texts for the privacy rules
    (formula cells are left out: the formula rule reports them)."""
    texts: list[tuple[Column, str]] = []
    formulas = tab.formulas
    for check in tab.checks:
        header = check.header
        value = values.get(header)
        if want is not None and check.col.locked:
            wording_changed(tab, row, rid, header, value, want.get(header))
            continue
        if value is None:
            if check.needed:
                tab.add(header, row, rid, "required", ERROR, f"{header} is required")
            continue
        if check.choices is not None:
            if value not in check.choices:
                tab.add(header, row, rid, *check_value(check.col, value))  # type: ignore[misc]
            continue
        if check.typed:
            bad = check_value(check.col, value)
            if bad:
                tab.add(header, row, rid, *bad)
        if check.is_text and isinstance(value, str):
            if not (formulas and tab.cell(header, row) in formulas):
                texts.append((check.col, value))
    return texts
