"""Demo data: a TOM workbook filled the way real schools fill it, seeded so every run is the same.

Schools differ in how far along they are (two lag behind and one did not update this month), ratings
follow progress against each expectation's timing, and a handful of deliberate mistakes show what
validation catches: a red with no note, a completed row with no rating, a phone number in a note, a
note starting with "=", a master row reworded on an unprotected tab, a duplicate ID.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.cells import set_data
from workbook_templates.layout import FIRST_ROW, NOT_APPLICABLE, Layout
from workbook_templates.spec import Contact, School, Spec
from workbook_templates.template import write_template
from xl_addin.conf import ADDIN_SHEETS

Put = Callable[[int, str, Any], None]  # write a value (as data) into a row's column, by header

OWN_ACTIVITIES = [
    ("Employer engagement", "Careers fair with local employers and Borders College", "DYW", "S3-S6"),
    ("Employer engagement", "Mock interviews with volunteers from local businesses", "DYW", "S5-S6"),
    ("Career guidance", "Drop-in career guidance clinic at lunchtime", "SDS", "S4-S6"),
    ("Work-based learning", "Young Enterprise company programme", "School", "S5-S6"),
    ("Parents and carers", "Pathways evening for parents before subject choices", "Joint", "Parents"),
    ("Data and transitions", "Transition support for S4 leavers with their key workers", "SDS", "S4"),
    ("Professional learning", "Meet the Employer session for the faculty of technologies", "DYW", "Staff"),
    ("Work-based learning", "Construction skills taster days with a regional employer", "DYW", "S3"),
]
NOTES = {
    "Complete": ["Delivered as planned; evaluation shared with SLT.", "Done. Feedback from pupils positive.",
                 "Completed and evidence uploaded to the shared site."],
    "In progress": ["Under way; dates agreed with the partners.",
                    "Two of three sessions delivered so far.",
                    "Planning meeting held; materials in draft.",
                    "On track; reviewed at the last 16+ meeting."],
    "R": ["Off track: staff absence; catch-up planned for next month with the DYW team.",
          "Not started: timetable clash; escalated to the depute head, new date being agreed.",
          "Behind: employer withdrew; DYW sourcing a replacement."],
}
ROLES = ["DYW co-ordinator", "SDS adviser", "Depute head", "Careers adviser"]
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _due_index(when: Any, months: tuple[str, ...]) -> int:
    """The month index in the session by which an expectation should be under way."""
    text = str(when or "")
    for i, m in enumerate(months):
        if MONTH_ABBR[int(m[5:7]) - 1] == text:
            return i
    if text.startswith("Term "):
        return min(len(months) - 1, (int(text[5]) - 1) * 3)
    return 0


@dataclass(frozen=True)
class _Columns:
    """Where the demo writes on a school tab of ``spec``."""

    layout: Layout
    col: dict[str, int]
    rag: str | None  # the only RAG column; None on a termly plan (several rag columns)
    notes: str | None

    @classmethod
    def of(cls, spec: Spec) -> _Columns:
        layout = Layout(spec)
        notes = spec.column("notes")
        return cls(layout, {h: i for i, h in enumerate(layout.headers, start=1)},
                   spec.rag_columns[-1].header if len(spec.rag_columns) == 1 else None,
                   notes.header if notes else None)


def _writer(ws: Any, cols: _Columns) -> Put:
    def put(row: int, header: str, value: Any) -> None:
        if header in cols.col:
            set_data(ws.cell(row=row, column=cols.col[header]), value)
    return put


def _own_rows(put: Put, cols: _Columns, school: School, index: int, seed: int
              ) -> list[tuple[int, dict[str, Any]]]:
    """The school's own activities below the master rows (2 to 4 of them); returns (row, values)."""
    own = OWN_ACTIVITIES[:]
    random.Random(f"{seed}-{school.id}-own").shuffle(own)
    rows = []
    for j, (theme, activity, lead, audience) in enumerate(own[: 2 + index % 3]):
        r = cols.layout.master_end + 1 + j
        values = {"ID": f"{school.id}-{j + 1:02d}", "Theme": theme, "Activity": activity, "Lead": lead,
                  "Audience": audience, "When": "Ongoing", "Target": "Agreed with SLT"}
        for h, v in values.items():
            put(r, h, v)
        rows.append((r, values))
    return rows


def _progress(rng: random.Random, diligence: float, k: int, due: int) -> tuple[str, str | None]:
    """(status, rating) of a row ``k`` months into the session, due under way by month ``due``."""
    started = k >= due
    progress = min(1.0, max(0.0, diligence * (k - due + 2) / 4 + rng.uniform(-0.15, 0.15)))
    if not started and rng.random() < 0.7:
        status, rag = "Not started", None
    elif progress >= 0.85:
        status, rag = "Complete", "G"
    elif progress <= 0.05:
        status, rag = "Not started", "R" if k > due else None
    else:
        status = "In progress"
        rag = "G" if progress > 0.55 else "A" if progress > 0.25 else "R"
    if rng.random() < 0.03:
        status, rag = NOT_APPLICABLE, None
    return status, rag


def _fill_row(put: Put, cols: _Columns, spec: Spec, school: School, r: int, values: dict[str, Any],
              diligence: float, eff_month: str, today: date, seed: int) -> None:
    """One row's status, rating, note, evidence and update stamp as they stand in ``eff_month``."""
    months = spec.months
    eff_k = months.index(eff_month) if eff_month in months else len(months) - 1
    rng = random.Random(f"{seed}-{school.id}-{values.get('ID')}-{eff_month}")
    status, rag = _progress(rng, diligence, eff_k, _due_index(values.get("When"), months))
    put(r, "Status", status)
    if cols.rag:
        put(r, cols.rag, rag)
    else:  # termly plan: rate the term this month falls in
        term = min(len(spec.rag_columns) - 1, eff_k // 4 if len(months) > 12 else 0)
        for t, c in enumerate(spec.rag_columns[: term + 1]):
            put(r, c.header, rag if t == term else (rag or "A"))
    note = None
    if rag == "R":
        note = rng.choice(NOTES["R"])
    elif status in NOTES:
        note = rng.choice(NOTES[status])
    if cols.notes:
        put(r, cols.notes, note)
    if status == "Complete" and rng.random() < 0.7:
        put(r, "Evidence link", f"https://example.sharepoint.com/sites/careers/Evidence/"
                                f"{school.id}/{values.get('ID')}.pdf")
    if status != "Not started" or rag:
        day = rng.randint(1, min(spec.deadline_day, 28))
        put(r, "Last updated", min(date(int(eff_month[:4]), int(eff_month[5:7]), day), today))
        put(r, "Updated by", rng.choice(ROLES))


def fill_month(wb: Workbook, spec: Spec, month: str, today: date, seed: int = 2026,
               mistakes: bool = True) -> None:
    """Fill every school tab as it would stand at the end of ``month`` (YYYY-MM)."""
    if spec.plan is not None:  # a Strategic Careers Plan: termly, with its Plan and Compass sheets
        from tomsync.demo.england import fill_term

        fill_term(wb, spec, month, today, seed, mistakes)
        return
    cols = _Columns.of(spec)
    months = spec.months
    k = months.index(month) if month in months else len(months) - 1
    month_start = date(int(month[:4]), int(month[5:7]), 1)
    for s_i, school in enumerate(spec.schools):
        diligence = random.Random(f"{seed}-{school.id}").uniform(0.55, 0.98)
        if s_i in (2, 5):
            diligence *= 0.45  # two schools lag behind
        stale = mistakes and s_i == 7 and k > 0  # one school did not update this month
        eff_month = months[k - 1] if stale else month
        put = _writer(wb[school.sheet], cols)
        rows = [(FIRST_ROW + i, row) for i, row in enumerate(spec.master)]
        rows += _own_rows(put, cols, school, s_i, seed)
        for r, values in rows:
            _fill_row(put, cols, spec, school, r, values, diligence, eff_month, today, seed)
        if mistakes:
            _mistake(school.id, put, cols.layout, spec, cols.notes, cols.rag, today, month_start)


def _mistake(school_id: str, put: Put, layout: Layout, spec: Spec, notes_h: str | None,
             rag_h: str | None, today: date, month_start: date) -> None:
    """One deliberate, realistic slip per named school, so the demo shows what validation finds."""
    r = 2 + 3  # the fourth master row
    first_own = layout.master_end + 1
    if school_id == "HAW" and rag_h and notes_h:
        put(r, "Status", "In progress")
        put(r, rag_h, "R")
        put(r, notes_h, None)
    elif school_id == "KEL" and rag_h:
        put(r, "Status", "Complete")
        put(r, rag_h, None)
    elif school_id == "EYE" and notes_h:
        put(r, notes_h, "Call the parent back on 07700 900123 about the placement")
    elif school_id == "SEL" and notes_h:
        put(r, notes_h, "=see minutes of the 16+ meeting")
    elif school_id == "JED":
        put(2, "Activity", "DYW and SDS agree the TOM (when we can)")
    elif school_id == "PEE":
        put(first_own + 1, spec.id_header, f"{school_id}-01")
    elif school_id == "GAL":
        put(first_own, "Last updated", today + timedelta(days=30) if today.month == month_start.month
            else month_start + timedelta(days=40))


def with_contacts(spec: Spec) -> Spec:
    """The demo's schools with made-up staff work contacts, so `tomsync remind` drafts have a To:
    the school's DYW co-ordinator and its SDS careers adviser (an English plan: the Careers Leader and
    the hub's Enterprise Coordinator), at example.org domains (reserved, never delivered). Only the
    demo adds them: the shipped specs, which areas copy, hold no addresses."""
    def contacts(school: School) -> tuple[Contact, ...]:
        slug = re.sub(r"[^a-z]+", "", school.name.split()[0].lower()) or school.id.lower()
        if spec.plan is not None:
            return (Contact("Careers Leader", f"careers.{slug}@schools.example.org"),
                    Contact("Enterprise Coordinator", f"ec.{slug}@hub.example.org"))
        return (Contact("DYW co-ordinator", f"dyw.{slug}@schools.example.org"),
                Contact("SDS careers adviser", f"careers.{slug}@sds.example.org"))
    return replace(spec, schools=tuple(replace(s, contacts=contacts(s)) for s in spec.schools))


def build_demo_workbook(spec: Spec, path: Path, month: str, today: date, seed: int = 2026,
                        mistakes: bool = True, password: str | None = None) -> Path:
    """Template plus one month of demo progress, saved atomically at ``path``."""
    write_template(spec, path, password, extras=ADDIN_SHEETS)
    wb = load_workbook(path)
    fill_month(wb, spec, month, today, seed, mistakes)
    save_workbook_atomic(wb, path)
    return path


def demo_month(spec: Spec, today: date) -> str:
    """The current month if it is in the spec's session, else the session month nearest to it."""
    current = f"{today.year:04d}-{today.month:02d}"
    if current in spec.months:
        return current
    return spec.months[0] if current < spec.months[0] else spec.months[-1]
