"""The openpyxl surface: a workbook file read like the reader reads it, written as data, saved atomically."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from workbook_templates.surface import OpenpyxlSurface, WorkbookSurface


def test_the_openpyxl_surface_satisfies_the_protocol(demo: Path) -> None:
    assert isinstance(OpenpyxlSurface(demo), WorkbookSurface)


def test_openpyxl_surface_reads_back_its_own_writes(demo: Path) -> None:
    surface = OpenpyxlSurface(demo)
    surface.write_values("Kelso High", "J20", [["=not a formula", 5]])
    assert surface.read("Kelso High")[19][9:11] == ["=not a formula", 5]
    assert surface.formula_cells("Kelso High") == set()
    surface.save()
    assert load_workbook(demo)["Kelso High"]["J20"].data_type == "s"
