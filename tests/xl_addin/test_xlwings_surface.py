"""`XlwingsSurface` over desktop Excel's COM book, unit-tested with a fake that answers the xlwings calls
the surface makes (Excel itself is not on Linux); `OpenpyxlSurface` details the macros rely on."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import python_calamine
from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_to_tuple as split_cell

from tests.workbook_templates.test_annotate import counts
from tests.xl_addin.conftest import MONTH, PASSWORD, TODAY
from workbook_templates.reader import read_workbook
from workbook_templates.surface import OpenpyxlSurface, WorkbookSurface, read_surface
from workbook_templates.validate import validate
from xl_addin import ribbon
from xl_addin.xlwings_surface import XlwingsSurface


class FakeNote:
    def __init__(self, rng: FakeRange, text: str) -> None:
        self.rng, self.text = rng, text

    def delete(self) -> None:
        del self.rng.sheet.notes[self.rng.address]


class FakeFont:
    def __init__(self) -> None:
        self.color: str | None = None
        self.bold = False


class FakeRange:
    """A rectangle of a FakeSheet, answering like xlwings.Range on Windows."""

    def __init__(self, sheet: FakeSheet, first: tuple[int, int], last: tuple[int, int]) -> None:
        self.sheet, self.first, self.last = sheet, first, last
        self.address = f"{first}:{last}"
        self.ndim: int | None = None

    def options(self, ndim: int | None = None) -> FakeRange:
        self.ndim = ndim
        return self

    def _block(self, grid: dict[tuple[int, int], Any]) -> Any:
        (r1, c1), (r2, c2) = self.first, self.last
        rows = [[grid.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        return rows if self.ndim == 2 or len(rows) > 1 or len(rows[0]) > 1 else rows[0][0]

    @property
    def value(self) -> Any:
        return self._block(self.sheet.values)

    @value.setter
    def value(self, rows: Any) -> None:
        self.sheet.log.append(("value", self.first, rows))
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("'"):
                    v = v[1:]  # as in Excel: a leading apostrophe marks text and is not part of the value
                self.sheet.values[(self.first[0] + i, self.first[1] + j)] = v

    @property
    def formula(self) -> Any:
        return self._block(self.sheet.formulas)

    @formula.setter
    def formula(self, text: str) -> None:
        self.sheet.log.append(("formula", self.first, text))
        self.sheet.formulas[self.first] = text

    @property
    def color(self) -> Any:
        return self.sheet.fills.get(self.address)

    @color.setter
    def color(self, value: str | None) -> None:
        self.sheet.log.append(("color", self.address, value))
        self.sheet.fills[self.address] = value

    @property
    def font(self) -> FakeFont:
        return self.sheet.fonts.setdefault(self.address, FakeFont())

    @property
    def note(self) -> FakeNote | None:
        return self.sheet.notes.get(self.address)

    def add_note(self, text: str) -> FakeNote:
        note = self.sheet.notes[self.address] = FakeNote(self, text)
        return note

    @property
    def last_cell(self) -> Any:
        return type("Cell", (), {"row": self.last[0], "column": self.last[1]})()


class FakeApi:
    def __init__(self, protected: bool) -> None:
        self.ProtectContents = protected
        self.calls: list[tuple[str, Any]] = []

    def Unprotect(self, password: str) -> None:  # noqa: N802 - the COM name
        self.calls.append(("Unprotect", password))
        self.ProtectContents = False

    def Protect(self, **kwargs: Any) -> None:  # noqa: N802
        self.calls.append(("Protect", kwargs))
        self.ProtectContents = True


class FakeSheet:
    def __init__(self, book: FakeBook, name: str, grid: list[list[Any]], protected: bool = False) -> None:
        self.book, self.name = book, name
        self.values = {(r, c): v for r, row in enumerate(grid, 1) for c, v in enumerate(row, 1)
                       if v is not None}
        self.formulas: dict[tuple[int, int], str] = {}
        self.fills: dict[str, str | None] = {}
        self.fonts: dict[str, FakeFont] = {}
        self.notes: dict[str, FakeNote] = {}
        self.api = FakeApi(protected)
        self.log: list[tuple[Any, ...]] = []

    def range(self, a: Any, b: Any = None) -> FakeRange:
        if isinstance(a, str):
            parts = a.split(":")
            first = split_cell(parts[0])
            return FakeRange(self, first, split_cell(parts[1]) if len(parts) > 1 else first)
        return FakeRange(self, a, b or a)

    @property
    def used_range(self) -> FakeRange:
        keys = list(self.values) + list(self.formulas) or [(1, 1)]
        return FakeRange(self, (1, 1), (max(r for r, _ in keys), max(c for _, c in keys)))

    def delete(self) -> None:
        self.book.sheets.items.remove(self)


class FakeSheets:
    def __init__(self, book: FakeBook) -> None:
        self.book = book
        self.items: list[FakeSheet] = []

    def __iter__(self) -> Any:
        return iter(list(self.items))

    def __getitem__(self, name: str) -> FakeSheet:
        return next(s for s in self.items if s.name == name)

    def add(self, name: str, after: FakeSheet | None = None) -> FakeSheet:
        sheet = FakeSheet(self.book, name, [])
        self.items.insert(self.items.index(after) + 1 if after else len(self.items), sheet)
        return sheet


class FakeBook:
    """What XlwingsSurface uses of an xlwings.Book on Windows."""

    def __init__(self, fullname: str) -> None:
        self.fullname = fullname
        self.name = Path(fullname).name
        self.sheets = FakeSheets(self)
        self.impl = object()  # not the remote engine


def com_book(path: Path) -> FakeBook:
    """The workbook as desktop Excel would show it through COM: dates as datetime, blanks as None."""
    data = path.read_bytes()
    values = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    wb = load_workbook(io.BytesIO(data))
    book = FakeBook(str(path))
    for name in wb.sheetnames:
        grid = [[None if v == "" else dt.datetime(v.year, v.month, v.day) if type(v) is dt.date else v
                 for v in row] for row in values.get_sheet_by_name(name).to_python(skip_empty_area=False)]
        book.sheets.items.append(FakeSheet(book, name, grid, protected=wb[name].protection.sheet))
    return book


def test_both_surfaces_satisfy_the_protocol(demo: Path) -> None:
    assert isinstance(OpenpyxlSurface(demo), WorkbookSurface)
    assert isinstance(XlwingsSurface(com_book(demo)), WorkbookSurface)


def test_validate_over_excel_finds_what_the_reader_finds(demo: Path, gatsby: Path) -> None:
    for path in (demo, gatsby):
        assert validate(read_surface(XlwingsSurface(com_book(path))), MONTH, TODAY) == \
            validate(read_workbook(path), MONTH, TODAY)


def test_read_and_formula_cells(demo: Path) -> None:
    book = com_book(demo)
    surface = XlwingsSurface(book)
    book.sheets["Kelso High"].formulas[(20, 10)] = "=A1"
    assert surface.read("Master")[0][:2] == ["ID", "Theme"]
    assert surface.formula_cells("Kelso High") == {"J20"}
    assert surface.folder == demo.parent and surface.name == demo.name


def test_writes_lift_and_restore_protection_with_the_password(demo: Path, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("TOMSYNC_SHEET_PASSWORD", PASSWORD)
    book = com_book(demo)
    surface = XlwingsSurface(book)
    surface.set_fill("Hawick High", ["J5"], "FF7C80")
    surface.set_note("Hawick High", "J5", "tomsync: why")
    surface.write_values("_tom", "B5", [["2026-11"]])
    hawick, meta = book.sheets["Hawick High"].api, book.sheets["_tom"].api
    assert hawick.calls == [("Unprotect", PASSWORD)] and not hawick.ProtectContents
    assert meta.calls == [("Unprotect", "")]  # the template protects _tom without a password
    surface.save()
    assert hawick.calls[1][0] == "Protect" and hawick.calls[1][1]["Password"] == PASSWORD
    assert hawick.calls[1][1]["AllowFiltering"] and hawick.calls[1][1]["AllowSorting"]
    assert meta.calls[1] == ("Protect", {**hawick.calls[1][1], "Password": ""})
    assert hawick.ProtectContents and meta.ProtectContents


def test_text_goes_in_as_text(demo: Path) -> None:
    book = com_book(demo)
    surface = XlwingsSurface(book)
    surface.add_sheet("Issues")
    surface.write_values("Issues", "A1", [["2026-11", "=x", 3, None], ["M04"]])
    sheet = book.sheets["Issues"]
    assert sheet.log == [("value", (1, 1), [["'2026-11", "'=x", 3, None], ["'M04", None, None, None]])]
    assert sheet.values[(1, 1)] == "2026-11" and sheet.values[(1, 2)] == "=x" and sheet.values[(1, 3)] == 3
    assert sheet.api.calls == []  # an added sheet is not protected


def test_notes_fills_fonts_links_and_replacing_a_sheet(demo: Path) -> None:
    book = com_book(demo)
    surface = XlwingsSurface(book)
    surface.set_note("Kelso High", "I5", "one")
    surface.set_note("Kelso High", "I5", "two")
    sheet = book.sheets["Kelso High"]
    assert [n.text for n in sheet.notes.values()] == ["two"]
    surface.set_note("Kelso High", "I5", None)
    surface.set_note("Kelso High", "I6", None)  # no note there: nothing to do
    assert sheet.notes == {}
    surface.set_fill("Kelso High", ["I5", "H1:M1"], None)
    surface.set_font("Kelso High", ["H1:M1"], "FFFFFF", bold=True)
    assert sheet.fills == {"(5, 9):(5, 9)": None, "(1, 8):(1, 13)": None}
    assert sheet.fonts["(1, 8):(1, 13)"].color == "#FFFFFF" and sheet.fonts["(1, 8):(1, 13)"].bold
    surface.add_sheet("Issues")
    surface.hyperlink("Issues", "B2", "'Peebles High'!A15", "A15")
    surface.hyperlink("Issues", "B3", "'Bob''s \"School\"'!A1", "A1")
    issues = book.sheets["Issues"]
    assert issues.formulas[(2, 2)] == "=HYPERLINK(\"#'Peebles High'!A15\",\"A15\")"
    assert issues.formulas[(3, 2)] == "=HYPERLINK(\"#'Bob''s \"\"School\"\"'!A1\",\"A1\")"
    names = [s.name for s in book.sheets]
    assert names[-1] == "Issues"
    issues.values[(1, 1)] = "old"
    surface.add_sheet("Issues")
    assert [s.name for s in book.sheets] == names and book.sheets["Issues"].values == {}
    surface.add_sheet("Issues", replace=False)
    assert [s.name for s in book.sheets] == names


def test_validate_macro_over_excel_marks_and_lists(demo: Path) -> None:
    book = com_book(demo)
    ribbon.new_month(XlwingsSurface(book), MONTH)
    message = ribbon.validate_workbook(XlwingsSurface(book), today=TODAY)
    assert message == f"scottish-tom.xlsx: {counts(demo, MONTH, TODAY)}: see the Issues tab"
    issues = book.sheets["Issues"]
    assert issues.values[(1, 1)] == "Sheet"
    eyemouth = [r for (r, c), v in issues.values.items() if c == 1 and v == "Eyemouth High"]
    assert "=HYPERLINK(\"#'Eyemouth High'!J5\",\"J5\")" in [issues.formulas.get((r, 2)) for r in eyemouth]
    hawick = book.sheets["Hawick High"]
    assert hawick.fills["(5, 10):(5, 10)"] == "#FF7C80"
    assert hawick.notes["(5, 10):(5, 10)"].text.startswith("tomsync: rated R")
    assert hawick.api.ProtectContents  # protected again at the end
    ribbon.validate_workbook(XlwingsSurface(book), today=TODAY)
    assert hawick.log.count(("color", "(5, 10):(5, 10)", None)) == 1  # cleared once, then marked again
    assert hawick.fills["(5, 10):(5, 10)"] == "#FF7C80"
    assert book.sheets["Jedburgh Grammar"].log.count(("color", "(2, 3):(2, 3)", "#F2F2F2")) == 1


def test_remote_flag_is_found_from_the_book() -> None:
    assert XlwingsSurface(FakeBook("/tmp/x.xlsx")).remote is False
    assert XlwingsSurface(FakeBook("x.xlsx"), remote=True).folder is None
