"""Reading a hand-made workbook: an area's own TOM, made before tomsync, in whatever shape it grew.

Read with openpyxl (never saved: a user's workbook is only read here), because a hand-made TOM keeps
meaning where calamine cannot see it: merged header cells, RAG shown only as a cell's colour, and the
dropdown lists of its data validations. Each tab becomes a `Table`: the header row found among the
first rows (the row with the most header-like cells, so a title or a blank row above it is skipped),
headers of merged cells spread over the columns they cover, and the data rows below it with blank
spacer rows left out. Nothing here knows about a spec: mapping is `workbook_templates.importer`.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from workbook_templates.reader import package_problem

HEADER_SEARCH_ROWS = 15  # a header below a title, a logo row and notes is still found
MAX_COLUMNS = 200  # a hand-made TOM has a dozen columns; formatting to column XFD is not data


class HandmadeError(ValueError):
    """A hand-made workbook that cannot be read at all (one line naming the file)."""


@dataclass
class Cell:
    value: Any
    fill: str | None = None  # "R", "A", "G", "B": a RAG colour read from the cell's solid fill


@dataclass
class SourceRow:
    row: int  # the Excel row number on the source tab
    cells: list[Cell]
    heading: bool = False  # one text merged across the row: a section heading, not an activity

    def value(self, col: int) -> Any:
        return self.cells[col].value if col < len(self.cells) else None

    def fill(self, col: int) -> str | None:
        return self.cells[col].fill if col < len(self.cells) else None


@dataclass
class Table:
    sheet: str
    header_row: int  # 0 when no header row was found
    headers: list[str]
    rows: list[SourceRow]
    lists: dict[int, list[str]] = field(default_factory=dict)  # column -> its dropdown's values
    hidden: bool = False

    def address(self, row: int, col: int) -> str:
        return f"{get_column_letter(col + 1)}{row}"


# -- colours ------------------------------------------------------------------------------------

def rag_of_colour(rgb: str | None) -> str | None:
    """The RAG letter a fill colour shows (by hue), or None for white, grey, black or no colour.
    Amber covers orange and yellow, as people pick either; blue is B (complete) where used."""
    if not rgb or not re.fullmatch(r"[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8}", rgb):
        return None
    rgb = rgb[-6:]
    r, g, b = (int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4))
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    if s < 0.15 or v < 0.2:
        return None
    deg = h * 360
    if deg < 18 or deg >= 330:
        return "R"
    if deg < 70:
        return "A"
    if deg < 170:
        return "G"
    if deg < 260:
        return "B"
    return None


def _fill_rgb(cell: Any) -> str | None:
    """The solid fill's RGB (hex), from an RGB or an indexed colour; theme colours are not resolved
    (their RGB lives in the theme part and a tint), so a theme-coloured fill reads as no colour."""
    fill = getattr(cell, "fill", None)
    if fill is None or fill.fill_type != "solid":
        return None
    color = fill.fgColor if fill.fgColor is not None else fill.start_color
    if color is None:
        return None
    if color.type == "rgb" and isinstance(color.rgb, str):
        return color.rgb
    if color.type == "indexed" and isinstance(color.indexed, int) and 0 <= color.indexed < len(COLOR_INDEX):
        return str(COLOR_INDEX[color.indexed])
    return None


# -- headers ------------------------------------------------------------------------------------

def norm(text: Any) -> str:
    """Header text for comparing: lower case, words only ("RAG status:" -> "rag status")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


def _header_score(values: list[Any], known: set[str]) -> float:
    texts = [norm(v) for v in values if isinstance(v, str) and v.strip()]
    if len(texts) < 2:
        return 0
    hits = sum(1 for t in texts if t in known)
    return hits * 10 + len(set(texts)) - sum(1 for v in values if isinstance(v, int | float | date))


def _merged_grid(ws: Worksheet) -> dict[tuple[int, int], Any]:
    """(row, col) -> value for every cell a merged range covers: its top-left value, so a header
    merged over two rows or several columns names each of them."""
    spread: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        min_col, min_row, max_col, max_row = range_boundaries(str(rng))
        value = ws.cell(row=min_row, column=min_col).value
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                spread[(r, c)] = value
    return spread


def _lists(ws: Worksheet, book: Any, header_row: int) -> dict[int, list[str]]:
    """Dropdown values by column: a data validation of type list, typed ("a,b,c") or a range."""
    out: dict[int, list[str]] = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list" or not dv.formula1:
            continue
        formula = str(dv.formula1)
        values: list[str] = []
        if formula.startswith('"'):
            values = [v.strip() for v in formula.strip('"').split(",") if v.strip()]
        else:
            values = _range_values(book, ws, formula.lstrip("="))
        if not values:
            continue
        for rng in str(dv.sqref).split():
            min_col, _, max_col, _ = range_boundaries(rng)
            for c in range(min_col, (max_col or min_col) + 1):
                out.setdefault(c - 1, values)
    return out


def _range_values(book: Any, ws: Worksheet, ref: str) -> list[str]:
    if "!" in ref:
        sheet, cells = ref.rsplit("!", 1)
        sheet = sheet.strip("'")
    else:
        sheet, cells = ws.title, ref
    if sheet not in book.sheetnames:
        name = book.defined_names.get(ref) if hasattr(book.defined_names, "get") else None
        if name is None:
            return []
        dests = list(name.destinations)
        if not dests:
            return []
        sheet, cells = dests[0]
    try:
        target = book[sheet][cells.replace("$", "")]
    except (KeyError, ValueError):
        return []
    rows = target if isinstance(target, tuple) else ((target,),)
    found = []
    for row in rows:
        for cell in row if isinstance(row, tuple) else (row,):
            if cell.value is not None and str(cell.value).strip():
                found.append(str(cell.value).strip())
    return found


def read_table(ws: Worksheet, book: Any, known_headers: set[str]) -> Table:
    """One tab as a table: its header row (the best of the first rows), headers, non-blank rows."""
    spread = _merged_grid(ws)
    # the last row and column holding a value: formatting applied to whole rows or columns makes
    # max_row / max_column far bigger, and asking openpyxl for a cell creates it
    used = [(r, c) for (r, c), cell in ws._cells.items() if cell.value is not None]
    max_row = max((r for r, _ in used), default=0)
    max_col = min(MAX_COLUMNS, max((c for _, c in used), default=0))

    def value(r: int, c: int) -> Any:
        return spread.get((r, c), ws.cell(row=r, column=c).value)

    best, best_row = 0.0, 0
    for r in range(1, min(max_row, HEADER_SEARCH_ROWS) + 1):
        score = _header_score([value(r, c) for c in range(1, max_col + 1)], known_headers)
        if score > best:
            best, best_row = score, r
    hidden = ws.sheet_state != "visible"
    if not best_row:  # no header: the rows are still read, so nothing on the tab is lost
        return Table(ws.title, 0, [], _rows(ws, value, 1, max_row, max_col), hidden=hidden)
    headers: list[str] = []
    seen: set[str] = set()
    for c in range(1, max_col + 1):
        text = str(value(best_row, c) or "").strip()
        text = " ".join(text.split())
        if text and text.lower() in seen:  # a header merged over several columns: name it once
            text = ""
        seen.add(text.lower())
        headers.append(text)
    rows = _rows(ws, value, best_row + 1, max_row, max_col)  # a column with no header is read too
    return Table(ws.title, best_row, headers, rows, _lists(ws, book, best_row), hidden)


def _rows(ws: Worksheet, value: Any, first: int, last: int, width: int) -> list[SourceRow]:
    """The rows from ``first`` to ``last`` holding a value, ``width`` cells each (blank rows left out)."""
    rows = []
    for r in range(first, last + 1):
        cells = []
        for c in range(1, width + 1):
            v = value(r, c)  # a value merged down several rows (a theme, say) belongs to each of them
            if isinstance(v, str) and not v.strip():
                v = None
            cells.append(Cell(v, rag_of_colour(_fill_rgb(ws.cell(row=r, column=c)))))
        values = [str(x.value) for x in cells if x.value is not None]
        if values:  # a blank spacer row (even a coloured one) holds nothing to import
            rows.append(SourceRow(r, cells, heading=len(values) > 1 and len(set(values)) == 1))
    return rows


def read_handmade(path: str | Path, known_headers: set[str]) -> list[Table]:
    """Every tab of a hand-made workbook as a `Table`; HandmadeError with one line if unreadable."""
    p = Path(path)
    try:
        problem = package_problem(p.read_bytes(), p)  # the reader's size limits, before openpyxl
    except FileNotFoundError:
        raise HandmadeError(f"{p}: no such file") from None
    except OSError as exc:
        raise HandmadeError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    if problem:
        raise HandmadeError(problem)
    try:
        book = load_workbook(p, data_only=True)
    except FileNotFoundError:
        raise HandmadeError(f"{p}: no such file") from None
    except Exception as exc:  # openpyxl raises many kinds for a file that is not an xlsx
        raise HandmadeError(f"{p}: cannot be read as an .xlsx workbook ({type(exc).__name__})") from None
    return [read_table(ws, book, known_headers) for ws in book.worksheets]


def as_date(value: Any) -> date | None:
    """A date cell's value as a date (openpyxl gives datetimes); None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
