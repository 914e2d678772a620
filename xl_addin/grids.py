"""`WorkbookData` from a `WorkbookSurface`, so a workbook open in Excel is checked exactly like a file.

`workbook_templates.reader.read_workbook` reads a file with calamine; the add-in has no file, only the
values Excel hands over (an Office.js payload, a COM range). Rather than re-implement the reader, this
hands the reader's own `read_meta` and row builder a calamine-like view of the surface's value grids,
so the embedded spec, the `_tom` keys and the typed rows come out of the same code on both paths and
`validate` / `rollup_workbook` give identical results (tests hold that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbook_templates import reader
from workbook_templates.reader import WorkbookData
from xl_addin.surface import WorkbookSurface


class _Sheet:
    def __init__(self, grid: list[list[Any]]) -> None:
        self._grid = grid

    def to_python(self, skip_empty_area: bool = False) -> list[list[Any]]:
        return self._grid


class GridBook:
    """The two calls the reader makes on a `python_calamine.CalamineWorkbook`, answered by a surface."""

    def __init__(self, surface: WorkbookSurface) -> None:
        self.surface = surface
        self.sheet_names = surface.sheet_names()

    def get_sheet_by_name(self, name: str) -> _Sheet:
        return _Sheet([["" if v is None else v for v in row] for row in self.surface.read(name)])


def workbook_data(surface: WorkbookSurface) -> WorkbookData:
    """Every tab the spec knows, as typed rows, read through the surface (no file needed)."""
    folder = surface.folder
    where = Path(surface.name)

    def formulas(tabs: list[str]) -> dict[str, set[str]]:
        return {name: cells for name in tabs if (cells := surface.formula_cells(name))}

    return reader.workbook_data(GridBook(surface), (folder / where) if folder else where, formulas)
