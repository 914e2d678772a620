"""Refresh the Summary tab with computed roll-ups, beside the native formulas that stay in place.

The native COUNTIF block (columns A-F) works in any Excel; this adds the richer view the add-in and
`tomsync rollup --write` compute: the rolled-up RAG per group under the spec's rule, coloured, with
the time of the refresh. Everything else in the workbook (protection, validation, formatting) is
kept, because the workbook is loaded and saved whole and replaced atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.reader import WorkbookReadError
from workbook_templates.rollup import RollupResult
from workbook_templates.template import HEADER_FILL, HEADER_FONT, RAG_FILLS

FIRST_COL = 8  # column H
WIDTH = 7


def _clear(ws: Worksheet) -> None:
    for row in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1), min_col=FIRST_COL,
                            max_col=FIRST_COL + WIDTH):
        for cell in row:
            cell.value = None
            cell.fill = PatternFill()
            cell.font = Font()


def write_rollups(ws: Worksheet, results: Sequence[RollupResult], when: datetime | None = None) -> None:
    """Write one table per roll-up into the Summary sheet ``ws`` (columns H onwards)."""
    _clear(ws)
    when = when or datetime.now(UTC)
    rule = results[0].rule if results else "score"
    title = ws.cell(row=1, column=FIRST_COL, value=f"Rolled-up RAG (rule: {rule})")
    title.font = Font(bold=True, size=12)
    ws.cell(row=2, column=FIRST_COL, value=f"Refreshed {when:%Y-%m-%d %H:%M} UTC by tomsync")
    row = 4
    for result in results:
        heads = [" / ".join(b.capitalize() for b in result.by), "R", "A", "G", "Unrated", "RAG"]
        for i, h in enumerate(heads):
            c = ws.cell(row=row, column=FIRST_COL + i, value=h)
            c.fill, c.font = HEADER_FILL, HEADER_FONT
        for g in [*result.groups, result.overall]:
            row += 1
            label = " / ".join(g.key.values()) if g.key else "All"
            values = [label, g.R, g.A, g.G, g.unrated, g.rag]
            for i, v in enumerate(values):
                ws.cell(row=row, column=FIRST_COL + i, value=v)
            if g.rag in RAG_FILLS:
                fill, font = RAG_FILLS[g.rag]
                c = ws.cell(row=row, column=FIRST_COL + 5)
                c.fill = PatternFill("solid", start_color=fill, end_color=fill)
                c.font = Font(color=font, bold=True)
            if not g.key:
                ws.cell(row=row, column=FIRST_COL).font = Font(bold=True)
        row += 2
    ws.column_dimensions["H"].width = 40


def refresh_summary_file(path: str | Path, results: Sequence[RollupResult]) -> None:
    """Load the workbook whole, rewrite the computed block of its Summary tab, replace it atomically."""
    wb = load_workbook(path)
    if "Summary" not in wb.sheetnames:
        raise WorkbookReadError(f"{path}: no Summary tab to refresh")
    write_rollups(wb["Summary"], results)
    save_workbook_atomic(wb, path)
