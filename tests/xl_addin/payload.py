"""The JSON the xlwings Office.js client posts for a workbook, built from a real .xlsx file.

Shaped like `getBookData` in xlwings Server's static/js/custom-scripts/index.js: every sheet (hidden and
very hidden ones too) with its values from A1 to the last used cell, blanks as "", date cells as ISO
strings (the client converts date-formatted numbers), numbers as floats, and the addresses of notes.
Values come from calamine: the cached values Excel would show.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import python_calamine
import xlwings
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

VISIBILITY = {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def payload_from_xlsx(path: Path, active: int = 0) -> dict[str, Any]:
    data = Path(path).read_bytes()
    values_book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    wb = load_workbook(io.BytesIO(data))
    sheets = []
    for name in wb.sheetnames:
        ws = wb[name]
        grid = values_book.get_sheet_by_name(name).to_python(skip_empty_area=False) or [[""]]
        width = max(1, max(len(r) for r in grid))
        values = [[_cell(v) for v in list(row) + [""] * (width - len(row))] for row in grid]
        notes = [{"address": f"${c.column_letter}${c.row}"}
                 for row in ws.iter_rows() for c in row if c.comment]
        last = f"${get_column_letter(width)}${len(values)}"
        sheets.append({
            "name": name, "visibility": VISIBILITY[ws.sheet_state], "show_gridlines": True,
            "print_area": None, "notes": notes, "notes_supported": True, "used_range_address": f"$A$1:{last}",
            "used_range_row_count": len(values), "used_range_column_count": width, "values": values,
            "pictures": [], "shapes": [], "charts": [], "tables": [], "pivot_tables": [],
        })
    return {
        "client": "Office.js",
        "version": xlwings.__version__,
        "book": {"name": Path(path).name, "active_sheet_index": active, "selection": "A1",
                 "calculation": "Automatic"},
        "names": [],
        "sheets": sheets,
    }
