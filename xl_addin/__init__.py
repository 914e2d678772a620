"""The TOM add-in for Excel: worksheet functions, ribbon macros and their delivery into Excel.

- `xl_addin.udfs`: TOM_RAG, TOM_SCORE, TOM_ROLLUP, TOM_CHECK, TOM_STALE (thin over the core).
- `xl_addin.xlwings_surface`: `XlwingsSurface`, the `workbook_templates.surface.WorkbookSurface` of an
  xlwings Book (desktop Excel, or xlwings Server's book from Office.js).
- `xl_addin.ribbon`: the Validate, Roll up, New month, Pull and Push buttons, each a few lines over
  `workbook_templates.annotate`, `.summary`, `.stamp` and the sync layer.

The add-in package holds hosts only: what a button or a function does lives in the core.
- `xl_addin.server`, `xl_addin.officejs`: the Office.js add-in on xlwings Server.
- `xl_addin.commands`: `tomsync addin serve | manifest`; `xl_addin.asgi`: the app for uvicorn (Dockerfile).
- `xl_addin.conf`: what the add-in adds to built workbooks (nothing since the classic route went).
"""
