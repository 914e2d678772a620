"""What the add-in adds to every workbook `tomsync template build` (and the demo) writes: nothing now.

Decision (issue 11): the classic Windows route (the free xlwings add-in's "Import Functions" over a
hidden `xlwings.conf` sheet) is removed, not made real. Import Functions writes VBA wrappers into the
workbook, so it only lasts in a macro-enabled .xlsm, needs "Trust access to the VBA project object
model" on every computer and the xlwings reference in the workbook's VBA project; TOM workbooks are
.xlsx, the monthly cycle skips .xlsm, and council and SDS laptops block VBA. The hosted Office.js
add-in gives every Excel (web, Windows, Mac) the buttons and the TOM.* functions with nothing to
install. Workbooks built before keep their hidden `xlwings.conf` sheet; it is a reserved name
(`workbook_templates.spec.RESERVED_SHEETS`), so validation ignores it and no school may take it.

The hook stays: `tomsync template build` hands ``ADDIN_SHEETS`` to
`workbook_templates.template.write_template` as its ``extras``.
"""

from __future__ import annotations

from workbook_templates.template import SheetHook

__all__ = ["ADDIN_SHEETS", "CONF_SHEET"]

CONF_SHEET = "xlwings.conf"  # in older workbooks only; still reserved so validation ignores it

# What the add-in adds to every built workbook: nothing (see the module docstring).
ADDIN_SHEETS: tuple[SheetHook, ...] = ()
