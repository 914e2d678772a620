"""The workbook surface: the few calls annotate and the Summary block make on a workbook, whoever holds it.

`workbook_templates.annotate` and `workbook_templates.summary` (and so the ribbon's macros and the CLI)
never touch openpyxl or xlwings directly. They read value grids and write values, fills, notes, links
and sheets through `WorkbookSurface`, which has two implementations:

- `PackageSurface` (alias `OpenpyxlSurface`, its old name): a workbook file on disk (the CLI, tests,
  any machine without Excel). Values are read with calamine from the file's bytes, exactly as
  `workbook_templates.reader.read_workbook` reads them, so a check through the surface and a check of
  the file give the same findings; writes patch the package (`workbook_templates.package`: typed text
  stays text, every other cell and part is kept byte for byte) and the file is replaced atomically.
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
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import python_calamine

from workbook_templates import reader
from workbook_templates.package import Package, PackageError, col_letters, split_ref
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

HYPERLINK_COLOUR = "0563C1"  # Excel's Hyperlink cell style: blue, underlined


class PackageSurface:
    """A workbook file: read with calamine (like the reader), written by patching the package in place
    (`workbook_templates.package`), so every cell, part and cached formula result it does not write is
    kept byte for byte; replaced atomically on `save`.

    Every write is batched in memory until `save`. Sheets written in this session are read back from
    the patched XML (cached formula results included), the others from calamine.
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
        self._open()

    def _open(self) -> None:
        try:
            self.package = Package(self._bytes, self.path)
            self._values = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._bytes))
        except (PackageError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise WorkbookReadError(f"{self.path}: the workbook cannot be read ({exc})") from None
        except Exception as exc:  # calamine raises its own types for broken packages
            raise WorkbookReadError(f"{self.path}: the workbook cannot be read ({first_line(exc)})") from None
        self._touched: set[str] = set()  # sheets changed in this session: read back from the package
        self._formulas: dict[str, set[str]] | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def folder(self) -> Path | None:
        return self.path.resolve().parent

    def sheet_names(self) -> list[str]:
        return self.package.sheet_names()

    def read(self, sheet: str) -> list[list[Any]]:
        if sheet not in self._touched and sheet in self._values.sheet_names:
            return self._values.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return self.package.grid(sheet)

    def formula_cells(self, sheet: str) -> set[str]:
        if sheet not in self._touched:
            if self._formulas is None:  # every tab in one pass over the zip, not one pass per tab
                self._formulas = formula_cells(self._bytes, self.sheet_names())
            return self._formulas.get(sheet, set())
        return self.package.formula_cells(sheet)

    def write_values(self, sheet: str, top_left: str, rows: Sequence[Sequence[Any]]) -> None:
        r0, c0 = split_ref(top_left)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                self.package.set_value(sheet, f"{col_letters(c0 + j)}{r0 + i}", value)
        self._touched.add(sheet)

    def set_fill(self, sheet: str, cells: Iterable[str], colour: str | None) -> None:
        self.package.set_style(sheet, cells, fill=colour)

    def set_font(self, sheet: str, cells: Iterable[str], colour: str | None = None,
                 bold: bool = False) -> None:
        self.package.set_style(sheet, cells, font={"color": colour, "bold": bold})

    def set_note(self, sheet: str, cell: str, text: str | None) -> None:
        self.package.set_note(sheet, cell, text)

    def add_sheet(self, name: str, replace: bool = True) -> None:
        if name in self.package.sheet_names():
            if not replace:
                return
            self.package.clear_sheet(name)
        else:
            self.package.add_sheet(name)
        self._touched.add(name)

    def hyperlink(self, sheet: str, cell: str, target: str, text: str) -> None:
        self.package.set_value(sheet, cell, text)
        self.package.set_link(sheet, cell, target, text)
        self.package.set_style(sheet, [cell], font={"color": HYPERLINK_COLOUR, "underline": True})
        self._touched.add(sheet)

    def save(self) -> None:
        """Write the patched package over the file (refused, before writing, when the file is open in
        Excel or read-only); the surface then reads the saved file."""
        self.package.save(self.path)
        self._bytes = self.path.read_bytes()
        self._open()


OpenpyxlSurface = PackageSurface
"""The old name of the on-disk surface (it wrote through openpyxl before issue 9); kept for callers."""


# -- WorkbookData from a surface ---------------------------------------------------------------------

class _Sheet:
    def __init__(self, grid: list[list[Any]]) -> None:
        self._grid = grid

    def to_python(self, skip_empty_area: bool = False) -> list[list[Any]]:
        return self._grid


class GridBook:
    """The two calls the reader makes on a `python_calamine.CalamineWorkbook`, answered by anything
    that gives a sheet's values as a grid (a surface's ``read``, a `Package`'s ``grid``): rather than
    re-implement the reader, those grids go through the reader's own code, so the embedded spec, the
    `_tom` keys and the typed rows come out the same on every path. Empty cells become "", as
    calamine gives them."""

    def __init__(self, sheet_names: list[str], grid: Callable[[str], list[list[Any]]]) -> None:
        self.sheet_names = sheet_names
        self._grid = grid

    def get_sheet_by_name(self, name: str) -> _Sheet:
        return _Sheet([["" if v is None else v for v in row] for row in self._grid(name)])


def read_surface(surface: WorkbookSurface) -> WorkbookData:
    """Every tab the spec knows, as typed rows, read through the surface (no file needed)."""
    folder = surface.folder
    where = Path(surface.name)

    def formulas(tabs: list[str]) -> dict[str, set[str]]:
        return {name: cells for name in tabs if (cells := surface.formula_cells(name))}

    book = GridBook(surface.sheet_names(), surface.read)
    return reader.workbook_data(book, (folder / where) if folder else where, formulas)
