"""Does each value fit its column? required, vocabulary, not-a-date, not-a-number, bad-link, and:

- rag-word (warning): a rating typed as a word ("Green", "amber"): counted as the letter it means.
- cell-error (error): the cell shows an Excel error (#N/A, #REF!...): named, instead of "required".
- formula-no-result (error): a formula the file holds no result for (saved by a program that does
  not calculate): named, instead of "required" or "no RAG rating".
- text-too-long (error): at or over Excel's limit of 32,767 characters a cell can hold (calamine,
  like Excel, cuts longer text at the limit, so reaching it means text was lost).

A column missing from the header row is reported once (column-missing), not in every row. Values
are quoted through `privacy.shown`: cut when long, personal-looking parts masked.

Locked columns of a master row are left to `master.wording_changed`: their wording is fixed, so the
kind checks do not apply to them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workbook_templates.reader import RagWord
from workbook_templates.spec import Column
from workbook_templates.validate.findings import ERROR, WARNING
from workbook_templates.validate.master import wording_changed
from workbook_templates.validate.privacy import shown
from workbook_templates.validate.tab import Tab

EXCEL_CELL_LIMIT = 32_767  # characters a cell can hold


def check_value(col: Column, value: Any) -> tuple[str, str, str] | None:
    """(rule, severity, message) when the value does not fit the column's kind."""
    if col.kind in ("choice", "rag") and str(value) not in col.choices:
        allowed = ", ".join(col.choices)
        typed = value.typed if isinstance(value, RagWord) else value
        return "vocabulary", ERROR, (f"'{shown(typed)}' is not allowed in {col.header} "
                                     f"(choose one of: {allowed})")
    if col.kind == "date" and not isinstance(value, date):
        return "not-a-date", ERROR, f"{col.header} must be a date, not '{shown(value)}'"
    if col.kind == "int" and not isinstance(value, int):
        return "not-a-number", ERROR, f"{col.header} must be a whole number, not '{shown(value)}'"
    if col.kind == "url" and not str(value).lower().startswith(("https://", "http://")):
        return "bad-link", WARNING, (f"{col.header} should be a web link starting https://, "
                                     f"not '{shown(value)}'")
    return None


def _blank_explained(tab: Tab, header: str, row: int, rid: str | None, kind: str) -> bool:
    """A blank cell that shows an Excel error, or holds a formula with no result: one finding naming
    it, instead of "required" (text columns: the formula rule reports formulas)."""
    if not tab.errors and not tab.formulas:
        return False
    address = tab.cell(header, row)
    error = tab.errors.get(address)
    if error is not None:
        tab.explained.add(address)
        tab.add(header, row, rid, "cell-error", ERROR,
                f"{header} shows the Excel error {shown(error)}: correct the formula or type the value")
        return True
    if address in tab.formulas and kind not in ("text", "url"):
        tab.explained.add(address)
        tab.add(header, row, rid, "formula-no-result", ERROR,
                f"{header} holds a formula with no saved result (the file was not saved by Excel): open "
                "and save it in Excel, or type the value")
        return True
    return False


def check_cells(tab: Tab, row: int, values: dict[str, Any], rid: str | None,
                want: dict[str, Any] | None) -> list[tuple[Column, str]]:
    """The cell rules over one row, in column order; returns the typed texts for the privacy rules
    (formula cells are left out: the formula rule reports them)."""
    texts: list[tuple[Column, str]] = []
    formulas = tab.formulas
    letters = tab.letters
    for check in tab.checks:
        header = check.header
        if header not in letters:
            continue  # reported once, as column-missing
        value = values.get(header)
        if want is not None and check.col.locked:
            wording_changed(tab, row, rid, header, value, want.get(header))
            continue
        if value is None:
            if not _blank_explained(tab, header, row, rid, check.col.kind) and check.needed:
                tab.add(header, row, rid, "required", ERROR, f"{header} is required")
            continue
        if check.choices is not None:
            if value not in check.choices:
                tab.add(header, row, rid, *check_value(check.col, value))  # type: ignore[misc]
            elif isinstance(value, RagWord):
                tab.add(header, row, rid, "rag-word", WARNING,
                        f"{header} '{shown(value.typed)}' is read as {value}: type the letter {value}")
            continue
        if type(value) is str and len(value) >= EXCEL_CELL_LIMIT:  # calamine cuts longer text at the limit
            tab.add(header, row, rid, "text-too-long", ERROR,
                    f"{header} reaches Excel's limit of 32,767 characters a cell can hold: anything "
                    "longer is cut; shorten it")
        if check.typed:
            bad = check_value(check.col, value)
            if bad:
                tab.add(header, row, rid, *bad)
        if check.is_text and isinstance(value, str):
            if not (formulas and tab.cell(header, row) in formulas):
                texts.append((check.col, value))
    return texts
