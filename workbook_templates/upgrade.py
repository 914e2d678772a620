"""Roll a changed spec into an existing workbook, keeping everything the schools typed.

`tomsync template upgrade FILE --spec NEW.toml` is the engine; `tomsync master add|edit|retire` edit
the embedded spec and call it. The programme manager changes the spec; this module works out what
changed (`plan`) and patches the workbook losslessly (`workbook_templates.package`): only the rows
and cells a change touches are written, every other part is copied as stored.

Decisions (where the issue is silent):
- Rows are matched by ID. A school's Status, RAG, notes, evidence and dates stay with their row; only
  the locked expectation cells (the master wording) are rewritten.
- An ADDED master row goes into each school tab's first unused free row after its master rows (a row
  holding only its pre-filled own ID, "HAW-07"): no row is inserted, so no other row, formula,
  validation or the Summary's ranges move. It takes the formats of the tab's first master row. On the
  Master tab it is appended below the last row.
- A RETIRED master row leaves the school tabs: each school's row is first copied, as the school left
  it, to the hidden "Retired" sheet (version, date, school ID, tab, every column), then its cells are
  emptied and the row hidden. The monthly archive and its rollup.json / rows.json are untouched, so
  trends and last months' rows still read; the report does not call a retired row "removed".
- Every change is a new master VERSION in the hidden "Master history" sheet: version, date, who, what
  changed, the new master fingerprint and the changed rows' previous wording (JSON), so `validate`
  tells a tab still holding the wording of an earlier version (`master-outdated`) from tampering.
- Schools: a new school ID gets a new tab (a copy of an existing school tab's layout, emptied); a new
  name for an existing ID renames the tab (IDs, and so trends and row history, stay); an ID left out
  of the spec closes the school: its tab is hidden, never deleted. The Summary's formula block and
  the hidden Lists (dropdowns, e.g. a new Lead "College") are rewritten from the new spec.
  A closed school's ID given again re-opens its tab as it was closed, brought up to the current
  master by ID (rows added meanwhile take its free rows, edited wording is rewritten, rows retired
  meanwhile go to the Retired sheet at this version); what the school typed stays. A new tab gets the
  print titles and filter range (sheet-local defined names) of the tab it was copied from.
- A school's contacts (who `tomsync remind` writes to) changed in the spec go into the embedded spec
  only: no tab changes, but it is a version in the history ("new contacts for school EYE": IDs only,
  never an address), so a contacts-only upgrade is never "nothing to change".
- Columns cannot change here (only their dropdown choices): a new column means a new workbook.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from workbook_templates.layout import (
    FIRST_ROW,
    LISTS,
    MASTER,
    MASTER_HISTORY,
    META_SHEET,
    RETIRED,
    SUMMARY,
)
from workbook_templates.package import M, Package, R, col_letters, refuse_unwritable, split_ref
from workbook_templates.reader import read_meta
from workbook_templates.spec import Spec, canonical, spec_to_dict
from workbook_templates.surface import GridBook
from workbook_templates.template import CHUNK, list_name, own_id, summary_cells

HISTORY_HEADERS = ["Version", "Date", "By", "Change", "Master SHA-256", "Before"]


class UpgradeError(ValueError):
    """A change the upgrade cannot make; the message says what and what to do instead."""


@dataclass
class Plan:
    """What differs between the workbook's spec and the new one."""

    added: list[str] = field(default_factory=list)  # master row IDs
    edited: dict[str, list[str]] = field(default_factory=dict)  # ID -> headers (or "tier") changed
    retired: list[str] = field(default_factory=list)
    schools_added: list[str] = field(default_factory=list)  # school IDs
    schools_renamed: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID -> (old tab, new tab)
    schools_closed: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)  # school IDs whose contacts changed: embedded only
    choices: list[str] = field(default_factory=list)  # headers whose dropdown values changed
    other: list[str] = field(default_factory=list)  # other spec keys (session, rollup...): embedded only

    @property
    def master_changed(self) -> bool:
        return bool(self.added or self.edited or self.retired)

    def empty(self) -> bool:
        return not (self.master_changed or self.schools_added or self.schools_renamed
                    or self.schools_closed or self.contacts or self.choices or self.other)

    def lines(self) -> list[str]:
        out = [f"added master row {rid}" for rid in self.added]
        out += [f"edited master row {rid} ({', '.join(h)})" for rid, h in self.edited.items()]
        out += [f"retired master row {rid}" for rid in self.retired]
        out += [f"added school {s}" for s in self.schools_added]
        out += [f"renamed school {s}: '{a}' -> '{b}'" for s, (a, b) in self.schools_renamed.items()]
        out += [f"closed school {s}" for s in self.schools_closed]
        out += [f"new contacts for school {s}" for s in self.contacts]  # IDs only: no address in a log
        out += [f"new choices for {h}" for h in self.choices]
        out += [f"changed {k}" for k in self.other]
        return out


def plan(old: Spec, new: Spec) -> Plan:
    """The differences `upgrade` will make; UpgradeError for one it cannot (a column added, removed or
    changed other than its choices, or a different id column)."""
    p = Plan()
    old_cols = [replace(c, choices=(), width=0) for c in old.columns]
    new_cols = [replace(c, choices=(), width=0) for c in new.columns]
    if old_cols != new_cols:
        raise UpgradeError("the columns differ from the workbook's: an upgrade changes master rows, "
                           "schools and dropdown choices only; build a new workbook for new columns")
    p.choices = [n.header for o, n in zip(old.columns, new.columns, strict=True) if o.choices != n.choices
                 and n.kind == "choice"]
    for rid, row in new.master_by_id.items():
        before = old.master_by_id.get(rid)
        if before is None:
            p.added.append(rid)
            continue
        changed = [c.header for c in new.master_columns
                   if canonical(row.get(c.header)) != canonical(before.get(c.header))]
        if new.tier(rid) != old.tier(rid) or bool(row.get("optional")) != bool(before.get("optional")):
            changed.append("tier" if new.tier(rid) != old.tier(rid) else "optional")
        if changed:
            p.edited[rid] = changed
    p.retired = [rid for rid in old.master_by_id if rid not in new.master_by_id]
    old_schools = {s.id: s for s in old.schools}
    new_schools = {s.id: s for s in new.schools}
    p.schools_added = [i for i in new_schools if i not in old_schools]
    p.schools_renamed = {i: (old_schools[i].sheet, s.sheet) for i, s in new_schools.items()
                         if i in old_schools and old_schools[i].sheet != s.sheet}
    p.schools_closed = [i for i in old_schools if i not in new_schools]
    p.contacts = [i for i, s in new_schools.items() if i in old_schools
                  and old_schools[i].contacts != s.contacts]
    a, b = spec_to_dict(old), spec_to_dict(new)
    p.other = [k for k in sorted(set(a) | set(b)) if k not in ("master", "schools", "columns")
               and a.get(k) != b.get(k)]
    return p


@dataclass
class UpgradeResult:
    plan: Plan
    version: int  # the master version now (unchanged when the master did not change)
    written: bool


# -- reading what is there ----------------------------------------------------------------------------

class _Tab:
    """A data tab's header columns and rows by ID, read from the sheet XML being patched: only the
    header row and the ID column are decoded (an upgrade of a 400-tab workbook reads no note)."""

    def __init__(self, pkg: Package, sheet: str, id_header: str) -> None:
        self.sheet = sheet
        sh = pkg.sheet(sheet)
        first = sh.rows[1].iterfind(M + "c") if 1 in sh.rows else iter(())
        header = {split_ref(c.get("r"))[1]: pkg.value(sheet, c.get("r")) for c in first}
        self.cols = {str(h).strip(): i for i, h in header.items() if h not in (None, "")}
        id_col = self.cols.get(id_header)
        if id_col is None:
            raise UpgradeError(f"{sheet}: no '{id_header}' column in row 1: restore the header first")
        self.id_col = id_col
        self.rows: dict[str, int] = {}  # ID -> its first row
        self.ids: dict[int, str] = {}  # row -> ID
        self._sheet = sh
        self._used: dict[int, bool] = {}
        self._last: int | None = None
        for r, row in sh.rows.items():
            if r == 1:
                continue
            for c in row.iterfind(M + "c"):  # cells are in column order: stop at the ID column
                col = split_ref(c.get("r"))[1]
                if col >= id_col:
                    if col == id_col and _holds_value(c):
                        rid = canonical(pkg.value(sheet, c.get("r")))
                        if rid:
                            self.ids[r] = rid
                            self.rows.setdefault(rid, r)
                    break

    def used(self, r: int, ignore_id: bool) -> bool:
        """Row ``r`` holds a value (outside the ID column with ``ignore_id``)."""
        if not ignore_id and r in self.ids:
            return True
        if r not in self._used:
            row = self._sheet.rows.get(r)
            self._used[r] = row is not None and any(
                _holds_value(c) and split_ref(c.get("r"))[1] != self.id_col for c in row.iterfind(M + "c"))
        return self._used[r]

    @property
    def last(self) -> int:
        """The last row holding a value (1: only the header)."""
        if self._last is None:
            self._last = max((r for r in self._sheet.rows if r in self.ids or self.used(r, True)), default=1)
        return self._last

    def take(self, r: int, rid: str) -> None:
        """Row ``r`` now holds master row ``rid``."""
        self.ids[r] = rid
        self.rows[rid] = r
        self._used[r] = True
        self._last = max(self.last, r)


def _holds_value(c: Any) -> bool:
    """A cell showing something: a value, inline text or a formula's cached result that is not empty."""
    for child in c:
        if child.tag == M + "v" and child.text:
            return True
        if child.tag == M + "is" and "".join(child.itertext()):
            return True
    return False


def _style(pkg: Package, sheet: str, ref: str) -> int:
    c = pkg.sheet(sheet).cell(ref, create=False)
    return int(c.get("s", "0")) if c is not None else 0


def _fit(pkg: Package, sheet: str, r: int, texts: Iterable[tuple[Any, float]]) -> None:
    """Row height for wrapped text, as the template sets it."""
    lines = max((math.ceil(len(str(v)) / max(1.0, w * 1.1)) for v, w in texts if v), default=1)
    row = pkg.sheet(sheet).row(r)
    row.set("ht", str(15 * max(lines, 2) if lines > 1 else 30))
    row.set("customHeight", "1")


# -- the master rows ----------------------------------------------------------------------------------

def _write_master_row(pkg: Package, tab: _Tab, r: int, template_row: int, spec: Spec, row: dict[str, Any],
                      whole: bool) -> None:
    """Write master ``row``'s wording into row ``r`` (all columns when ``whole``: a new row, which
    takes the formats of ``template_row``)."""
    status = spec.column("status")
    for col in spec.columns if whole else spec.master_columns:
        c = tab.cols.get(col.header)
        if c is None:
            continue
        ref = f"{col_letters(c)}{r}"
        style = _style(pkg, tab.sheet, f"{col_letters(c)}{template_row}") if whole else None
        value: Any = row.get(col.header)  # as the template writes a master row (e.g. Responsible)
        if whole and status is not None and col is status and value is None:
            value = "Not started"
        if whole or col.locked:
            pkg.set_value(tab.sheet, ref, value, style=style)
            if whole:
                pkg.set_link(tab.sheet, ref, None)


def _free_row(tab: _Tab, after: int, master_ids: set[str], limit: int) -> int:
    """The first unused row below ``after``: empty, or holding only a pre-filled own ID."""
    for r in range(after + 1, limit + 1):
        rid = tab.ids.get(r, "")
        if rid in master_ids or rid in tab.rows and tab.rows[rid] != r:
            continue
        if not tab.used(r, ignore_id=True):
            return r
    return max(limit, tab.last) + 1


def _retire_row(pkg: Package, tab: _Tab, r: int) -> list[Any]:
    """Copy of row ``r`` as it stands (values by column), then emptied and hidden."""
    kept = [pkg.value(tab.sheet, f"{col_letters(c)}{r}") for c in range(1, max(tab.cols.values()) + 1)]
    for c in range(1, max(tab.cols.values()) + 1):
        ref = f"{col_letters(c)}{r}"
        pkg.set_value(tab.sheet, ref, None)  # a formula too: its result is kept on the Retired sheet
        pkg.set_link(tab.sheet, ref, None)
    pkg.sheet(tab.sheet).row(r).set("hidden", "1")
    return kept


def _append_rows(pkg: Package, sheet: str, headers: list[str], rows: list[list[Any]]) -> None:
    """Rows appended to a hidden sheet tomsync keeps (created with ``headers`` when missing). Text is
    written as text: what a school typed never becomes a formula."""
    if sheet not in pkg.sheet_names():
        pkg.add_sheet(sheet, state="hidden")
        for i, h in enumerate(headers, start=1):
            pkg.set_value(sheet, f"{col_letters(i)}1", h)
        pkg.set_widths(sheet, {col_letters(i): 16 for i in range(1, len(headers) + 1)})
        pkg.freeze_top_row(sheet)
    start = len(pkg.grid(sheet)) + 1
    for n, values in enumerate(rows):
        for i, v in enumerate(values, start=1):
            if v not in (None, ""):
                pkg.set_value(sheet, f"{col_letters(i)}{start + n}", v)
    pkg.sheet(sheet).fix_dimension()


def history(pkg: Package) -> list[list[Any]]:
    """The Master history rows (without the header), oldest first; [] for a workbook never upgraded."""
    if MASTER_HISTORY not in pkg.sheet_names():
        return []
    return [r for r in pkg.grid(MASTER_HISTORY)[1:] if r and r[0] not in (None, "")]


def _apply_master(pkg: Package, old: Spec, new: Spec, p: Plan, version: int, when: str) -> None:
    master_ids = set(new.master_by_id) | set(old.master_by_id)
    tabs = [s.sheet for s in old.schools if s.sheet in pkg.sheet_names()]
    retired_rows: list[list[Any]] = []
    for sheet in [MASTER, *tabs]:
        tab = _Tab(pkg, sheet, new.id_header)
        first_master = min((tab.rows[i] for i in old.master_by_id if i in tab.rows), default=FIRST_ROW)
        for rid in p.edited:
            if rid in tab.rows:
                _write_master_row(pkg, tab, tab.rows[rid], first_master, new, new.master_by_id[rid], False)
        for rid in p.retired:
            if rid in tab.rows:
                kept = _retire_row(pkg, tab, tab.rows[rid])
                if sheet != MASTER:
                    school = old.school_by_sheet()[sheet]
                    header = [h for h, _ in sorted(tab.cols.items(), key=lambda kv: kv[1])]
                    values = dict(zip(header, kept, strict=False))
                    retired_rows.append([version, when, school.id, sheet,
                                         *[values.get(h) for h in old.headers]])
        after = max((tab.rows[i] for i in old.master_by_id if i in tab.rows), default=FIRST_ROW - 1)
        for rid in p.added:
            if sheet == MASTER:
                r = max(tab.last, FIRST_ROW - 1) + 1
                pkg.extend_formats(MASTER, r)
            else:
                r = _free_row(tab, after, master_ids, pkg.sheet(sheet).last_row())  # the formatted rows
            row = new.master_by_id[rid]
            cols = new.master_columns if sheet == MASTER else new.columns
            _write_master_row(pkg, tab, r, first_master, new, row, True)
            _fit(pkg, sheet, r, [(row.get(c.header), c.width) for c in cols if c.locked])
            tab.take(r, rid)  # the next added row goes below
            after = r
        pkg.sheet(sheet).fix_dimension()
    if retired_rows:
        _append_rows(pkg, RETIRED, ["Retired at version", "Retired on", "School ID", "Tab", *old.headers],
                     retired_rows)


# -- schools, lists and the Summary ------------------------------------------------------------------

def _clone_school(pkg: Package, spec: Spec, source: str, school_id: str, sheet: str) -> None:
    """A new school tab with the layout of ``source``: master wording kept, everything a school typed
    emptied, own rows numbered with the new school's ID; no links, notes or drawings carried over."""
    root = copy.deepcopy(pkg.sheet(source).root)
    for tag in ("hyperlinks", "legacyDrawing", "drawing", "tableParts", "legacyDrawingHF"):
        for el in root.findall(M + tag):
            root.remove(el)
    for sv in root.iterfind(f"{M}sheetViews/{M}sheetView"):
        sv.attrib.pop("tabSelected", None)
    for el in root.iter():  # the new part has no relationships: nothing may point at the source's
        el.attrib.pop(R + "id", None)
    names = pkg.sheet_names()
    index = max(names.index(s.sheet) for s in spec.schools if s.sheet in names) + 1
    part = pkg.add_sheet(sheet, index)
    pkg.write_part(part, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
    pkg.copy_local_names(source, sheet)  # print titles and the filter range, as a built tab has
    old_id = next(s.id for s in spec.schools if s.sheet == source) if any(
        s.sheet == source for s in spec.schools) else ""
    for dv in pkg.sheet(sheet).root.iterfind(f"{M}dataValidations/{M}dataValidation"):
        if old_id and dv.get("prompt"):
            dv.set("prompt", dv.get("prompt", "").replace(f"{old_id}-", f"{school_id}-"))
    tab = _Tab(pkg, sheet, spec.id_header)
    status = spec.column("status")
    n = 0
    for r in range(FIRST_ROW, tab.last + 1):
        rid = tab.ids.get(r, "")
        is_master = rid in spec.master_by_id
        for col in spec.columns:
            c = tab.cols.get(col.header)
            if c is None or (is_master and col.locked):
                continue
            ref = f"{col_letters(c)}{r}"  # a formula the school typed goes too (Current RAG stays)
            pkg.set_value(sheet, ref, "Not started" if is_master and col is status else None)
        row_el = pkg.sheet(sheet).rows.get(r)
        if not is_master and (row_el is None or not row_el.get("hidden")):
            n += 1
            pkg.set_value(sheet, f"{col_letters(tab.id_col)}{r}", own_id(school_id, n))
        elif not is_master:
            pkg.set_value(sheet, f"{col_letters(tab.id_col)}{r}", None)


def _write_lists(pkg: Package, spec: Spec) -> None:
    """The hidden Lists columns and their defined names, from the spec (a new Lead, a new school)."""
    if LISTS not in pkg.sheet_names():
        return
    grid = pkg.grid(LISTS)
    heads = [str(v) for v in (grid[0] if grid else [])]
    lists = [(list_name(c), list(c.choices)) for c in spec.columns if c.kind == "choice"]
    lists.append(("list_schools", [s.sheet for s in spec.schools]))
    wb = pkg.tree(pkg.workbook_part)
    names = {dn.get("name"): dn for dn in wb.iterfind(f"{M}definedNames/{M}definedName")}
    for name, values in lists:
        if name not in heads:
            continue
        col = heads.index(name) + 1
        letter = col_letters(col)
        old = [row[col - 1] if len(row) >= col else None for row in grid[1:]]
        for r, v in enumerate(values, start=2):
            if r - 2 >= len(old) or old[r - 2] != v:
                pkg.set_value(LISTS, f"{letter}{r}", v)
        for r in range(len(values) + 2, len(old) + 2):
            if old[r - 2] not in (None, ""):
                pkg.set_value(LISTS, f"{letter}{r}", None)
        if name in names:
            names[name].text = f"{LISTS}!${letter}$2:${letter}${len(values) + 1}"
    pkg.sheet(LISTS).fix_dimension()


def _write_summary(pkg: Package, spec: Spec) -> None:
    """The Summary's native formula block (A..F from row 4), rewritten from the spec; the block
    `rollup --write` adds from column H is left for its next run."""
    if SUMMARY not in pkg.sheet_names():
        return
    head = _style(pkg, SUMMARY, "A4")
    plain = _style(pkg, SUMMARY, "B5")
    grid = pkg.grid(SUMMARY)
    cells = {(r, c): (v, h) for r, c, v, h in summary_cells(spec)}
    last = max(len(grid), max(r for r, _ in cells))
    for r in range(4, last + 1):
        for c in range(1, 7):
            v, is_head = cells.get((r, c), (None, False))
            pkg.set_value(SUMMARY, f"{col_letters(c)}{r}", v, style=head if is_head else plain,
                          formula=True)
    pkg.sheet(SUMMARY).fix_dimension()


def _catch_up(pkg: Package, spec: Spec, school_id: str, sheet: str, gone: set[str], version: int,
              when: str) -> list[list[Any]]:
    """Bring a re-opened school's tab up to the current master, matched by ID: rows added while it
    was closed go into its free rows, edited wording is rewritten (locked cells only), rows retired
    meanwhile (``gone``) are retired here too. What the school typed stays; returns the rows for the
    Retired sheet."""
    tab = _Tab(pkg, sheet, spec.id_header)
    master_ids = set(spec.master_by_id) | gone
    present = [tab.rows[i] for i in spec.master_by_id if i in tab.rows]
    first_master = min(present, default=FIRST_ROW)
    for rid, row in spec.master_by_id.items():
        r = tab.rows.get(rid)
        cols = [(tab.cols[c.header], c.header) for c in spec.master_columns
                if c.locked and c.header in tab.cols]
        if r is not None and any(canonical(pkg.value(sheet, f"{col_letters(c)}{r}")) != canonical(row.get(h))
                                 for c, h in cols):
            _write_master_row(pkg, tab, r, first_master, spec, row, False)
    kept: list[list[Any]] = []
    header = [h for h, _ in sorted(tab.cols.items(), key=lambda kv: kv[1])]
    for rid in sorted(gone):
        if rid in tab.rows:
            values = dict(zip(header, _retire_row(pkg, tab, tab.rows[rid]), strict=False))
            kept.append([version, when, school_id, sheet, *[values.get(h) for h in spec.headers]])
    after = max(present, default=FIRST_ROW - 1)
    for rid, row in spec.master_by_id.items():
        if rid in tab.rows:
            continue
        r = _free_row(tab, after, master_ids, pkg.sheet(sheet).last_row())
        _write_master_row(pkg, tab, r, first_master, spec, row, True)
        _fit(pkg, sheet, r, [(row.get(c.header), c.width) for c in spec.columns if c.locked])
        tab.take(r, rid)
        after = r
    pkg.sheet(sheet).fix_dimension()
    return kept


def _retired_ids(pkg: Package, old: Spec, new: Spec) -> set[str]:
    """Master row IDs retired at some version (the history's "Before" wording of retired and edited
    rows, and this upgrade's), not in the new master: what a re-opened tab must retire too."""
    ids = set(old.master_by_id)
    for row in history(pkg):
        before = row[5] if len(row) > 5 else None
        if before not in (None, ""):
            try:
                ids |= set(json.loads(str(before)))
            except ValueError:
                continue
    return ids - set(new.master_by_id)


def _apply_schools(pkg: Package, old: Spec, new: Spec, p: Plan, version: int, when: str) -> None:
    names = pkg.sheet_names()
    gone = _retired_ids(pkg, old, new)
    retired: list[list[Any]] = []
    for sid, (a, b) in p.schools_renamed.items():
        if b in names:
            raise UpgradeError(f"school {sid}: a tab '{b}' is already in the workbook")
        pkg.rename_sheet(a, b)
    for sid in p.schools_closed:
        sheet = next(s.sheet for s in old.schools if s.id == sid)
        pkg.set_sheet_state(sheet, "hidden")
    for sid in p.schools_added:
        school = next(s for s in new.schools if s.id == sid)
        if school.sheet in pkg.sheet_names():  # a closed school re-opened: its tab comes back
            pkg.set_sheet_state(school.sheet, "visible")
            retired += _catch_up(pkg, new, school.id, school.sheet, gone, version, when)
            continue
        source = next((s.sheet for s in old.schools if s.id not in p.schools_closed), old.schools[0].sheet)
        source_id = next(s.id for s in old.schools if s.sheet == source)
        source = p.schools_renamed.get(source_id, (source, source))[1]
        _clone_school(pkg, replace(new, schools=(*new.schools, *old.schools)), source, sid, school.sheet)
    if retired:
        _append_rows(pkg, RETIRED, ["Retired at version", "Retired on", "School ID", "Tab", *new.headers],
                     retired)
    if p.choices or p.schools_added or p.schools_renamed or p.schools_closed:
        _write_lists(pkg, new)
    theme = new.column("theme")
    if p.schools_added or p.schools_renamed or p.schools_closed or (theme and theme.header in p.choices):
        _write_summary(pkg, new)  # a school row each, a theme row each


# -- the embedded spec and the history ----------------------------------------------------------------

def _write_meta(pkg: Package, spec: Spec, closed: list[str]) -> None:
    """The embedded spec, its fingerprint, and the tabs of closed schools (kept, hidden)."""
    grid = pkg.grid(META_SHEET)
    keys = [str(r[0]) if r and r[0] is not None else "" for r in grid]
    if closed or "closed_tabs" in keys:  # a school re-opened leaves the list
        before = json.loads(str(grid[keys.index("closed_tabs")][1])) if "closed_tabs" in keys else []
        now = sorted((set(before) | set(closed)) - {s.sheet for s in spec.schools})
        r = keys.index("closed_tabs") + 1 if "closed_tabs" in keys else len(grid) + 1
        pkg.set_value(META_SHEET, f"A{r}", "closed_tabs")
        pkg.set_value(META_SHEET, f"B{r}", json.dumps(now, ensure_ascii=False))
    text = json.dumps(spec_to_dict(spec), ensure_ascii=False, separators=(",", ":"))
    chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
    r = keys.index("master_sha256") + 1
    pkg.set_value(META_SHEET, f"B{r}", spec.master_fingerprint())
    r = keys.index("spec") + 1
    width = len(grid[r - 1])
    for i in range(max(len(chunks) + 1, width)):
        if i < len(chunks):
            pkg.set_value(META_SHEET, f"{col_letters(i + 2)}{r}", chunks[i])
        elif i + 2 <= width:
            pkg.set_value(META_SHEET, f"{col_letters(i + 2)}{r}", None)
    pkg.sheet(META_SHEET).fix_dimension()


def _before(old: Spec, p: Plan) -> str:
    rows = {rid: {k: canonical(v) for k, v in old.master_by_id[rid].items()}
            for rid in [*p.edited, *p.retired]}
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")) if rows else ""


def upgrade_package(pkg: Package, new: Spec, who: str, note: str = "", today: date | None = None
                    ) -> UpgradeResult:
    """Apply ``new`` to the workbook in ``pkg`` (not saved); see the module note."""
    meta, old = read_meta(GridBook(pkg.sheet_names(), pkg.grid), Path(pkg.path or "workbook"))
    p = plan(old, new)
    past = history(pkg)
    version = int(past[-1][0]) if past else 1
    if p.empty():
        return UpgradeResult(p, version, False)
    when = (today or datetime.now(UTC).date()).isoformat()
    if p.master_changed:
        _apply_master(pkg, old, new, p, version + 1, when)
    _apply_schools(pkg, old, new, p, version + 1, when)
    _write_meta(pkg, new, [s.sheet for s in old.schools if s.id in p.schools_closed])
    rows: list[list[Any]] = []
    if not past:
        rows.append([1, str(meta.get("built_at", ""))[:10], "template build", "built from the spec",
                     meta.get("master_sha256", ""), ""])
    version += 1  # every upgrade is a version: the history says who changed what, and when
    change = "; ".join(p.lines()) + (f" ({note})" if note else "")
    rows.append([version, when, who, change, new.master_fingerprint(), _before(old, p)])
    _append_rows(pkg, MASTER_HISTORY, HISTORY_HEADERS, rows)
    return UpgradeResult(p, version, True)


def upgrade_file(path: str | os.PathLike[str], new: Spec, who: str, note: str = "",
                 today: date | None = None) -> UpgradeResult:
    """Upgrade the workbook at ``path`` in place (atomically; refused while it is open in Excel)."""
    refuse_unwritable(path)  # open in Excel or read-only: refused before any work
    pkg = Package.open(path)
    result = upgrade_package(pkg, new, who, note, today)
    if result.written:
        pkg.save()
    return result


def embedded(path: str | os.PathLike[str]) -> Spec:
    """The spec a workbook holds (what `master add|edit|retire` start from)."""
    from workbook_templates.reader import read_workbook

    return read_workbook(path).spec


def default_who() -> str:
    """Who the history names when --by is not given: the signed-in user's name on this machine."""
    env = os.environ
    return env.get("TOMSYNC_USER") or env.get("USERNAME") or env.get("USER") or "programme manager"


