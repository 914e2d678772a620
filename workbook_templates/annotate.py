"""Validate's marks in the workbook: the Issues tab and the fill and note on each offending cell.

Each finding is a row of the Issues tab (Sheet, Cell as a link, ID, Rule, Severity, Message) and its
cell gets a fill (red for errors, amber for warnings) and a note. The Issues tab is also the memory
of what was marked: a re-run first restores the fill the template gives those cells (header blue,
locked grey, else none) and removes the notes, so marks never pile up. Fills are cell formats: the
RAG conditional formatting is never touched.

Everything goes through a `WorkbookSurface`, so the ribbon's Validate (a book open in Excel) and
`tomsync validate --annotate` (a file) are the same code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from openpyxl.utils.cell import coordinate_to_tuple, quote_sheetname

from workbook_templates.layout import (
    HEADER_COLOUR,
    HEADER_ROW,
    ISSUES,
    LOCKED_COLOUR,
    MASTER,
    Layout,
    a1,
)
from workbook_templates.package import refuse_unwritable
from workbook_templates.spec import Spec
from workbook_templates.surface import PackageSurface, WorkbookSurface, read_surface
from workbook_templates.validate import ERROR, Finding, validate

ISSUE_HEADERS = ["Sheet", "Cell", "ID", "Rule", "Severity", "Message"]
ERROR_FILL = "FF7C80"  # red: stronger than the RAG "R" fill, so a mark is not read as a rating
WARNING_FILL = "FFC000"  # amber
ISSUES_HEADER_COLOUR = "DDEBF7"
NOTE_PREFIX = "tomsync: "
_A1 = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")


def base_colour(spec: Spec, sheet: str, cell: str, kinds: Mapping[int, bool] | None = None) -> str | None:
    """The fill the template gives a cell: blue header, grey locked master wording, else none.
    ``kinds``: row -> True for a master row, False for a school's own row, as read (an upgrade puts an
    added master row in a free row); a row not in it goes by the template's layout."""
    row, col = coordinate_to_tuple(cell)
    layout = Layout(spec)
    if sheet == MASTER:
        return HEADER_COLOUR if row == HEADER_ROW and col <= len(spec.master_columns) else None
    if sheet not in spec.school_by_sheet():
        return None
    if row == HEADER_ROW:
        return HEADER_COLOUR if col <= len(layout.headers) else None
    known = (kinds or {}).get(row)
    on_master = known if known is not None else layout.first_row <= row <= layout.master_end
    if on_master and col <= len(spec.columns):
        return LOCKED_COLOUR if spec.columns[col - 1].locked else None
    return None


def previous_marks(surface: WorkbookSurface) -> list[tuple[str, str]]:
    """(sheet, cell) of every mark the last Validate left, read back from its Issues tab."""
    if ISSUES not in surface.sheet_names():
        return []
    out = []
    for row in surface.read(ISSUES)[1:]:
        if len(row) < 2 or not row[0] or not row[1]:
            continue
        sheet, cell = str(row[0]), str(row[1]).strip().upper()
        if _A1.match(cell):
            out.append((sheet, cell))
    return out


def clear_marks(surface: WorkbookSurface, spec: Spec, marks: Sequence[tuple[str, str]],
                kinds: Mapping[str, Mapping[int, bool]] | None = None) -> None:
    """Give marked cells their template fill back and remove the notes Validate put on them."""
    names = set(surface.sheet_names())
    by_fill: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for sheet, cell in dict.fromkeys(marks):
        if sheet in names:
            by_fill[(sheet, base_colour(spec, sheet, cell, (kinds or {}).get(sheet)))].append(cell)
    for (sheet, colour), cells in by_fill.items():
        surface.set_fill(sheet, cells, colour)
        for cell in cells:
            surface.set_note(sheet, cell, None)


def write_issues(surface: WorkbookSurface, findings: Sequence[Finding]) -> None:
    """Replace the Issues tab: one row per finding, its Cell a link to the cell."""
    names = set(surface.sheet_names())
    surface.add_sheet(ISSUES, replace=True)
    rows = [ISSUE_HEADERS] + [[f.sheet, f.cell, f.row_id, f.rule, f.severity, f.message] for f in findings]
    surface.write_values(ISSUES, "A1", rows)
    header = f"A1:{a1(1, len(ISSUE_HEADERS))}"
    surface.set_fill(ISSUES, [header], ISSUES_HEADER_COLOUR)
    surface.set_font(ISSUES, [header], None, bold=True)
    for i, f in enumerate(findings, start=2):
        if f.cell and f.sheet in names:
            surface.hyperlink(ISSUES, f"B{i}", f"{quote_sheetname(f.sheet)}!{f.cell}", f.cell)


def mark(surface: WorkbookSurface, findings: Sequence[Finding]) -> None:
    """Fill each offending cell (red if any error there, else amber) and note its messages on it."""
    names = set(surface.sheet_names())
    notes: dict[tuple[str, str], list[str]] = defaultdict(list)
    worst: dict[tuple[str, str], str] = {}
    for f in findings:
        if f.cell and f.sheet in names:
            key = (f.sheet, f.cell)
            notes[key].append(f.message)
            if worst.get(key) != ERROR:
                worst[key] = f.severity
    by_fill: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (sheet, cell), severity in worst.items():
        by_fill[(sheet, ERROR_FILL if severity == ERROR else WARNING_FILL)].append(cell)
    for (sheet, colour), cells in by_fill.items():
        surface.set_fill(sheet, cells, colour)
    for (sheet, cell), messages in notes.items():
        surface.set_note(sheet, cell, NOTE_PREFIX + "\n".join(messages))


def annotate(surface: WorkbookSurface, month: str | None = None, today: date | None = None) -> list[Finding]:
    """Validate the workbook, list the findings on the Issues tab and mark the cells; save."""
    data = read_surface(surface)
    findings = validate(data, month, today)
    kinds = {name: {r.row: r.is_master for r in tab.rows} for name, tab in data.schools.items()}
    clear_marks(surface, data.spec, previous_marks(surface), kinds)
    write_issues(surface, findings)
    mark(surface, findings)
    surface.save()
    return findings


def annotate_file(path: str | Path, month: str | None = None, today: date | None = None) -> list[Finding]:
    """`tomsync validate --annotate`: annotate a file (replaced atomically); returns the findings."""
    refuse_unwritable(path)  # open in Excel or read-only: refused before any work (issues 8, 9)
    return annotate(PackageSurface(path), month, today)
