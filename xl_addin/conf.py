"""The `xlwings.conf` sheet: how the free xlwings add-in for Excel on Windows finds the TOM functions.

With the sheet in the workbook, the xlwings ribbon's "Import Functions" registers TOM_RAG, TOM_SCORE,
TOM_ROLLUP, TOM_CHECK and TOM_STALE from `xl_addin.udfs` (the interpreter is the one set in the
xlwings add-in's own settings, where tomsync is installed). The sheet is hidden: staff never need it.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.template import UDF_MODULES, XLWINGS_CONF, add_xlwings_conf

__all__ = ["CONF_SHEET", "UDF_MODULES", "add_xlwings_conf", "add_xlwings_conf_file"]

CONF_SHEET = XLWINGS_CONF


def add_xlwings_conf_file(path: str | Path) -> None:
    """Add the sheet to an existing workbook file (e.g. one built before the add-in existed)."""
    wb = load_workbook(path)
    add_xlwings_conf(wb)
    save_workbook_atomic(wb, path)
