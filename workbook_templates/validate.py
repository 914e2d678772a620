"""Validation of a read TOM workbook: every finding names the sheet, cell, row ID and rule.

Rules (id, severity):
- required (error): a required cell is empty.
- vocabulary (error): a value outside the column's list (choice and RAG columns).
- not-a-date (error) / not-a-number (error) / bad-link (warning): the value does not fit the column.
- rag-missing (error): Status is In progress or Complete but the row has no RAG rating.
- red-without-note (error): rated R with no progress note: a red needs a reason and an action.
- duplicate-id (error): the same ID twice on one tab.
- master-row-missing (error) / master-text-changed (error): a school tab lost a master row or changed
  its locked wording; checked against the spec embedded in the workbook, so it holds even after
  someone removed the sheet protection.
- master-tampered (error): the Master tab differs from the spec's fingerprint (SHA-256).
- school-tab-missing (error) / unknown-tab (warning) / column-missing (error).
- future-date (error): Last updated after today.
- stale (warning, with a month): the tab's newest Last updated is before that month: not updated
  this cycle. One finding per tab, not per row: rows that did not change need no new date.
- formula (warning) / formula-injection (warning): a text cell holds a formula, or text that Excel
  would run as one (starts with = + - @) when pasted elsewhere.
- personal-data (warning): an e-mail address or phone number in free text; the TOM holds no pupil data.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from openpyxl.utils import get_column_letter

from workbook_templates.reader import SheetRows, WorkbookData
from workbook_templates.rollup import NOT_APPLICABLE, current_rating
from workbook_templates.spec import MONTH, RESERVED_SHEETS, Column, Spec, canonical
from workbook_templates.template import CURRENT_RAG

ERROR, WARNING = "error", "warning"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\+44\s?\(?0?\)?\s?|\b0)(?:\d[\s-]?){9,10}\b")
INJECTION_START = ("=", "+", "-", "@")
_FORMULA_LINE = re.compile(r"\n[ \t]*[=+\-@]")  # a text that starts like a formula
_DIGIT_RUN = re.compile(r"\d[\d \-()]{8,}\d")  # ten or more digits close together: maybe a phone


def _suspect(texts: list[tuple[Column, str]]) -> bool:
    """Could any of these texts start a formula, or hold an e-mail address or a phone number? Three
    cheap tests over the whole row; the exact per-cell checks run only when one says maybe."""
    joined = "\n" + "\n".join(v for _, v in texts)
    return "@" in joined or bool(_FORMULA_LINE.search(joined)) or bool(_DIGIT_RUN.search(joined))


ACTIVE_STATUSES = ("In progress", "Complete")


@dataclass(frozen=True)
class Finding:
    sheet: str
    cell: str
    row_id: str | None
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_month(month: str) -> date:
    """'YYYY-MM' -> the first day of that month; ValueError with a plain message otherwise."""
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    return date(int(month[:4]), int(month[5:]), 1)


class _Tab:
    """Cell addressing for one tab, from the headers actually in the file."""

    def __init__(self, sheet: SheetRows) -> None:
        self.sheet = sheet
        self.letters = {h: get_column_letter(i + 1) for i, h in enumerate(sheet.headers) if h}

    def cell(self, header: str, row: int) -> str:
        return f"{self.letters.get(header, 'A')}{row}"


def _check_value(col: Column, value: Any) -> tuple[str, str, str] | None:
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


def _text_warnings(col: Column, value: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(value, str) or col.kind not in ("text", "url"):
        return out
    if value.lstrip()[:1] in INJECTION_START:
        out.append(("formula-injection",
                    f"{col.header} starts with '{value.lstrip()[0]}': Excel may run it as a formula "
                    "when copied; start the text with a letter"))
    if col.kind != "text":
        return out
    if "@" in value and EMAIL.search(value):
        out.append(("personal-data", f"{col.header} holds an e-mail address: the TOM must hold no "
                                     "pupil or personal contact data"))
    elif PHONE.search(value):
        out.append(("personal-data", f"{col.header} holds a phone number: the TOM must hold no "
                                     "pupil or personal contact data"))
    return out


def _master_expected(spec: Spec) -> dict[str, dict[str, Any]]:
    return spec.master_by_id


def _check_master_tab(data: WorkbookData, out: list[Finding]) -> None:
    spec = data.spec
    tab = _Tab(data.master)
    if data.meta.get("master_sha256") != spec.master_fingerprint():
        out.append(Finding("Master", "A1", None, "master-tampered", ERROR,
                           "the master expectations do not match the workbook's fingerprint: the hidden "
                           "spec was edited; rebuild the workbook from the spec"))
    expected = _master_expected(spec)
    seen: set[str] = set()
    for row in data.master.rows:
        rid = canonical(row.get(spec.id_header))
        want = expected.get(rid)
        if want is None:
            out.append(Finding("Master", tab.cell(spec.id_header, row.row), rid or None, "master-tampered",
                               ERROR, f"row {row.row} ('{rid}') is not a master expectation of this "
                               "workbook: only the programme manager changes the Master tab"))
            continue
        seen.add(rid)
        for col in spec.master_columns:
            if canonical(row.get(col.header)) != canonical(want.get(col.header)):
                out.append(Finding("Master", tab.cell(col.header, row.row), rid, "master-tampered", ERROR,
                                   f"{col.header} of master row {rid} was changed from "
                                   f"'{canonical(want.get(col.header))}' to "
                                   f"'{canonical(row.get(col.header))}'"))
    for i, rid in enumerate(expected, start=2):
        if rid not in seen:
            out.append(Finding("Master", tab.cell(spec.id_header, i), rid, "master-tampered", ERROR,
                               f"master row {rid} was removed from the Master tab"))


def _check_school(data: WorkbookData, sheet: SheetRows, month: date | None, today: date,
                  out: list[Finding]) -> None:
    spec = data.spec
    tab = _Tab(sheet)
    id_h = spec.id_header
    for col in spec.columns:
        if col.header not in tab.letters:
            out.append(Finding(sheet.name, f"{get_column_letter(len(sheet.headers) + 1)}1", None,
                               "column-missing", ERROR,
                               f"column '{col.header}' is missing from the header row"))
    expected = _master_expected(spec)
    status, notes, updated = spec.column("status"), spec.column("notes"), spec.column("last_updated")
    rating_h = spec.rag_columns[0].header if len(spec.rag_columns) == 1 else CURRENT_RAG
    formulas = data.formula_cells.get(sheet.name, set())
    checks = [(c, c.header, c.kind in ("text", "url"),
               frozenset(c.choices) if c.kind in ("choice", "rag") else None,
               c.required or c.role == "id", c.kind in ("date", "int", "url")) for c in spec.columns]
    seen_ids: dict[str, int] = {}
    master_seen: set[str] = set()
    newest: tuple[date, int] | None = None

    def add(header: str, row: int, rid: str | None, rule: str, sev: str, msg: str) -> None:
        out.append(Finding(sheet.name, tab.cell(header, row), rid, rule, sev, msg))

    for row in sheet.rows:
        rid = canonical(row.get(id_h)) or None
        if rid is not None:
            if rid in seen_ids:
                add(id_h, row.row, rid, "duplicate-id", ERROR,
                    f"ID {rid} is used twice on this tab (also row {seen_ids[rid]})")
            else:
                seen_ids[rid] = row.row
        want = expected.get(rid or "")
        if want is not None:
            master_seen.add(rid or "")
        values = row.values
        texts: list[tuple[Column, str]] = []
        for col, header, is_text, choices, needed, typed in checks:
            value = values.get(header)
            if want is not None and col.locked:
                if value != want.get(header) and canonical(value) != canonical(want.get(header)):
                    add(header, row.row, rid, "master-text-changed", ERROR,
                        f"{header} of master row {rid} must read '{canonical(want.get(header))}'"
                        f" (found '{canonical(value)}'): master wording is locked")
                continue
            if value is None:
                if needed:
                    add(header, row.row, rid, "required", ERROR, f"{header} is required")
                continue
            if choices is not None:
                if value not in choices:
                    add(header, row.row, rid, *_check_value(col, value))  # type: ignore[misc]
                continue
            if typed:
                bad = _check_value(col, value)
                if bad:
                    add(header, row.row, rid, *bad)
            if is_text and isinstance(value, str):
                if not (formulas and tab.cell(header, row.row) in formulas):  # reported below
                    texts.append((col, value))
        if texts and _suspect(texts):  # cheap row-level test first; regexes only on suspect rows
            for col, value in texts:
                for rule, msg in _text_warnings(col, value):
                    add(col.header, row.row, rid, rule, WARNING, msg)
        rating = current_rating(row.values, spec)
        if status is not None and row.get(status.header) in ACTIVE_STATUSES and not rating:
            add(rating_h if rating_h in tab.letters else spec.rag_columns[-1].header, row.row, rid,
                "rag-missing", ERROR, f"Status is {row.get(status.header)} but the row has no RAG rating")
        not_applicable = status is not None and row.get(status.header) == NOT_APPLICABLE
        if rating == "R" and notes is not None and row.get(notes.header) is None and not not_applicable:
            add(notes.header, row.row, rid, "red-without-note", ERROR,
                f"rated R with no {notes.header}: say what is off track and the action agreed")
        if updated is not None and isinstance(row.get(updated.header), date):
            when: date = row.get(updated.header)
            if when > today:
                add(updated.header, row.row, rid, "future-date", ERROR,
                    f"{updated.header} {when:%d/%m/%Y} is in the future")
            elif newest is None or when > newest[0]:
                newest = (when, row.row)
    if formulas:  # also formulas whose result is empty: they read as blank cells
        text_letters = {tab.letters[c.header]: c.header for c in spec.columns
                        if c.kind in ("text", "url") and c.header in tab.letters}
        ids = {r.row: canonical(r.get(id_h)) or None for r in sheet.rows}
        for address in sorted(formulas, key=lambda a: (int(a.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), a)):
            letters = address.rstrip("0123456789")
            number = int(address[len(letters):])
            if letters in text_letters and number >= 2:
                header = text_letters[letters]
                add(header, number, ids.get(number), "formula", WARNING,
                    f"{header} holds a formula; type the text itself")
    for i, (rid, _row) in enumerate(expected.items(), start=2):
        if rid not in master_seen:
            out.append(Finding(sheet.name, tab.cell(id_h, i), rid, "master-row-missing", ERROR,
                               f"master row {rid} is missing from this tab"))
    if month is not None and updated is not None and (newest is None or newest[0] < month):
        where = tab.cell(updated.header, newest[1]) if newest else tab.cell(updated.header, 1)
        last = f"last updated {newest[0]:%d/%m/%Y}" if newest else "never updated"
        out.append(Finding(sheet.name, where, None, "stale", WARNING,
                           f"tab not updated in {month:%B %Y} ({last})"))


def cycle_of(meta: dict[str, str]) -> str | None:
    """The workbook's current cycle (YYYY-MM) from its `_tom` sheet, if New month has stamped one."""
    found = MONTH.match(str(meta.get("cycle") or "").strip())
    return f"{found.group(1)}-{found.group(2)}" if found else None


def validate(data: WorkbookData, month: str | None = None, today: date | None = None) -> list[Finding]:
    """All findings for a workbook, in sheet order then row order. The stale check runs for ``month``,
    or else for the cycle the workbook was stamped with (the ribbon's New month)."""
    spec = data.spec
    today = today or date.today()
    month = month or cycle_of(data.meta)
    first = parse_month(month) if month else None
    out: list[Finding] = []
    _check_master_tab(data, out)
    names = set(data.sheet_names)
    schools = {s.sheet for s in spec.schools}
    for school in spec.schools:
        if school.sheet not in names:
            out.append(Finding(school.sheet, "", None, "school-tab-missing", ERROR,
                               f"the tab for {school.name} ({school.id}) is missing"))
    for name in data.sheet_names:
        if name not in schools and name not in RESERVED_SHEETS:
            out.append(Finding(name, "", None, "unknown-tab", WARNING,
                               f"tab '{name}' is not a school of this workbook's spec; it is ignored"))
    for sheet in data.schools.values():
        _check_school(data, sheet, first, today, out)
    return out


def summary_counts(findings: list[Finding]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.severity == ERROR)
    return errors, len(findings) - errors
