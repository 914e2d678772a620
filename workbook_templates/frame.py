"""Tidy tables for analysts: one record per school row, as a pandas DataFrame or a CSV / xlsx file.

`tidy_rows` is plain Python (the core never needs pandas to read, check or roll up); `to_frame`
imports pandas only when called, so nothing pays for it on start-up. `write_table` writes the same
records for people who work in Power BI or Excel pivots, and never lets what a school typed become
a formula: an xlsx cell holding text is a text cell, and in CSV a text starting like a formula
(= + - @, or a tab or carriage return) gets a leading apostrophe, as Excel itself shows typed text.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook_templates.rollup import rating_and_column

if TYPE_CHECKING:
    import pandas as pd

    from workbook_templates.reader import WorkbookData

# rated_in: the RAG column the rating came from ("RAG", or a plan's term such as "Autumn 2026");
# tier: "minimum" or "wagjll" for a master row, "" for a school's own row
COLUMNS = ("month", "area", "school", "school_id", "sheet", "row", "id", "theme", "lead", "status", "rag",
           "when", "due", "last_updated", "rated_in", "tier")
DATE_COLUMNS = ("due", "last_updated")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Record = tuple[Any, ...]  # one value per name in COLUMNS


def tidy_rows(data: WorkbookData, month: str | None = None) -> list[Record]:
    """One record per used row of each school tab: who, what and how it stands (the area column tells
    areas apart). ``month`` defaults to the workbook's cycle stamp (None when it has none)."""
    from workbook_templates.spec import canonical
    from workbook_templates.validate import cycle_of

    spec = data.spec
    month = month or cycle_of(data.meta)
    headers = {role: (c.header if (c := spec.column(role)) else None)
               for role in ("theme", "lead", "status", "when", "due", "last_updated")}
    schools = spec.school_by_sheet()
    out: list[Record] = []
    for sheet, tab in data.schools.items():
        school = schools.get(sheet)
        name = school.name if school else sheet
        for row in tab.rows:
            v = row.values

            def get(role: str, _v: dict[str, Any] = v) -> Any:
                h = headers[role]
                return _v.get(h) if h else None

            rid = v.get(spec.id_header)
            rag, rated_in = rating_and_column(v, spec)
            out.append((month, spec.area, name, school.id if school else None, sheet, row.row,
                        rid, get("theme"), get("lead"), get("status"), rag or None, get("when"), get("due"),
                        get("last_updated"), rated_in or None,
                        spec.tier(canonical(rid)) if rid not in (None, "") else ""))
    return out


def to_frame(records: Iterable[Record]) -> pd.DataFrame:
    """The records as a DataFrame with the `COLUMNS`; a date column whose values are all dates becomes
    datetime64 (one typed anything else, and it stays as typed: nothing is dropped)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(records), columns=list(COLUMNS))
    for name in DATE_COLUMNS:
        values = frame[name].dropna()
        if len(values) and all(isinstance(x, date) for x in values):
            frame[name] = pd.to_datetime(frame[name])
    return frame


def as_text(value: Any) -> Any:
    """A CSV value that no spreadsheet will run: text starting like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, NA) as None and its timestamps as dates (or datetimes)."""
    if value is None or type(value).__name__ == "NAType":
        return None
    try:
        if value != value:  # NaN and NaT are not equal to themselves
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


def write_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], path: str | os.PathLike[str]) -> Path:
    """Write a table as .csv or .xlsx (by suffix), atomically; typed text always stays text."""
    from workbook_templates.atomic import atomic_write_bytes

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if (p := _plain(v)) is None else as_text(p) for v in row])
        atomic_write_bytes(out, buf.getvalue().encode("utf-8-sig"))  # the BOM: Excel reads UTF-8
    elif suffix == ".xlsx":
        atomic_write_bytes(out, _xlsx(columns, rows))
    else:
        raise ValueError(f"{out}: write .csv or .xlsx, not '{out.suffix or 'no suffix'}'")
    return out


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """`write_table` for a DataFrame (its index is left out)."""
    return write_table([str(c) for c in frame.columns], frame.itertuples(index=False, name=None), path)


def _xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("TOM")
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for value in row:
            value = _plain(value)
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
            elif isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"
            cells.append(cell)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
