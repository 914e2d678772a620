"""`XlwingsSurface`: the `WorkbookSurface` of a book open in Excel, the add-in's host.

Desktop Excel through COM (with the free xlwings add-in), or the book xlwings Server builds from an
Office.js request (``xw.Book(json=...)``), where every write becomes an action that the add-in
replays in Excel. The protocol and the on-disk surface live in `workbook_templates.surface`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from workbook_templates.layout import GUIDE, META_SHEET, a1
from workbook_templates.template import resolve_password

# Sheets the template protects without a password; the others use $TOMSYNC_SHEET_PASSWORD.
_NO_PASSWORD = (META_SHEET, GUIDE)
# Said once, after the button's own line, when Excel could not take the notes (ExcelApi below 1.18).
NOTES_SKIPPED = ("cell notes skipped: this Excel has no notes API (ExcelApi 1.18, Microsoft 365); "
                 "the Issues tab lists every finding")


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
        self.notes_skipped = 0  # notes this Excel could not take (see `notes_supported`)

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
        return {a1(r, c) for r, row in enumerate(formulas, start=1) for c, f in enumerate(row, start=1)
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

    def notes_supported(self, sheet: str) -> bool:
        """False on Excel without the notes API (ExcelApi below 1.18: Excel 2021/2024, older 365 builds):
        xlwings.js says so per sheet (``notes_supported`` in the book it posts)."""
        if not self.remote:
            return True
        api = getattr(self._sheet(sheet), "api", None)
        return not (isinstance(api, dict) and api.get("notes_supported") is False)

    def set_note(self, sheet: str, cell: str, text: str | None) -> None:
        """The note on one cell; skipped (and counted in ``notes_skipped``) where Excel has no notes."""
        if not self.notes_supported(sheet):
            self.notes_skipped += 1
            return
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
