"""`WorkbookData` from value grids, so a workbook open in Excel is checked exactly like a file.

`workbook_templates.reader.read_workbook` reads a file with calamine; the add-in has no file, only the
values Excel hands over (an Office.js payload, a COM range). This builds the same `WorkbookData` from
any `WorkbookSurface` with the reader's own `normalise`, `read_meta` rules and row-skipping, so
`validate` and `rollup_workbook` give identical results on both paths (tests hold that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbook_templates.reader import Row, SheetRows, WorkbookData, WorkbookReadError, normalise
from workbook_templates.spec import Spec, SpecError, loads_spec
from workbook_templates.template import CURRENT_RAG, META_FORMAT, META_SHEET
from xl_addin.surface import WorkbookSurface


def meta_from_grid(grid: list[list[Any]], where: str) -> tuple[dict[str, str], Spec]:
    """The `_tom` sheet's keys (column A) and values (B onwards, joined) and the embedded spec."""
    meta: dict[str, str] = {}
    for row in grid:
        if row and row[0]:
            meta[str(row[0])] = "".join(str(v) for v in row[1:] if v not in (None, ""))
    if meta.get("format") != META_FORMAT:
        raise WorkbookReadError(f"{where}: unknown workbook format {meta.get('format')!r}")
    try:
        spec = loads_spec(meta.get("spec", ""), source=f"{where} ({META_SHEET} sheet)")
    except SpecError as exc:
        raise WorkbookReadError(str(exc)) from None
    return meta, spec


def sheet_rows_from_grid(name: str, grid: list[list[Any]], spec: Spec, master_ids: set[str]) -> SheetRows:
    """Typed rows of one tab: header on row 1, empty rows skipped, values normalised by column kind."""
    headers = [str(h).strip() if h is not None else "" for h in (grid[0] if grid else [])]
    kinds = {c.header: c.kind for c in spec.columns}
    kinds[CURRENT_RAG] = "rag"
    cols = [(i, h, kinds.get(h, "text")) for i, h in enumerate(headers) if h]
    rows = []
    for r, raw in enumerate(grid[1:], start=2):
        values: dict[str, Any] = {}
        used = False
        for i, h, kind in cols:
            v = normalise(raw[i], kind) if i < len(raw) else None
            values[h] = v
            if v is not None and h != CURRENT_RAG:
                used = True
        if used:
            rid = values.get(spec.id_header)
            rows.append(Row(name, r, values, is_master=rid is not None and str(rid) in master_ids))
    return SheetRows(name, headers, rows)


def workbook_data(surface: WorkbookSurface) -> WorkbookData:
    """Every tab the spec knows, as typed rows, read through the surface (no file needed)."""
    where = surface.name
    names = surface.sheet_names()
    if "Master" not in names:
        raise WorkbookReadError(f"{where}: no Master tab; this is not a TOM workbook")
    if META_SHEET not in names:
        raise WorkbookReadError(f"{where}: not a tomsync workbook (no {META_SHEET} sheet); "
                                "build it with 'tomsync template build'")
    meta, spec = meta_from_grid(surface.read(META_SHEET), where)
    master_ids = {str(row[spec.id_header]) for row in spec.master}
    master = sheet_rows_from_grid("Master", surface.read("Master"), spec, master_ids)
    schools = {s.sheet: sheet_rows_from_grid(s.sheet, surface.read(s.sheet), spec, master_ids)
               for s in spec.schools if s.sheet in names}
    formulas = {name: cells for name in schools if (cells := surface.formula_cells(name))}
    folder = surface.folder
    return WorkbookData((folder / where) if folder else Path(where), spec, meta, names, master, schools,
                        formulas)
