"""Writing what people typed into a workbook: always as data, never as a formula.

openpyxl treats any string starting with "=" as a formula. A school's note that begins with "=" (or
a hostile "=HYPERLINK(...)") copied into another workbook must stay text, so every copy of typed
values goes through `set_data`.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell


def set_data(cell: Cell, value: Any) -> None:
    """Write ``value`` as a literal: text that looks like a formula is stored as text."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
