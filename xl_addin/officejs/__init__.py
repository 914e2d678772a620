"""The xlwings Server project of the TOM add-in (its XLWINGS_PROJECT_DIR).

xlwings Server imports ``custom_functions``, ``custom_scripts`` and ``routers.custom`` from this folder
as top-level modules and looks here first for templates (manifest.xml, taskpane.html) and static files
(js/ribbon.js). `xl_addin.server` points the server at it; nothing here holds logic of its own.
"""
