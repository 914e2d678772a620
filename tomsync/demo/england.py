"""Demo data for an English careers hub's Strategic Careers Plans (a spec with ``[plan]``).

Each school's Careers Leader rates every action in the current term's column (earlier terms keep
their ratings), fills the school's row of the Plan sheet once, and enters the Compass result per
benchmark for every term so far. Schools differ in how far along they are; the Compass results
improve term on term, mostly. Seeded, so every run is the same.

The deliberate mistakes (``mistakes=True``), one per school, each found by validation:
    NFA  a Red action with no review note                 red-without-note (error)
    RSC  a Compass % of 120                                compass-percent (error)
    STM  a Compass row for "Summer 2030", not a plan term  compass-term (error)
    WPK  an own action due "Sum2 2026", still in progress  overdue (warning)
    HLG  a phone number in a review note                   personal-data (warning)
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from openpyxl.workbook.workbook import Workbook

from workbook_templates.cells import set_data
from workbook_templates.layout import COMPASS, FIRST_ROW, PLAN, Layout
from workbook_templates.plan import compass_headers, plan_headers, plan_terms, term_dates, term_of
from workbook_templates.spec import School, Spec

OWN_ACTIONS = [  # (benchmark number, objective, audience, action, responsible, timing, success criteria)
    (1, "Parents know the careers programme", "Parents and carers",
     "Termly careers update to parents through the school app", "Careers Leader/Communications lead",
     "Each term", "Open rate above half of families"),
    (4, "Teachers link their subjects to careers", "Staff",
     "Careers Champions in every department, meeting once a term", "Careers Leader/Careers Champions",
     "Aut1 & Sum2", "A Careers Champion named in every department"),
    (5, "Every young person meets employers", "Students",
     "Mock interviews with volunteers from local employers for Year 11", "Enterprise Adviser",
     "Spring term", "Every Year 11 student has a mock interview"),
    (7, "Young people know every post-16 route", "Students",
     "Apprenticeship assembly and college taster day for Year 10", "Careers Leader/Head of Year 10",
     "Summer 2", "Year 10 survey: most know two routes after 16"),
    (3, "Vulnerable young people move on to education, employment or training", "Students",
     "Transition support for young people at risk of NEET with the local authority", "SENCO/Careers adviser",
     "Each term", "No Year 11 leaver NEET in October"),
]
NOTES = {
    "G": ["On track; evidence on the shared site.", "Delivered as planned; feedback positive.",
          "Reviewed with the link governor; on track."],
    "A": ["Under way; dates agreed with the partners.", "Half delivered; the rest booked for next term."],
    "R": ["Behind: employer withdrew; the Enterprise Adviser is sourcing a replacement.",
          "Not started: staffing gap; escalated to SLT, new date being agreed."],
    "B": ["Complete; evaluation shared with SLT.", "Done; evidence uploaded."],
}
LEADERS = {"NFA": "A. Patel", "RSC": "J. Okafor", "STM": "M. Byrne", "WPK": "S. Hughes", "HLG": "R. Lewis"}
ROLES = ["Careers Leader", "Careers adviser", "Assistant head"]


def demo_months(spec: Spec, today: date) -> list[str]:
    """The cycle months the demo runs: the formal snapshot months before this month, then this month
    (clamped to the session), the last three of them: three terms of history."""
    assert spec.plan is not None
    current = f"{today.year:04d}-{today.month:02d}"
    current = min(max(current, spec.months[0]), spec.months[-1])
    snaps = sorted({f"{y}-{s[:2]}" for y in {m[:4] for m in spec.months} for s in spec.plan.snapshots
                    if f"{y}-{s[:2]}" in spec.months and f"{y}-{s[:2]}" < current})
    return [*snaps, current][-3:]


def _headers(ws: Any) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[1] if c.value}


def _put(ws: Any, cols: dict[str, int], row: int, header: str, value: Any) -> None:
    if header in cols:
        set_data(ws.cell(row=row, column=cols[header]), value)


def _rating(rng: random.Random, diligence: float, k: int) -> str:
    """An action's rating ``k`` terms into the plan."""
    p = diligence * (k + 2) / 4 + rng.uniform(-0.2, 0.2)
    return "B" if p > 1.1 else "G" if p > 0.6 else "A" if p > 0.3 else "R"


def _fill_tab(ws: Any, spec: Spec, school: School, s_i: int, k: int, day: date, seed: int) -> None:
    """Ratings for every term up to the ``k``-th on one school's tab, and its own actions."""
    cols = _headers(ws)
    layout = Layout(spec)
    rags = spec.rag_columns
    diligence = random.Random(f"{seed}-{school.id}").uniform(0.6, 0.95) * (0.55 if s_i == 2 else 1)
    own = OWN_ACTIONS[s_i % len(OWN_ACTIONS):] + OWN_ACTIONS[:s_i % len(OWN_ACTIONS)]
    rows: list[tuple[int, str]] = [(FIRST_ROW + i, str(r[spec.id_header])) for i, r in enumerate(spec.master)]
    for j, (bm, objective, audience, action, responsible, timing, success) in enumerate(own[:2 + s_i % 2]):
        r = layout.master_end + 1 + j
        rid = f"{school.id}-{j + 1:02d}"
        values = {spec.id_header: rid, "Benchmark": spec.plan.benchmarks[bm - 1] if spec.plan else "",
                  "Objective": objective, "Audience": audience, "Action": action, "Responsible": responsible,
                  "Timing": timing, "Success criteria": success, "Resources": "Within the careers budget"}
        for h, v in values.items():
            _put(ws, cols, r, h, v)
        rows.append((r, rid))
    for r, rid in rows:
        rng = random.Random(f"{seed}-{school.id}-{rid}")
        rating = "A"
        for t in range(k + 1):
            rating = _rating(rng, diligence, t)
            _put(ws, cols, r, rags[t].header, rating)
        status = "Complete" if rating == "B" else "In progress"
        _put(ws, cols, r, "Status", status)
        _put(ws, cols, r, "Review note", random.Random(f"{seed}-{rid}-{k}").choice(NOTES[rating]))
        if status == "Complete":
            _put(ws, cols, r, "Evidence link",
                 f"https://example.sharepoint.com/sites/careers/Evidence/{school.id}/{rid}.pdf")
        _put(ws, cols, r, "Last updated", day - timedelta(days=rng.randint(0, 5)))
        _put(ws, cols, r, "Updated by", rng.choice(ROLES))


def _fill_plan(wb: Workbook, spec: Spec, day: date) -> None:
    ws = wb[PLAN]
    cols = {h: i + 1 for i, h in enumerate(plan_headers(spec.plan))} if spec.plan else {}
    start = date(int(spec.months[0][:4]), int(spec.months[0][5:]), 1)
    for i, school in enumerate(spec.schools):
        r = 2 + i
        values = {"Careers Leader": LEADERS.get(school.id, "Careers Leader"),
                  "Date created": start + timedelta(days=20 + i),
                  "Approved by SLT": start + timedelta(days=35),
                  "Approved by governors": start + timedelta(days=60 + 7 * i),
                  "Review date": date(day.year + 1, 7, 15) if day.month >= 8 else date(day.year, 7, 15),
                  "Vision": "Every young person leaves with a plan and the skills to follow it.",
                  "Compass score": "See the Compass sheet", "Priority benchmarks": ["BM4, BM6", "BM3, BM7",
                                                                                  "BM2, BM4"][i % 3],
                  "Destinations": "96% sustained destinations (last published year)",
                  "Labour market information": "Growth in health, construction and digital in the region",
                  "Vulnerable cohorts": "Young people with SEND and those eligible for free school meals"}
        for h, v in values.items():
            _put(ws, cols, r, h, v)


def _fill_compass(wb: Workbook, spec: Spec, k: int, seed: int) -> None:
    """Compass results for the first ``k`` + 1 terms: per benchmark a % that mostly rises each term."""
    assert spec.plan is not None
    ws = wb[COMPASS]
    cols = {h: i + 1 for i, h in enumerate(compass_headers(spec.plan))}
    terms = plan_terms(spec)
    n = len(spec.plan.benchmarks)
    for s_i, school in enumerate(spec.schools):
        rng = random.Random(f"{seed}-{school.id}-compass")
        level = [rng.choice((60, 70, 80, 90, 100, 100)) for _ in range(n)]
        for t in range(k + 1):
            r = 2 + s_i * len(terms) + t
            for b in range(n):
                step = rng.choice((0, 0, 10, 10, 20, -10 if s_i == 2 else 0))
                level[b] = max(30, min(100, level[b] + (step if t else 0)))
                _put(ws, cols, r, f"BM{b + 1} %", level[b])
                _put(ws, cols, r, f"BM{b + 1} achieved", "Yes" if level[b] == 100 else "No")


def _mistakes(wb: Workbook, spec: Spec, k: int, day: date) -> None:
    """The planted mistakes listed in the module note."""
    assert spec.plan is not None
    layout = Layout(spec)
    terms = plan_terms(spec)
    by_id = {s.id: (i, s) for i, s in enumerate(spec.schools)}
    rag = spec.rag_columns[k].header
    if "NFA" in by_id:
        ws = wb[by_id["NFA"][1].sheet]
        cols = _headers(ws)
        _put(ws, cols, FIRST_ROW + 4, rag, "R")
        _put(ws, cols, FIRST_ROW + 4, "Status", "In progress")
        _put(ws, cols, FIRST_ROW + 4, "Review note", None)
    compass = wb[COMPASS]
    ccols = {h: i + 1 for i, h in enumerate(compass_headers(spec.plan))}
    if "RSC" in by_id:
        _put(compass, ccols, 2 + by_id["RSC"][0] * len(terms) + k, "BM4 %", 120)
    if "STM" in by_id:
        r = 2 + by_id["STM"][0] * len(terms) + len(terms) - 1
        _put(compass, ccols, r, "Term", "Summer 2030")
        _put(compass, ccols, r, "BM1 achieved", "Yes")
        _put(compass, ccols, r, "BM1 %", 100)
    if "WPK" in by_id:
        ws = wb[by_id["WPK"][1].sheet]
        cols = _headers(ws)
        r = layout.master_end + 1
        _put(ws, cols, r, "Timing", "Sum2 2026")
        _put(ws, cols, r, "Status", "In progress")
        _put(ws, cols, r, rag, "R")
        _put(ws, cols, r, "Review note", "Behind: the provider cancelled; rebooked for the spring term.")
    if "HLG" in by_id:
        ws = wb[by_id["HLG"][1].sheet]
        _put(ws, _headers(ws), FIRST_ROW + 1, "Review note", "Ring the link governor on 07700 900123")


def fill_term(wb: Workbook, spec: Spec, month: str, today: date, seed: int = 2026,
              mistakes: bool = True) -> None:
    """Fill the plan as it stands at the end of ``month`` (YYYY-MM): every school updated this month."""
    y, m = int(month[:4]), int(month[5:])
    day = min(date(y, m, 25), today)
    term = term_of(spec, day) or plan_terms(spec)[-1]
    k = plan_terms(spec).index(term)
    if term_dates(spec).get(term, (day, day))[0] > day:  # between terms: the term just ended
        k = max(0, k - 1)
    for s_i, school in enumerate(spec.schools):
        _fill_tab(wb[school.sheet], spec, school, s_i, k, day, seed)
    _fill_plan(wb, spec, day)
    _fill_compass(wb, spec, k, seed)
    if mistakes:
        _mistakes(wb, spec, k, day)
