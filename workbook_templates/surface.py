"""The workbook surface: the few calls annotate and the Summary block make on a workbook, whoever holds it.

`workbook_templates.annotate` and `workbook_templates.summary` (and so the ribbon's macros and the CLI)
never touch openpyxl or xlwings directly. They read value grids and write values, fills, notes, links
and sheets through `WorkbookSurface`, which has two implementations:

- `OpenpyxlSurface`: a workbook file on disk (the CLI, tests, any machine without Excel). Values are
  read with calamine from the file's bytes, exactly as `workbook_templates.reader.read_workbook` reads
  them, so a check through the surface and a check of the file give the same findings; writes go
  through openpyxl (typed text stays text, `cells.set_data`) and the file is replaced atomically.
- `xl_addin.xlwings_surface.XlwingsSurface`: an open workbook as an `xlwings.Book`, either desktop
  Excel (COM, with the free xlwings add-in) or the book xlwings Server builds from an Office.js
  request, where every write becomes an action that the add-in replays in Excel.

Cells are A1 strings ("L14"); colours are hex RGB without "#" ("FFC7CE") or None for "no fill".

`read_surface` gives the reader's `WorkbookData` from any surface (a workbook open in Excel has no
file, only the values Excel hands over), so a check in Excel and a check of the file agree.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import python_calamine
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet.hyperlink import Hyperlink

from workbook_templates import reader
from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.cells import set_data
from workbook_templates.reader import WorkbookData, WorkbookReadError, first_line, formula_cells


@runtime_checkable
class WorkbookSurface(Protocol):
    """What annotate and the Summary block need of a workbook: a file on disk or a book open in Excel."""

    @property
    def name(self) -> str:
        """The workbook's file name (for messages)."""
        ...

    @property
    def folder(self) -> Path | None:
        """The folder the workbook lives in, when known (None in Excel on the web)."""
        ...

    def sheet_names(self) -> list[str]: ...

    def read(self, sheet: str) -> list[list[Any]]:
        """The sheet's values from A1 to its last used cell (dates as date/datetime, blanks None or "")."""
        ...

    def formula_cells(self, sheet: str) -> set[str]:
        """A1 addresses of the cells holding a formula (empty when the host cannot tell)."""
        ...

    def write_values(self, sheet: str, top_left: str, rows: Sequence[Sequence[Any]]) -> None:
        """Write a block of values as data (text that looks like a formula stays text); None clears."""
        ...

    def set_fill(self, sheet: str, cells: Iterable[str], colour: str | None) -> None:
        """Fill the cells (or ranges like "H1:O9") with ``colour``; None removes the fill."""
        ...

    def set_font(self, sheet: str, cells: Iterable[str], colour: str | None = None,
                 bold: bool = False) -> None:
        """Set the font colour (None: automatic) and weight of the cells or ranges."""
        ...

    def set_note(self, sheet: str, cell: str, text: str | None) -> None:
        """Put a note (legacy comment) on the cell; None removes it."""
        ...

    def add_sheet(self, name: str, replace: bool = True) -> None:
        """Add an empty sheet at the end; an existing one of that name is replaced (or kept)."""
        ...

    def hyperlink(self, sheet: str, cell: str, target: str, text: str) -> None:
        """Make the cell a link showing ``text`` to ``target``, an internal location like 'Tab'!A1."""
        ...

    def save(self) -> None:
        """Make the writes stick (a file: write it; Excel: restore protection, the user saves)."""
        ...


# -- a file on disk ------------------------------------------------------------------------------

class OpenpyxlSurface:
    """A workbook file: read with calamine (like the reader), written with openpyxl, saved atomically.

    The file is loaded once; every write is batched in memory until `save`. openpyxl keeps data
    validation, conditional formatting and sheet protection across load and save.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._bytes = self.path.read_bytes()
        except FileNotFoundError:
            raise WorkbookReadError(f"{self.path}: no such file") from None
        except OSError as exc:
            raise WorkbookReadError(f"{self.path}: cannot be read ({exc.strerror})") from None
        if self._bytes[:2] != b"PK":
            raise WorkbookReadError(f"{self.path}: not an .xlsx workbook (it is not a zip package)")
        try:
            self.wb = load_workbook(io.BytesIO(self._bytes))
            self._values = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._bytes))
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise WorkbookReadError(f"{self.path}: the workbook cannot be read ({exc})") from None
        except Exception as exc:  # calamine raises its own types for broken packages
            raise WorkbookReadError(f"{self.path}: the workbook cannot be read ({first_line(exc)})") from None
        self._touched: set[str] = set()  # sheets changed in this session: read back from openpyxl

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def folder(self) -> Path | None:
        return self.path.resolve().parent

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def read(self, sheet: str) -> list[list[Any]]:
        if sheet not in self._touched and sheet in self._values.sheet_names:
            return self._values.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return [list(row) for row in self.wb[sheet].iter_rows(values_only=True)]

    def formula_cells(self, sheet: str) -> set[str]:
        if sheet not in self._touched:
            return formula_cells(self._bytes, [sheet]).get(sheet, set())
        return {c.coordinate for row in self.wb[sheet].iter_rows() for c in row if c.data_type == "f"}

    def write_values(self, sheet: str, top_left: str, rows: Sequence[Sequence[Any]]) -> None:
        ws = self.wb[sheet]
        r0, c0 = coordinate_to_tuple(top_left)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                set_data(ws.cell(row=r0 + i, column=c0 + j), value)
        self._touched.add(sheet)

    def _cells(self, sheet: str, refs: Iterable[str]) -> Iterator[Any]:
        ws = self.wb[sheet]
        for ref in refs:
            if ":" in ref:
                for row in ws[ref]:
                    yield from row
            else:
                yield ws[ref]

    def set_fill(self, sheet: str, cells: Iterable[str], colour: str | None) -> None:
        fill = PatternFill("solid", start_color=colour, end_color=colour) if colour else PatternFill()
        for c in self._cells(sheet, cells):
            c.fill = fill

    def set_font(self, sheet: str, cells: Iterable[str], colour: str | None = None,
                 bold: bool = False) -> None:
        for c in self._cells(sheet, cells):
            c.font = Font(color=colour, bold=bold)

    def set_note(self, sheet: str, cell: str, text: str | None) -> None:
        c = self.wb[sheet][cell]
        if text is None:
            c.comment = None
            return
        note = Comment(text, "tomsync")
        note.width, note.height = 300, 120
        c.comment = note

    def add_sheet(self, name: str, replace: bool = True) -> None:
        if name in self.wb.sheetnames:
            if not replace:
                return
            index = self.wb.sheetnames.index(name)
            self.wb.remove(self.wb[name])
            self.wb.create_sheet(name, index)
        else:
            self.wb.create_sheet(name)
        self._touched.add(name)

    def hyperlink(self, sheet: str, cell: str, target: str, text: str) -> None:
        c = self.wb[sheet][cell]
        set_data(c, text)
        c.hyperlink = Hyperlink(ref=cell, location=target, display=text)
        c.style = "Hyperlink"
        self._touched.add(sheet)

    def save(self) -> None:
        save_workbook_atomic(self.wb, self.path)


# -- WorkbookData from a surface ---------------------------------------------------------------------

class _Sheet:
    def __init__(self, grid: list[list[Any]]) -> None:
        self._grid = grid

    def to_python(self, skip_empty_area: bool = False) -> list[list[Any]]:
        return self._grid


class GridBook:
    """The two calls the reader makes on a `python_calamine.CalamineWorkbook`, answered by a surface:
    rather than re-implement the reader, the surface's value grids go through the reader's own code,
    so the embedded spec, the `_tom` keys and the typed rows come out the same on both paths."""

    def __init__(self, surface: WorkbookSurface) -> None:
        self.surface = surface
        self.sheet_names = surface.sheet_names()

    def get_sheet_by_name(self, name: str) -> _Sheet:
        return _Sheet([["" if v is None else v for v in row] for row in self.surface.read(name)])


def read_surface(surface: WorkbookSurface) -> WorkbookData:
    """Every tab the spec knows, as typed rows, read through the surface (no file needed)."""
    folder = surface.folder
    where = Path(surface.name)

    def formulas(tabs: list[str]) -> dict[str, set[str]]:
        return {name: cells for name in tabs if (cells := surface.formula_cells(name))}

    return reader.workbook_data(GridBook(surface), (folder / where) if folder else where, formulas)
