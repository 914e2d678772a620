"""The master expectations hold: master-tampered, master-outdated, master-text-changed, master-row-missing.

Checked against the spec embedded in the workbook, so they hold even after someone removed the sheet
protection; the Master tab is also checked against the spec's SHA-256 fingerprint.

The programme manager changes the master with `tomsync template upgrade` / `tomsync master`, which
records each version in the hidden "Master history" sheet (version, date, who, change, fingerprint,
the changed rows' previous wording). So a Master tab that still reads an earlier version's wording, or
still lists a retired row, is `master-outdated` ("changed by the programme manager at version N": an
old copy, pull the latest), and anything else that differs is `master-tampered`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbook_templates.layout import FIRST_ROW, MASTER
from workbook_templates.reader import WorkbookData
from workbook_templates.spec import canonical
from workbook_templates.validate.findings import ERROR, Finding
from workbook_templates.validate.privacy import shown  # typed values quoted cut, personal parts masked
from workbook_templates.validate.tab import Tab


@dataclass(frozen=True)
class Version:
    """One row of the Master history."""

    number: int
    date: str
    who: str
    change: str
    sha256: str
    before: dict[str, dict[str, str]]  # row ID -> header -> wording before this version

    def says(self) -> str:
        return f"version {self.number} ({self.date}, {self.who}: {self.change})"


def versions(history: list[list[Any]]) -> list[Version]:
    """The Master history rows (header row first, as read), oldest first; unreadable rows skipped."""
    out = []
    for row in history[1:]:
        cells = [canonical(v) for v in row] + [""] * 6
        try:
            number = int(cells[0])
            before = json.loads(cells[5]) if cells[5] else {}
        except ValueError:
            continue
        out.append(Version(number, cells[1], cells[2], cells[3], cells[4], before if isinstance(before, dict)
                           else {}))
    return out


def closed_tabs(meta: dict[str, str]) -> set[str]:
    """Tabs of schools closed by an upgrade (hidden, kept): not "unknown" tabs."""
    try:
        names = json.loads(meta.get("closed_tabs") or "[]")
    except ValueError:
        return set()
    return {str(n) for n in names} if isinstance(names, list) else set()


def _earlier(history: list[Version], rid: str, header: str | None, value: str) -> Version | None:
    """The version whose change replaced ``value`` (row ``rid``'s ``header``; None: the row retired)."""
    for v in reversed(history):
        old = v.before.get(rid)
        if old is not None and (header is None or canonical(old.get(header)) == value):
            return v
    return None


def check_master_tab(data: WorkbookData, out: list[Finding]) -> None:
    """The Master tab matches the spec: fingerprint, every row, every cell, nothing removed."""
    spec = data.spec
    tab = Tab(spec, MASTER, data.master.headers)
    history = versions(data.master_history)
    now = f" (the master is at {history[-1].says()})" if history else ""
    if data.meta.get("master_sha256") != spec.master_fingerprint() or (
            history and history[-1].sha256 != spec.master_fingerprint()):
        out.append(Finding(MASTER, "A1", None, "master-tampered", ERROR,
                           "the master expectations do not match the workbook's fingerprint: the hidden "
                           f"spec was edited outside tomsync{now}; change the master with 'tomsync template "
                           "upgrade' or rebuild the workbook from the spec"))
    expected = spec.master_by_id
    seen: set[str] = set()
    for row in data.master.rows:
        rid = canonical(row.get(spec.id_header))
        want = expected.get(rid)
        if want is None:
            gone = _earlier(history, rid, None, "") if rid else None
            if gone is not None:
                out.append(Finding(MASTER, tab.cell(spec.id_header, row.row), rid, "master-outdated", ERROR,
                                   f"master row {rid} was retired by the programme manager at {gone.says()}: "
                                   "this copy is older than the master; pull the latest workbook"))
                continue
            out.append(Finding(MASTER, tab.cell(spec.id_header, row.row), rid or None, "master-tampered",
                               ERROR, f"row {row.row} ('{shown(rid)}') is not a master expectation of this "
                               "workbook: only the programme manager changes the Master tab (tomsync master "
                               f"add|edit|retire){now}"))
            continue
        seen.add(rid)
        for col in spec.master_columns:
            found = canonical(row.get(col.header))
            if found != canonical(want.get(col.header)):
                old = _earlier(history, rid, col.header, found)
                if old is not None:
                    out.append(Finding(MASTER, tab.cell(col.header, row.row), rid, "master-outdated", ERROR,
                                       f"{col.header} of master row {rid} still reads the wording before "
                                       f"{old.says()}: it now reads '{canonical(want.get(col.header))}'; "
                                       "pull the latest workbook"))
                    continue
                out.append(Finding(MASTER, tab.cell(col.header, row.row), rid, "master-tampered", ERROR,
                                   f"{col.header} of master row {rid} was changed from "
                                   f"'{canonical(want.get(col.header))}' to "
                                   f"'{shown(found)}': only the programme manager changes the "
                                   f"master{now}"))
    for i, rid in enumerate(expected, start=FIRST_ROW):
        if rid not in seen:
            added = next((v for v in history if rid in v.change and "added" in v.change), None)
            if added is not None:
                out.append(Finding(MASTER, tab.cell(spec.id_header, i), rid, "master-outdated", ERROR,
                                   f"master row {rid}, added by the programme manager at {added.says()}, "
                                   "is not on this Master tab: pull the latest workbook"))
                continue
            out.append(Finding(MASTER, tab.cell(spec.id_header, i), rid, "master-tampered", ERROR,
                               f"master row {rid} was removed from the Master tab"))


def wording_changed(tab: Tab, row: int, rid: str | None, header: str, value: Any, wanted: Any) -> None:
    """A locked cell of a master row on a school tab must keep the master wording."""
    if value != wanted and canonical(value) != canonical(wanted):
        old = _earlier(list(tab.history), rid or "", header, canonical(value)) if tab.history else None
        if old is not None:
            tab.add(header, row, rid, "master-outdated", ERROR,
                    f"{header} of master row {rid} still reads the wording before {old.says()}: it now "
                    f"reads '{canonical(wanted)}'; this tab comes from an older copy of the workbook")
            return
        tab.add(header, row, rid, "master-text-changed", ERROR,
                f"{header} of master row {rid} must read '{canonical(wanted)}'"
                f" (found '{shown(canonical(value))}'): master wording is locked")


def missing_rows(tab: Tab, seen: set[str]) -> None:
    """Every master row must be on the school tab (at its place, for the cell named)."""
    for i, rid in enumerate(tab.spec.master_by_id, start=FIRST_ROW):
        if rid not in seen:
            tab.add(tab.spec.id_header, i, rid, "master-row-missing", ERROR,
                    f"master row {rid} is missing from this tab")
