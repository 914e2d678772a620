"""The master expectations hold: master-tampered, master-text-changed, master-row-missing.

Checked against the spec embedded in the workbook, so they hold even after someone removed the sheet
protection; the Master tab is also checked against the spec's SHA-256 fingerprint.
"""

from __future__ import annotations

from typing import Any

from workbook_templates.layout import FIRST_ROW, MASTER
from workbook_templates.reader import WorkbookData
from workbook_templates.spec import canonical
from workbook_templates.validate.findings import ERROR, Finding
from workbook_templates.validate.privacy import shown  # typed values quoted cut, personal parts masked
from workbook_templates.validate.tab import Tab


def check_master_tab(data: WorkbookData, out: list[Finding]) -> None:
    """The Master tab matches the spec: fingerprint, every row, every cell, nothing removed."""
    spec = data.spec
    tab = Tab(spec, MASTER, data.master.headers)
    if data.meta.get("master_sha256") != spec.master_fingerprint():
        out.append(Finding(MASTER, "A1", None, "master-tampered", ERROR,
                           "the master expectations do not match the workbook's fingerprint: the hidden "
                           "spec was edited; rebuild the workbook from the spec"))
    expected = spec.master_by_id
    seen: set[str] = set()
    for row in data.master.rows:
        rid = canonical(row.get(spec.id_header))
        want = expected.get(rid)
        if want is None:
            out.append(Finding(MASTER, tab.cell(spec.id_header, row.row), rid or None, "master-tampered",
                               ERROR, f"row {row.row} ('{shown(rid)}') is not a master expectation of this "
                               "workbook: only the programme manager changes the Master tab"))
            continue
        seen.add(rid)
        for col in spec.master_columns:
            if canonical(row.get(col.header)) != canonical(want.get(col.header)):
                out.append(Finding(MASTER, tab.cell(col.header, row.row), rid, "master-tampered", ERROR,
                                   f"{col.header} of master row {rid} was changed from "
                                   f"'{canonical(want.get(col.header))}' to "
                                   f"'{shown(canonical(row.get(col.header)))}'"))
    for i, rid in enumerate(expected, start=FIRST_ROW):
        if rid not in seen:
            out.append(Finding(MASTER, tab.cell(spec.id_header, i), rid, "master-tampered", ERROR,
                               f"master row {rid} was removed from the Master tab"))


def wording_changed(tab: Tab, row: int, rid: str | None, header: str, value: Any, wanted: Any) -> None:
    """A locked cell of a master row on a school tab must keep the master wording."""
    if value != wanted and canonical(value) != canonical(wanted):
        tab.add(header, row, rid, "master-text-changed", ERROR,
                f"{header} of master row {rid} must read '{canonical(wanted)}'"
                f" (found '{shown(canonical(value))}'): master wording is locked")


def missing_rows(tab: Tab, seen: set[str]) -> None:
    """Every master row must be on the school tab (at its place, for the cell named)."""
    for i, rid in enumerate(tab.spec.master_by_id, start=FIRST_ROW):
        if rid not in seen:
            tab.add(tab.spec.id_header, i, rid, "master-row-missing", ERROR,
                    f"master row {rid} is missing from this tab")
