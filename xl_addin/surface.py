"""The workbook surface: the few calls the ribbon macros make on a workbook, whoever holds it.

The macros (`xl_addin.ribbon`) never touch openpyxl or xlwings directly. They read value grids and
write values, fills, notes, links and sheets through `WorkbookSurface`, which has two implementations:

- `OpenpyxlSurface`: a workbook file on disk (the CLI, tests, any machine without Excel). Values are
  read with calamine from the file's bytes, exactly as `workbook_templates.reader.read_workbook` reads
  them, so a check through the surface and a check of the file give the same findings; writes go
  through openpyxl (typed text stays text, `cells.set_data`) and the file is replaced atomically.
- `XlwingsSurface`: an open workbook as an `xlwings.Book`, either desktop Excel (COM, with the free
  xlwings add-in) or the book xlwings Server builds from an Office.js request (``xw.Book(json=...)``),
  where every write becomes an action that the add-in replays in Excel.

Cells are A1 strings ("L14"); colours are hex RGB without "#" ("FFC7CE") or None for "no fill".
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
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.cells import set_data
from workbook_templates.reader import WorkbookReadError, formula_cells
from workbook_templates.template import META_SHEET, resolve_password

# Sheets the template protects without a password; the others use $TOMSYNC_SHEET_PASSWORD.
_NO_PASSWORD = (META_SHEET, "Guide")


def split_cell(cell: str) -> tuple[int, int]:
    """'L14' -> (14, 12): row and column, 1-based."""
    letters, row = coordinate_from_string(cell.replace("$", ""))
    return row, column_index_from_string(letters)


def cell_name(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in a reference: always quoted, inner quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


@runtime_checkable
class WorkbookSurface(Protocol):
    """What the ribbon macros need from a workbook, whether a file on disk or a book open in Excel."""

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
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise WorkbookReadError(f"{self.path}: the workbook cannot be read ({first})") from None
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
        r0, c0 = split_cell(top_left)
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


# -- a book open in Excel (desktop COM, or an Office.js request through xlwings Server) ----------------

def as_text_for_excel(value: Any) -> Any:
    """Text as Excel must be given it to keep it text: Excel (and Office.js) parse what they are given
    like typing, turning "2026-03" into a date, "1" into a number and "=x" into a formula; a leading
    apostrophe stops that and is not part of the value."""
    if isinstance(value, str) and value:
        return "'" + value
    return value


def _excel_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class XlwingsSurface:
    """An `xlwings.Book`: desktop Excel through COM, or xlwings Server's book from an Office.js payload.

    Sheets the template protects are unprotected just before the first write to them and protected
    again in `save` with the same allowances (filter, sort, column widths), using
    $TOMSYNC_SHEET_PASSWORD (or ``password``). On Office.js that is done by the add-in's own
    ``tomUnprotect`` / ``tomReprotect`` callbacks (xl_addin/officejs/static/js/ribbon.js), which only
    re-protect sheets that were protected. The book is not saved: the user saves, as in any Excel edit.
    """

    def __init__(self, book: Any, password: str | None = None, remote: bool | None = None) -> None:
        self.book = book
        self.password = password
        if remote is None:
            remote = type(getattr(book, "impl", None)).__module__.endswith("_xlremote")
        self.remote = remote
        self._added: set[str] = set()
        self._unprotected: list[str] = []
        self._checked: set[str] = set()

    @property
    def name(self) -> str:
        return str(self.book.name)

    @property
    def folder(self) -> Path | None:
        """The book's folder when Excel has it saved locally (never on Office.js)."""
        if self.remote:
            return None
        full = Path(str(getattr(self.book, "fullname", "") or ""))
        return full.parent if full.is_absolute() and full.parent.is_dir() else None

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _sheet(self, name: str) -> Any:
        return self.book.sheets[name]

    def read(self, sheet: str) -> list[list[Any]]:
        sh = self._sheet(sheet)
        last = sh.used_range.last_cell
        values = sh.range((1, 1), (last.row, last.column)).options(ndim=2).value
        return [list(row) for row in values or []]

    def formula_cells(self, sheet: str) -> set[str]:
        if self.remote:
            return set()  # Office.js sends values only; the formula rule needs the file (CLI)
        sh = self._sheet(sheet)
        last = sh.used_range.last_cell
        formulas = sh.range((1, 1), (last.row, last.column)).formula
        if isinstance(formulas, str):
            formulas = ((formulas,),)
        return {cell_name(r, c) for r, row in enumerate(formulas, start=1) for c, f in enumerate(row, start=1)
                if isinstance(f, str) and f.startswith("=")}

    # protection ---------------------------------------------------------------------------------
    def _password(self, sheet: str) -> str:
        return "" if sheet in _NO_PASSWORD else (resolve_password(self.password) or "")

    def _editable(self, sheet: str) -> None:
        """Lift the sheet's protection before the first write to it (added sheets have none)."""
        if sheet in self._checked or sheet in self._added:
            return
        self._checked.add(sheet)
        if self.remote:
            self.book.app.macro("tomUnprotect")(sheet, self._password(sheet))
            self._unprotected.append(sheet)
            return
        api = self._sheet(sheet).api
        if api.ProtectContents:
            api.Unprotect(self._password(sheet))
            self._unprotected.append(sheet)

    # writes -------------------------------------------------------------------------------------
    def write_values(self, sheet: str, top_left: str, rows: Sequence[Sequence[Any]]) -> None:
        """Strings go in with Excel's text prefix ('), so "2026-03" or "=x" stay the text typed."""
        if not rows:
            return
        self._editable(sheet)
        width = max(len(r) for r in rows)
        block = [[as_text_for_excel(v) for v in row] + [None] * (width - len(row)) for row in rows]
        self._sheet(sheet).range(top_left).value = block

    def set_fill(self, sheet: str, cells: Iterable[str], colour: str | None) -> None:
        self._editable(sheet)
        sh = self._sheet(sheet)
        for cell in cells:
            sh.range(cell).color = f"#{colour}" if colour else None

    def set_font(self, sheet: str, cells: Iterable[str], colour: str | None = None,
                 bold: bool = False) -> None:
        self._editable(sheet)
        sh = self._sheet(sheet)
        for cell in cells:
            font = sh.range(cell).font
            font.color = f"#{colour or '000000'}"
            font.bold = bold

    def set_note(self, sheet: str, cell: str, text: str | None) -> None:
        self._editable(sheet)
        rng = self._sheet(sheet).range(cell)
        note = rng.note
        if text is None:
            if note is not None:
                note.delete()
        elif note is not None:
            note.text = text
        else:
            rng.add_note(text)

    def add_sheet(self, name: str, replace: bool = True) -> None:
        names = self.sheet_names()
        if name in names:
            if not replace:
                return
            self._sheet(name).delete()
            names.remove(name)
        self.book.sheets.add(name, after=self.book.sheets[names[-1]] if names else None)
        self._added.add(name)

    def hyperlink(self, sheet: str, cell: str, target: str, text: str) -> None:
        # HYPERLINK works the same in every Excel (desktop, Mac, web) and survives copy and sort.
        self._editable(sheet)
        link = f"=HYPERLINK({_excel_string('#' + target)},{_excel_string(text)})"
        self._sheet(sheet).range(cell).formula = link

    def save(self) -> None:
        """Protect again what was unprotected; leave saving the book to the user."""
        if self.remote:
            if self._unprotected:
                self.book.app.macro("tomReprotect")()
        else:
            for sheet in self._unprotected:
                self._sheet(sheet).api.Protect(Password=self._password(sheet), DrawingObjects=True,
                                               Contents=True, Scenarios=True, AllowFormattingColumns=True,
                                               AllowSorting=True, AllowFiltering=True)
        self._unprotected.clear()
        self._checked.clear()
