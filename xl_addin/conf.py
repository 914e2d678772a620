"""The `xlwings.conf` sheet: how the free xlwings add-in for Excel on Windows finds the TOM functions.

With the sheet in the workbook, the xlwings ribbon's "Import Functions" registers TOM_RAG, TOM_SCORE,
TOM_ROLLUP, TOM_CHECK and TOM_STALE from `xl_addin.udfs` (the interpreter is the one set in the
xlwings add-in's own settings, where tomsync is installed). The sheet is hidden: staff never need it.

The template does not know this sheet: `tomsync template build` hands `add_xlwings_conf` to
`workbook_templates.template.write_template` as one of its ``extras`` (see `ADDIN_SHEETS`).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["ADDIN_SHEETS", "CONF_SHEET", "UDF_MODULES", "add_xlwings_conf", "add_xlwings_conf_file"]

CONF_SHEET = "xlwings.conf"  # also in workbook_templates.spec.RESERVED_SHEETS: no school may take it
UDF_MODULES = ("xl_addin.udfs",)


def add_xlwings_conf(wb: Workbook, modules: tuple[str, ...] = UDF_MODULES) -> Worksheet:
    """The hidden `xlwings.conf` sheet: the free xlwings add-in's "Import Functions" reads it to register
    the TOM_* functions of `xl_addin.udfs` in Excel for Windows. Replaced if present."""
    if CONF_SHEET in wb.sheetnames:
        wb.remove(wb[CONF_SHEET])
    ws = wb.create_sheet(CONF_SHEET)
    ws["A1"] = "UDF Modules"
    ws["B1"] = ";".join(modules)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 30
    ws.sheet_state = "hidden"
    return ws


# What the add-in adds to every workbook `tomsync template build` (and the demo) writes.
ADDIN_SHEETS = (add_xlwings_conf,)


def add_xlwings_conf_file(path: str | Path, modules: tuple[str, ...] = UDF_MODULES) -> None:
    """Add the sheet to an existing workbook file (e.g. one built before the add-in existed), by patching
    the package (`workbook_templates.package`): everything else in the file is kept as it is."""
    from workbook_templates.package import Package, refuse_unwritable

    refuse_unwritable(path)
    pkg = Package.open(path)
    if CONF_SHEET in pkg.sheet_names():
        pkg.remove_sheet(CONF_SHEET)
    pkg.add_sheet(CONF_SHEET, state="hidden")
    pkg.set_value(CONF_SHEET, "A1", "UDF Modules")
    pkg.set_value(CONF_SHEET, "B1", ";".join(modules))
    pkg.set_widths(CONF_SHEET, {"A": 20, "B": 30})
    pkg.save()
