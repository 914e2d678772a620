"""The TOM add-in for Excel: worksheet functions, ribbon macros and their delivery into Excel.

- `xl_addin.udfs`: TOM_RAG, TOM_SCORE, TOM_ROLLUP, TOM_CHECK, TOM_STALE (thin over the core).
- `xl_addin.surface`: `WorkbookSurface` and its two hosts, `OpenpyxlSurface` (a file) and
  `XlwingsSurface` (an xlwings Book: desktop Excel, or xlwings Server's book from Office.js).
- `xl_addin.grids`: `workbook_data(surface)`, the reader's `WorkbookData` from a surface.
- `xl_addin.ribbon`: the Validate, Roll up, New month, Pull and Push macros, and the CLI's
  `annotate_file` / `roll_up_file`.
- `xl_addin.server`, `xl_addin.officejs`: the Office.js add-in on xlwings Server.
- `xl_addin.commands`: `tomsync addin serve | manifest | conf`; `xl_addin.conf`: the xlwings.conf sheet.
"""
