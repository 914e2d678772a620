"""The workbook's cycle stamp: which month (YYYY-MM) the workbook is in, kept in its `_tom` sheet.

Validate's stale check runs for the stamped month when none is given, so a workbook open in Excel
knows its cycle without the sync layer. The ribbon's New month button is a line over `stamp_cycle`.
"""

from __future__ import annotations

from workbook_templates.layout import META_SHEET
from workbook_templates.surface import WorkbookSurface
from workbook_templates.validate import cycle_of, parse_month


def stamp_cycle(surface: WorkbookSurface, month: str) -> str | None:
    """Write ``month`` as the workbook's cycle and save; returns the cycle it replaced, if any.
    ValueError with a plain message when ``month`` is not YYYY-MM."""
    parse_month(month)
    grid = surface.read(META_SHEET)
    row = next((i for i, r in enumerate(grid, start=1) if r and str(r[0] or "") == "cycle"), None)
    old = None
    if row is None:
        surface.write_values(META_SHEET, f"A{len(grid) + 1}", [["cycle", month]])
    else:
        old = cycle_of({"cycle": str(grid[row - 1][1] if len(grid[row - 1]) > 1 else "")})
        surface.write_values(META_SHEET, f"B{row}", [[month]])
    surface.save()
    return old
