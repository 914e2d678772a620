"""Shared helpers for the workbook tests: build real .xlsx files once, copy them, edit them with openpyxl."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec
from workbook_templates.template import write_template
from workbook_templates.validate import Finding, validate
from xl_addin.conf import ADDIN_SHEETS

PASSWORD = "Tom-Protect!93xq"  # distinctive, so a search of the raw bytes cannot hit by chance
TODAY = date(2026, 11, 20)  # inside the scottish-tom session (2026-08 .. 2027-06)

# Column letters of the shipped specs' school tabs (header on row 1, master rows from row 2).
SCOT = {"ID": "A", "Theme": "B", "Activity": "C", "Lead": "D", "Audience": "E", "When": "F", "Target": "G",
        "Status": "H", "RAG": "I", "Progress notes": "J", "Evidence link": "K", "Last updated": "L",
        "Updated by": "M"}
SCOT_FIRST_FREE = 14  # 12 master rows on rows 2..13
SCOT_LAST_ROW = 53  # + 40 free rows
GATSBY = {"ID": "A", "Benchmark": "B", "Objective": "C", "Audience": "D", "Action": "E", "Responsible": "F",
          "Timing": "G", "Success criteria": "H", "Resources": "I", "Status": "J",
          "Autumn 2025": "K", "Spring 2026": "L", "Summer 2026": "M", "Autumn 2026": "N", "Spring 2027": "O",
          "Summer 2027": "P", "Autumn 2027": "Q", "Spring 2028": "R", "Summer 2028": "S",
          "Review note": "T", "Evidence link": "U", "Last updated": "V", "Updated by": "W",
          "Current RAG": "X"}
GATSBY_FIRST_FREE = 14
GATSBY_LAST_ROW = 43  # 12 master rows + 30 free rows


def build(spec_name: str, path: Path, password: str | None = PASSWORD) -> Path:
    """A fresh workbook from a shipped spec (or spec file), written the way `template build` writes it."""
    return write_template(load_spec(spec_name), path, password, extras=ADDIN_SHEETS)


def copy_to(src: Path, dest_dir: Path, name: str | None = None) -> Path:
    dest = dest_dir / (name or src.name)
    shutil.copyfile(src, dest)
    return dest


def edit(path: Path, change: Callable[[Workbook], Any]) -> Path:
    """Load the workbook with openpyxl, apply ``change``, save it back (as a person's edit would)."""
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def set_cells(path: Path, sheet: str, values: dict[str, Any], unprotect: bool = False) -> Path:
    """Write plain values (openpyxl semantics: a str starting with '=' becomes a formula)."""
    def change(wb: Workbook) -> None:
        ws = wb[sheet]
        if unprotect:
            ws.protection.sheet = False
        for address, value in values.items():
            ws[address] = value
    return edit(path, change)


def fill(path: Path, sheets: dict[str, dict[str, Any]]) -> Path:
    """Several tabs' cells in one load and save: {sheet: {address: value}}."""
    def change(wb: Workbook) -> None:
        for sheet, values in sheets.items():
            for address, value in values.items():
                wb[sheet][address] = value
    return edit(path, change)


def findings(path: Path, month: str | None = None, today: date = TODAY, skip: tuple[str, ...] = ("overdue",)
             ) -> list[Finding]:
    """Validation findings, leaving out the ``skip`` rules: the fixtures' rows are past their due dates
    on TODAY, and the overdue rule has its own tests (test_overdue.py) with ``skip=()``."""
    return [f for f in validate(read_workbook(path), month, today) if f.rule not in skip]


def summary(found: list[Finding]) -> list[tuple[str, str, str | None, str, str]]:
    """(sheet, cell, row_id, rule, severity) of each finding: what a user reads in the report."""
    return [(f.sheet, f.cell, f.row_id, f.rule, f.severity) for f in found]


def zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part name (xl/worksheets/sheetN.xml) of a tab, from workbook.xml and its relationships."""
    parts = zip_parts(path)
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    pkg = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    wb_xml = ElementTree.fromstring(parts["xl/workbook.xml"])
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{pkg}Relationship")}
    for sh in wb_xml.iter(f"{main}sheet"):
        if sh.get("name") == sheet:
            target = targets[sh.get(f"{rel_ns}id")].lstrip("/")
            return target if target.startswith("xl/") else "xl/" + target
    raise AssertionError(f"no sheet {sheet!r} in workbook.xml")


def rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one XML part of the package (used to give a formula a cached value, as Excel saves it)."""
    parts = zip_parts(path)
    parts[part] = change(parts[part].decode()).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
