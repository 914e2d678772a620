"""The demo: made-up schools filling in a TOM workbook (`data`) and three months run through the
monthly cycle against a folder library (`run`). Kept out of the core packages: nothing in
workbook_templates, sync or xl_addin depends on it."""
