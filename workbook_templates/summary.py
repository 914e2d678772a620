"""The computed roll-up block of the Summary tab, beside the native formulas that stay in place.

The native COUNTIFS block (columns A-F) works in any Excel; this is the richer view the add-in's
Roll up button and `tomsync rollup --write` compute: the rolled-up RAG per group under the spec's
rule, coloured, with the time of the refresh. `summary_block` is pure layout (values anchored at H1
plus the cells to colour); `write_summary` puts it through any `WorkbookSurface`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbook_templates.layout import HEADER_COLOUR, HEADER_FONT_COLOUR, RAG_FILLS, SUMMARY, a1
from workbook_templates.package import refuse_unwritable
from workbook_templates.rollup import RollupResult, rollups
from workbook_templates.surface import PackageSurface, WorkbookSurface, read_surface

FIRST_COL = 8  # column H
WIDTH = 7

Format = tuple[str, str | None, str | None, bool]  # A1 range, fill colour, font colour, bold

__all__ = ["FIRST_COL", "WIDTH", "HEADER_COLOUR", "Format", "summary_block", "write_summary",
           "refresh_summary", "write_summary_file"]


def summary_block(results: Sequence[RollupResult], when: datetime | None = None
                  ) -> tuple[list[list[Any]], list[Format]]:
    """One table per roll-up as a value grid anchored at H1, and the formats to apply."""
    when = when or datetime.now(UTC)
    rule = results[0].rule if results else "score"
    grid: list[list[Any]] = [[f"Rolled-up RAG (rule: {rule})"],
                             [f"Refreshed {when:%Y-%m-%d %H:%M} UTC by tomsync"], []]
    formats: list[Format] = [(a1(1, FIRST_COL), None, None, True)]
    for result in results:
        row = len(grid) + 1
        grid.append([" / ".join(b.capitalize() for b in result.by), "R", "A", "G", "Unrated", "RAG"])
        formats.append((f"{a1(row, FIRST_COL)}:{a1(row, FIRST_COL + 5)}", HEADER_COLOUR,
                        HEADER_FONT_COLOUR, True))
        for g in [*result.groups, result.overall]:
            row = len(grid) + 1
            grid.append([" / ".join(g.key.values()) if g.key else "All", g.R, g.A, g.G, g.unrated, g.rag])
            if g.rag in RAG_FILLS:
                fill, font = RAG_FILLS[g.rag]
                formats.append((a1(row, FIRST_COL + 5), fill, font, True))
            if not g.key:
                formats.append((a1(row, FIRST_COL), None, None, True))
        grid.append([])
    width = WIDTH + 1
    return [r + [None] * (width - len(r)) for r in grid], formats


def write_summary(surface: WorkbookSurface, results: Sequence[RollupResult], when: datetime | None = None
                  ) -> None:
    """Clear the computed block of the Summary tab and write the roll-ups there (not saved)."""
    if SUMMARY not in surface.sheet_names():
        raise ValueError(f"{surface.name}: no {SUMMARY} tab to refresh")
    grid, formats = summary_block(results, when)
    used = max(len(surface.read(SUMMARY)), len(grid), 1)
    area = f"{a1(1, FIRST_COL)}:{a1(used, FIRST_COL + WIDTH)}"
    surface.write_values(SUMMARY, a1(1, FIRST_COL), [[None] * (WIDTH + 1) for _ in range(used)])
    surface.set_fill(SUMMARY, [area], None)
    surface.set_font(SUMMARY, [area], None, bold=False)
    surface.write_values(SUMMARY, a1(1, FIRST_COL), grid)
    for ref, fill, font, bold in formats:
        if fill:
            surface.set_fill(SUMMARY, [ref], fill)
        surface.set_font(SUMMARY, [ref], font, bold)


def refresh_summary(surface: WorkbookSurface, by: Sequence[str] | None = None, rule: str | None = None
                    ) -> list[RollupResult]:
    """Roll the workbook up (one table per grouping: ``by``, else the spec's, else school), write the
    block and save; returns the roll-ups."""
    data = read_surface(surface)
    groupings = [[b] for b in by] if by else [[b] for b in data.spec.rollup.by] or [["school"]]
    results = rollups(data, groupings, rule)
    write_summary(surface, results)
    surface.save()
    return results


def write_summary_file(path: str | Path, results: Sequence[RollupResult]) -> None:
    """`tomsync rollup --write`: computed roll-ups into the file's Summary tab (replaced atomically)."""
    refuse_unwritable(path)  # open in Excel or read-only: refused before any work (issues 8, 9)
    surface = PackageSurface(path)
    write_summary(surface, results)
    surface.save()
