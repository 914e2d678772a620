"""The computed roll-up block of the Summary tab, beside the native formulas that stay in place.

The native COUNTIFS block (columns A-F) works in any Excel; this is the richer view the add-in's
Roll up button and `tomsync rollup --write` compute (both through `xl_addin.ribbon`, over a workbook
surface): the rolled-up RAG per group under the spec's rule, coloured, with the time of the refresh.
Pure layout: values anchored at H1 plus the cells to colour, so any surface can write it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl.utils import get_column_letter

from workbook_templates.rollup import RollupResult
from workbook_templates.template import HEADER_FILL, RAG_FILLS

FIRST_COL = 8  # column H
WIDTH = 7
HEADER_COLOUR = str(HEADER_FILL.start_color.rgb)[-6:]
HEADER_FONT_COLOUR = "FFFFFF"

Format = tuple[str, str | None, str | None, bool]  # A1 range, fill colour, font colour, bold


def cell_name(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def summary_block(results: Sequence[RollupResult], when: datetime | None = None
                  ) -> tuple[list[list[Any]], list[Format]]:
    """One table per roll-up as a value grid anchored at H1, and the formats to apply."""
    when = when or datetime.now(UTC)
    rule = results[0].rule if results else "score"
    grid: list[list[Any]] = [[f"Rolled-up RAG (rule: {rule})"],
                             [f"Refreshed {when:%Y-%m-%d %H:%M} UTC by tomsync"], []]
    formats: list[Format] = [(cell_name(1, FIRST_COL), None, None, True)]
    for result in results:
        row = len(grid) + 1
        grid.append([" / ".join(b.capitalize() for b in result.by), "R", "A", "G", "Unrated", "RAG"])
        formats.append((f"{cell_name(row, FIRST_COL)}:{cell_name(row, FIRST_COL + 5)}", HEADER_COLOUR,
                        HEADER_FONT_COLOUR, True))
        for g in [*result.groups, result.overall]:
            row = len(grid) + 1
            grid.append([" / ".join(g.key.values()) if g.key else "All", g.R, g.A, g.G, g.unrated, g.rag])
            if g.rag in RAG_FILLS:
                fill, font = RAG_FILLS[g.rag]
                formats.append((cell_name(row, FIRST_COL + 5), fill, font, True))
            if not g.key:
                formats.append((cell_name(row, FIRST_COL), None, None, True))
        grid.append([])
    width = WIDTH + 1
    return [r + [None] * (width - len(r)) for r in grid], formats
