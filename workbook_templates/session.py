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
- A plan over several years (an English Strategic Careers Plan, 2025-2028) moves on by its own
  length by default (2028-2031), not one year. Its calendar terms named with a year ("Autumn 2026",
  "Summer 2 2027") are copied on a year at a time, renamed, to cover the new months; its termly RAG
  columns become the new session's terms. A rating is kept only in a term the new session still has
  (``--start 2026-09 --end 2029-07`` rolls a three-year plan on a year: Autumn 2026 to Summer 2028 keep
  their ratings, the new year's terms start blank), never moved into another term's column. The
  Compass results of such terms are kept too; the Plan sheet keeps each school's text (Careers Leader,
  vision, priorities, destinations...) but not its dates: the new plan is created and approved again.
"""

from __future__ import annotations

import calendar as _cal
import os
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.calendar import Term
from workbook_templates.cells import set_data
from workbook_templates.layout import COMPASS, FIRST_ROW, PLAN, Layout
from workbook_templates.plan import compass_headers, compass_id, plan_headers
from workbook_templates.reader import WorkbookData, read_workbook
from workbook_templates.spec import MONTH, Column, Spec, SpecError, canonical
from workbook_templates.template import SheetHook, build_workbook
from workbook_templates.winfiles import refuse_unsafe_path

COMPLETE = "Complete"
RESTART = ("last_updated", "updated_by")  # a new session's dates start again


def carried_note(label: str) -> str:
    return f"[carried from {label}]"


_YEAR = re.compile(r"\b(?:19|20)[0-9]{2}\b")


def _years_on(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def _rename(name: str, n: int) -> str:
    """"Autumn 2026" n years on: "Autumn 2027" (n=1); a name without a year is unchanged."""
    return _YEAR.sub(lambda m: str(int(m.group()) + n), name)


def _span_years(months: tuple[str, ...]) -> int:
    """How many years a session covers: 1 for a school year, 3 for a three-year plan."""
    return max(1, -(-len(months) // 12))


def _moved_terms(spec: Spec, months: list[str], shift: int) -> tuple[Term, ...]:
    """The calendar for ``months``: a term named without a year moves on ``shift`` years, as before;
    one named with its year is copied on a year at a time, renamed, wherever a copy falls in the new
    months (so a three-year plan rolled on one year keeps its overlap and gains the new year's terms)."""
    first = date(int(months[0][:4]), int(months[0][5:]), 1)
    y, m = int(months[-1][:4]), int(months[-1][5:])
    last = date(y, m, _cal.monthrange(y, m)[1])
    span = int(months[-1][:4]) - min(t.start.year for t in spec.terms) + 1 if spec.terms else 0
    out: dict[str, Term] = {}
    for t in spec.terms:
        if not any(_YEAR.search(n) for n in (t.name, *t.aliases)):
            moved = Term(t.name, _years_on(t.start, shift), _years_on(t.end, shift), t.aliases)
            out.setdefault(t.name, moved)
            continue
        for n in range(span + 1):
            start, end = _years_on(t.start, n), _years_on(t.end, n)
            if end >= first and start <= last:
                name = _rename(t.name, n)
                out.setdefault(name, Term(name, start, end, tuple(_rename(a, n) for a in t.aliases)))
    return tuple(sorted(out.values(), key=lambda t: (t.start, -t.end.toordinal())))


def _moved_rag_columns(spec: Spec, terms: tuple[Term, ...]) -> tuple[Column, ...]:
    """The columns with the termly RAG columns replaced by one per term of the new calendar that is
    a copy of a term the old plan rated (same place, same settings); other specs unchanged."""
    rags = spec.rag_columns
    if not rags or not all(c.term for c in rags):
        return spec.columns
    olds = {_YEAR.sub("", c.term or "").strip() for c in rags}  # "Autumn", "Spring", "Summer"
    by_name = {t.name: t for t in terms}
    new_terms = [t.name for t in terms if _YEAR.search(t.name) and _YEAR.sub("", t.name).strip() in olds
                 and t.name in by_name]
    model = rags[0]
    if not new_terms:  # the terms are not in the calendar: each moves on with the session
        shift = int(terms[0].start.year) - int(spec.terms[0].start.year) if terms and spec.terms else 0
        new_terms = [_rename(c.term or c.header, shift) for c in rags]
    new = [replace(model, header=name, term=name) for name in new_terms]
    out: list[Column] = []
    for c in spec.columns:
        if c is model:
            out.extend(new)
        elif c not in rags:
            out.append(c)
    return tuple(out)


def next_spec(spec: Spec, label: str, start: str | None = None, end: str | None = None) -> Spec:
    """``spec`` for the session ``label``: months from ``start`` to ``end`` (default: on by the
    session's length, a year for a school year); the calendar and termly columns to match."""
    shift = _span_years(spec.months)

    def on(month: str) -> str:
        return f"{int(month[:4]) + shift:04d}-{month[5:]}"

    start = start or on(spec.months[0])
    end = end or on(spec.months[-1])
    if not (MONTH.fullmatch(start) and MONTH.fullmatch(end)) or start > end:
        raise SpecError(f"session {label}: start and end must be YYYY-MM, start first")
    y, m = int(start[:4]), int(start[5:])
    months = []
    while f"{y:04d}-{m:02d}" <= end:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    terms = _moved_terms(spec, months, int(start[:4]) - int(spec.months[0][:4]))
    moved = replace(spec, session=label, months=tuple(months), terms=terms)
    return replace(moved, columns=_moved_rag_columns(spec, terms))


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
    if spec.plan is not None and data.plan is not None:
        _carry_plan(data, spec, wb)
    out = Path(output)
    refuse_unsafe_path(out)
    save_workbook_atomic(wb, out)
    return Rollover(out, spec, carried, left)


def _carry_plan(data: WorkbookData, spec: Spec, wb: Any) -> None:
    """The Plan sheet's text per school (not its dates: the new plan is approved again) and the
    Compass results of the terms the new session still has, matched by ID."""
    assert spec.plan is not None and data.plan is not None
    plan_ws, compass_ws = wb[PLAN], wb[COMPASS] if spec.plan.compass else None
    heads = plan_headers(spec.plan)
    keep = [f.header for f in spec.plan.fields if f.kind != "date"]
    rows = {canonical(plan_ws.cell(row=r, column=1).value): r for r in range(2, plan_ws.max_row + 1)}
    for sid, values in data.plan.header.items():
        r = rows.get(sid)
        for h in keep:
            if r and values.get(h) not in (None, ""):
                set_data(plan_ws.cell(row=r, column=heads.index(h) + 1), values[h])
    if compass_ws is None:
        return
    heads = compass_headers(spec.plan)
    rows = {canonical(compass_ws.cell(row=r, column=1).value): r for r in range(2, compass_ws.max_row + 1)}
    for res in data.plan.compass:
        r = rows.get(compass_id(res.school_id, res.term))
        if not r or not res.entered:
            continue
        for i, (ach, pct) in enumerate(zip(res.achieved, res.percent, strict=False), start=1):
            set_data(compass_ws.cell(row=r, column=heads.index(f"BM{i} achieved") + 1), ach)
            set_data(compass_ws.cell(row=r, column=heads.index(f"BM{i} %") + 1), pct)


def new_session_file(path: str | os.PathLike[str], label: str, output: str | os.PathLike[str],
                     start: str | None = None, end: str | None = None, password: str | None = None,
                     extras: tuple[SheetHook, ...] = ()) -> Rollover:
    return new_session(read_workbook(path), label, output, start, end, password, extras)
