"""A new session (school year) from last year's workbook: `tomsync session new FILE --label 2027/28`.

Decisions:
- The new workbook is built from the old one's EMBEDDED spec (so every master change, school and
  tier made during the year carries on), with the new session label and its months one year on (or
  ``start`` / ``end``), and the calendar's term dates moved on one year (check them against the new
  year's dates in the spec).
- Work not Complete is carried forward, row by row, matched by ID: a master row keeps its Status,
  RAG, notes and evidence; a school's own row (not Complete) is copied whole into the free row
  holding its ID (or the next free row). Its notes start with "[carried from 2026/27]". Rows
  Complete, and rows nobody touched, are not carried: completed work stays in the old workbook.
- Last updated and Updated by are left empty, and the workbook has no cycle stamp: the stale cycle
  starts again with the new session's first month.
- Everything copied is written as data (text that looks like a formula stays text).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.calendar import Term
from workbook_templates.cells import set_data
from workbook_templates.layout import FIRST_ROW, Layout
from workbook_templates.reader import WorkbookData, read_workbook
from workbook_templates.spec import MONTH, Spec, SpecError, canonical
from workbook_templates.template import SheetHook, build_workbook
from workbook_templates.winfiles import refuse_unsafe_path

COMPLETE = "Complete"
RESTART = ("last_updated", "updated_by")  # a new session's dates start again


def carried_note(label: str) -> str:
    return f"[carried from {label}]"


def _year_on(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def next_spec(spec: Spec, label: str, start: str | None = None, end: str | None = None) -> Spec:
    """``spec`` for the session ``label``: months from ``start`` to ``end`` (default: a year on)."""
    def on(month: str) -> str:
        return f"{int(month[:4]) + 1:04d}-{month[5:]}"

    start = start or on(spec.months[0])
    end = end or on(spec.months[-1])
    if not (MONTH.fullmatch(start) and MONTH.fullmatch(end)) or start > end:
        raise SpecError(f"session {label}: start and end must be YYYY-MM, start first")
    y, m = int(start[:4]), int(start[5:])
    months = []
    while f"{y:04d}-{m:02d}" <= end:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    terms = tuple(Term(t.name, _year_on(t.start), _year_on(t.end), t.aliases) for t in spec.terms)
    return replace(spec, session=label, months=tuple(months), terms=terms)


@dataclass
class Rollover:
    path: Path
    spec: Spec
    carried: dict[str, list[str]]  # school tab -> IDs carried
    left: dict[str, int]  # school tab -> rows Complete (left in the old workbook)


def _carry(values: dict[str, Any], spec: Spec) -> bool:
    status = spec.column("status")
    value = values.get(status.header) if status else None
    return value != COMPLETE


def _typed(values: dict[str, Any], spec: Spec, master: dict[str, Any]) -> bool:
    """Anything a school typed on a master row beyond what the template wrote there ("Not started",
    the master's own values such as a Responsible)."""
    return any(values.get(c.header) not in (None, "") and canonical(values.get(c.header)) != canonical(
        master.get(c.header)) for c in spec.columns
        if not c.locked and c.role not in RESTART and c.role != "status") or (
        (s := spec.column("status")) is not None and values.get(s.header) not in (None, "Not started"))


def new_session(data: WorkbookData, label: str, output: str | os.PathLike[str], start: str | None = None,
                end: str | None = None, password: str | None = None, extras: tuple[SheetHook, ...] = ()
                ) -> Rollover:
    """Write the new session's workbook at ``output`` (see the module note)."""
    old = data.spec
    spec = next_spec(old, label, start, end)
    wb = build_workbook(spec, password, extras)
    layout = Layout(spec)
    notes = spec.column("notes")
    restart = {c.header for c in spec.columns if c.role in RESTART}
    carried: dict[str, list[str]] = {}
    left: dict[str, int] = {}
    mark = carried_note(old.session)
    for school in spec.schools:
        tab = data.schools.get(school.sheet)
        if tab is None:
            continue
        ws = wb[school.sheet]
        index = {h: i + 1 for i, h in enumerate(layout.headers)}
        free = {canonical(ws.cell(row=r, column=index[spec.id_header]).value): r
                for r in range(layout.master_end + 1, layout.last_row + 1)}  # pre-filled own IDs
        kept = {canonical(x.get(spec.id_header)) for x in tab.rows}
        spare = iter([r for i, r in free.items() if i not in kept]  # rows no carried ID will claim
                     + list(range(layout.last_row + 1, layout.last_row + 1 + len(tab.rows))))
        taken: set[int] = set()
        for row in tab.rows:
            rid = canonical(row.get(spec.id_header))
            if not _carry(row.values, spec):
                left[school.sheet] = left.get(school.sheet, 0) + 1
                continue
            if rid in spec.master_by_id:
                if not _typed(row.values, spec, spec.master_by_id[rid]):
                    continue
                r = FIRST_ROW + list(spec.master_by_id).index(rid)
                headers = [c.header for c in spec.columns if not c.locked]
            else:  # its own numbered row, else the first spare one
                r = free.get(rid, 0)
                if not r or r in taken:
                    r = next(spare)
                headers = [c.header for c in spec.columns]
            taken.add(r)
            for h in headers:
                value = None if h in restart else row.get(h)
                if notes is not None and h == notes.header:
                    value = f"{mark} {value}" if value not in (None, "") else mark
                if value is not None or h in restart:
                    set_data(ws.cell(row=r, column=index[h]), value)
            carried.setdefault(school.sheet, []).append(rid)
    out = Path(output)
    refuse_unsafe_path(out)
    save_workbook_atomic(wb, out)
    return Rollover(out, spec, carried, left)


def new_session_file(path: str | os.PathLike[str], label: str, output: str | os.PathLike[str],
                     start: str | None = None, end: str | None = None, password: str | None = None,
                     extras: tuple[SheetHook, ...] = ()) -> Rollover:
    return new_session(read_workbook(path), label, output, start, end, password, extras)
