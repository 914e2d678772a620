"""Demo data: a TOM workbook filled the way real schools fill it, seeded so every run is the same.

Schools differ in how far along they are (two lag behind and one did not update this month), ratings
follow progress against each expectation's timing, and a handful of deliberate mistakes show what
validation catches: a red with no note, a completed row with no rating, a phone number in a note, a
note starting with "=", a master row reworded on an unprotected tab, a duplicate ID.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.cells import set_data
from workbook_templates.spec import Spec
from workbook_templates.template import Layout, write_template

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


def _cap(d: date, today: date) -> date:
    return min(d, today)


def fill_month(wb: Workbook, spec: Spec, month: str, today: date, seed: int = 2026,
               mistakes: bool = True) -> None:
    """Fill every school tab as it would stand at the end of ``month`` (YYYY-MM)."""
    layout = Layout(spec)
    months = spec.months
    k = months.index(month) if month in months else len(months) - 1
    y, m = int(month[:4]), int(month[5:7])
    month_start = date(y, m, 1)
    headers = layout.headers
    col = {h: headers.index(h) + 1 for h in headers}
    rag_h = spec.rag_columns[-1].header if len(spec.rag_columns) == 1 else None
    notes_h = spec.column("notes").header if spec.column("notes") else None
    for s_i, school in enumerate(spec.schools):
        rng = random.Random(f"{seed}-{school.id}")
        diligence = rng.uniform(0.55, 0.98)
        if s_i in (2, 5):
            diligence *= 0.45  # two schools lag behind
        stale = mistakes and s_i == 7 and k > 0  # one school did not update this month
        eff_month = months[k - 1] if stale else month
        eff_k = k - 1 if stale else k
        ey, em = int(eff_month[:4]), int(eff_month[5:7])
        ws = wb[school.sheet]

        def put(row: int, header: str, value: Any, _ws: Any = ws) -> None:
            if header in col:
                set_data(_ws.cell(row=row, column=col[header]), value)

        rows: list[tuple[int, dict[str, Any]]] = [(2 + i, row) for i, row in enumerate(spec.master)]
        own = OWN_ACTIVITIES[:]
        random.Random(f"{seed}-{school.id}-own").shuffle(own)
        n_own = 2 + s_i % 3
        for j, (theme, activity, lead, audience) in enumerate(own[:n_own]):
            r = layout.master_end + 1 + j
            values = {"ID": f"{school.id}-{j + 1:02d}", "Theme": theme, "Activity": activity, "Lead": lead,
                      "Audience": audience, "When": "Ongoing", "Target": "Agreed with SLT"}
            for h, v in values.items():
                put(r, h, v)
            rows.append((r, values))
        for r, values in rows:
            row_rng = random.Random(f"{seed}-{school.id}-{values.get('ID')}-{eff_month}")
            due = _due_index(values.get("When"), months)
            started = eff_k >= due
            progress = min(1.0, max(0.0, diligence * (eff_k - due + 2) / 4 + row_rng.uniform(-0.15, 0.15)))
            if not started and row_rng.random() < 0.7:
                status, rag, progress = "Not started", None, 0.0
            elif progress >= 0.85:
                status, rag = "Complete", "G"
            elif progress <= 0.05:
                status, rag = "Not started", "R" if eff_k > due else None
            else:
                status = "In progress"
                rag = "G" if progress > 0.55 else "A" if progress > 0.25 else "R"
            if row_rng.random() < 0.03:
                status, rag = "Not applicable", None
            put(r, "Status", status)
            if rag_h:
                put(r, rag_h, rag)
            else:  # termly plan: rate the term this month falls in
                term = min(len(spec.rag_columns) - 1, eff_k // 4 if len(months) > 12 else 0)
                for t, c in enumerate(spec.rag_columns[: term + 1]):
                    put(r, c.header, rag if t == term else (rag or "A"))
            note = None
            if rag == "R":
                note = row_rng.choice(NOTES["R"])
            elif status in NOTES:
                note = row_rng.choice(NOTES[status])
            if notes_h:
                put(r, notes_h, note)
            if status == "Complete" and row_rng.random() < 0.7:
                put(r, "Evidence link", f"https://example.sharepoint.com/sites/careers/Evidence/"
                                        f"{school.id}/{values.get('ID')}.pdf")
            if status != "Not started" or rag:
                day = row_rng.randint(1, min(spec.deadline_day, 28))
                put(r, "Last updated", _cap(date(ey, em, day), today))
                put(r, "Updated by", row_rng.choice(ROLES))
        if mistakes and k >= 0:
            _mistake(school.id, put, layout, spec, notes_h, rag_h, today, month_start)


def _mistake(school_id: str, put: Any, layout: Layout, spec: Spec, notes_h: str | None,
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


def build_demo_workbook(spec: Spec, path: Path, month: str, today: date, seed: int = 2026,
                        mistakes: bool = True, password: str | None = None) -> Path:
    """Template plus one month of demo progress, saved atomically at ``path``."""
    write_template(spec, path, password)
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
