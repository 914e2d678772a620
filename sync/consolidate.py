"""Consolidation: many area workbooks for one month -> one view for the partnership's report.

Pure data in, pure data out (no I/O beyond reading the workbooks given), so the report writers and
the cycle stay thin. With several area workbooks (one per local authority) schools are labelled
"Area: School" so names cannot collide; with one area the school tab name is the label.

Trend: each month's per-school ratings are kept as a small JSON beside the archived workbook
(`archive/YYYY-MM/rollup.json`), so a later month's report draws the trend without re-reading old
workbooks.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from sync.exceptions import RowChange, row_changes
from sync.gatsby import AreaPlan, area_plan
from sync.rows import RowState, row_states
from workbook_templates.frame import Record, tidy_rows, to_frame
from workbook_templates.layout import NOT_APPLICABLE
from workbook_templates.reader import Limits, WorkbookData, WorkbookReadError, read_workbook
from workbook_templates.rollup import (
    TIER_ORDER,
    RatedRow,
    RollupResult,
    group_rows,
    rated_rows,
    roll,
    roll_counts,
)
from workbook_templates.validate import Finding, validate


@dataclass
class AreaResult:
    """One area workbook, read, validated and reduced to rated rows."""

    name: str  # the workbook's path in the library, e.g. "scottish-borders.xlsx"
    area: str
    title: str
    rows: list[RatedRow]  # school field already labelled for the consolidated view
    findings: list[Finding]
    schools: list[str]  # labels, in spec order
    themes: list[str]
    leads: list[str]
    last_updated: dict[str, date | None]  # school label -> newest Last updated on its tab
    error: str | None = None  # set when the workbook could not be read at all
    settings: tuple[str, float, float] = ("score", 0.75, 0.4)  # the spec's roll-up rule, green, red
    keys: list[str] = field(default_factory=list)  # "Area: School" for each school, stable across runs
    records: list[Record] = field(default_factory=list)  # tidy rows for analysts (workbook_templates.frame)
    identity: str = ""  # the embedded spec + master fingerprint: two files with one identity are one area
    row_states: list[RowState] = field(default_factory=list)  # every row with an ID, for rows.json
    red_caps: str = ""  # the spec's [rollup] red_caps: "A" caps a school with a master Red at Amber
    words: tuple[str, str, str] = ("Theme", "Lead", "Activity")  # "Benchmark", "Responsible", "Action"
    plan: AreaPlan | None = None  # a Strategic Careers Plan's Plan and Compass sheets (`sync.gatsby`)
    ids: list[str] = field(default_factory=list)  # "Area#ID" for each school: trends follow the ID
    master_ids: list[str] = field(default_factory=list)  # the master rows now (a row gone was retired)
    session: str = ""  # the spec's session label ("2026/27") and its months: which year the file is
    months: tuple[str, ...] = ()


@dataclass
class Consolidated:
    month: str
    areas: list[AreaResult]
    by_school: RollupResult
    by_theme: RollupResult
    by_lead: RollupResult
    heatmap: dict[str, dict[str, str]]  # school label -> theme -> rolled-up RAG
    trend: dict[str, dict[str, str]]  # school label -> month -> rolled-up RAG (earlier months + this)
    not_updated: list[tuple[str, date | None]]  # school label, newest Last updated (None: never)
    rule: str = "score"
    thresholds: tuple[float, float] = (0.75, 0.4)
    months: list[str] = field(default_factory=list)  # trend columns, oldest first
    row_history: dict[str, list[RowState]] = field(default_factory=dict)  # earlier months' rows.json
    capped: list[str] = field(default_factory=list)  # schools held at Amber by red_caps
    heat_counts: dict[str, dict[str, tuple[int, int, int]]] = field(default_factory=dict)  # (R, A, G)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files the cycle did not add in, and why
    by_tier: RollupResult | None = None  # minimum expectations, WAGJLL rows, schools' own rows

    @property
    def rows(self) -> list[RowState]:
        return [r for a in self.areas for r in a.row_states]

    @cached_property
    def changes(self) -> list[RowChange]:
        """Reds, slips and improvements since the last month with a row snapshot (`sync.exceptions`)."""
        return row_changes(self.rows, self.month, self.row_history,
                           {i for a in self.areas for i in a.master_ids})

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        return [(a.name, f) for a in self.areas for f in a.findings]

    @property
    def errors(self) -> int:
        return sum(1 for _, f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for _, f in self.findings if f.severity == "warning")

    def to_frame(self) -> Any:
        """A tidy pandas DataFrame of the month: one row per school row of every readable area, with
        month, area, school, ID, theme, lead, status, RAG and dates (`workbook_templates.frame`)."""
        return to_frame(r for a in self.areas for r in a.records)

    def snapshot(self) -> dict[str, Any]:
        """What the archive keeps of this month for later trends: per school its rolled-up RAG, under
        the label shown and under "Area: School", so adding an area later keeps the trend."""
        labels = {label: key for a in self.areas for label, key in zip(a.schools, a.keys, strict=False)}
        ids = {label: i for a in self.areas for label, i in zip(a.schools, a.ids, strict=False)}
        rags = {g.key["school"]: g.rag for g in self.by_school.groups}
        return {"month": self.month, "rule": self.rule, "schools": rags,
                "schools_by_area": {labels.get(s, s): rag for s, rag in rags.items()},
                "schools_by_id": {ids[s]: rag for s, rag in rags.items() if s in ids}}


def _label(area: str, school: str, multi: bool) -> str:
    return f"{area}: {school}" if multi else school


def area_result(name: str, data: WorkbookData, month: str, today: date, multi: bool) -> AreaResult:
    spec = data.spec
    findings = validate(data, month, today)
    per_school = {s: sheet.rows for s, sheet in data.schools.items()}
    rows = [r._replace(school=_label(spec.area, r.school, multi)) for r in rated_rows(spec, per_school)]
    updated = spec.column("last_updated")
    last: dict[str, date | None] = {}
    for s in spec.schools:
        typed = [r.values.get(updated.header) for r in per_school.get(s.sheet, [])] if updated else []
        dates = [d for d in typed if isinstance(d, date) and d <= today]
        last[_label(spec.area, s.sheet, multi)] = max(dates) if dates else None
    theme, lead, activity = spec.column("theme"), spec.column("lead"), spec.column("activity")
    return AreaResult(name, spec.area, spec.title, rows, findings,
                      [_label(spec.area, s.sheet, multi) for s in spec.schools],
                      list(theme.choices) if theme else [], list(lead.choices) if lead else [], last,
                      settings=(spec.rollup.rule, spec.rollup.green, spec.rollup.red),
                      keys=[_label(spec.area, s.sheet, True) for s in spec.schools],
                      records=tidy_rows(data, month), identity=area_identity(data.meta),
                      row_states=row_states(data, lambda sheet: _label(spec.area, sheet, multi)),
                      red_caps=spec.rollup.red_caps,
                      words=(theme.header if theme else "Theme", lead.header if lead else "Lead",
                             activity.header if activity else "Activity"),
                      plan=area_plan(data, month, lambda sheet: _label(spec.area, sheet, multi)),
                      ids=[school_key(spec.area, s.id) for s in spec.schools],
                      master_ids=list(spec.master_by_id), session=spec.session, months=spec.months)


def other_sessions(month: str, books: list[tuple[str, str, str, tuple[str, ...]]]) -> dict[str, str]:
    """Workbooks of another school year, to leave out of ``month``: (name, area, session, months) in,
    name -> why out. After `tomsync session new -o NEW.xlsx` a working copy holds the area twice, last
    year's workbook and the new one; a month is read from the workbook whose session holds it. A
    workbook is left out only when another of the same area holds the month (an area whose only
    workbook does not is still read, as before)."""
    holding = {area: name for name, area, _, months in books if month in months}
    return {name: f"session {session} does not include {month}; {holding[area]} (the same area) does"
            for name, area, session, months in books
            if month not in months and area in holding}


def school_key(area: str, school_id: str) -> str:
    """A school as trends follow it, whatever its tab is called this month: area and stable ID."""
    return f"{area}#{school_id}"



def area_identity(meta: dict[str, str]) -> str:
    """What makes two workbooks the same area: the same embedded spec and master fingerprint (a copy
    Explorer or OneDrive made, "NAME - Copy.xlsx", "NAME (1).xlsx", has the same)."""
    return hashlib.sha256((meta.get("spec", "") + "\0" + meta.get("master_sha256", "")).encode()).hexdigest()


def _read_one(name: str, path: Path, month: str, today: date, multi: bool,
              limits: Limits | None = None) -> AreaResult:
    try:
        return area_result(name, read_workbook(path, limits), month, today, multi)
    except WorkbookReadError as exc:
        return AreaResult(name, name, name, [], [Finding(name, "", None, "unreadable", "error", str(exc))],
                          [], [], [], {}, str(exc))


def _read_chunk(items: list[tuple[str, Path]], month: str, today: date, multi: bool,
                limits: Limits | None = None) -> list[AreaResult]:
    return [_read_one(name, path, month, today, multi, limits) for name, path in items]


PROCESS_FROM_BYTES = 4_000_000  # below this much workbook, starting worker processes costs more than it saves
CHUNK = 64


def read_areas(paths: Sequence[tuple[str, Path]], month: str, today: date,
               progress: Callable[[], None] | None = None, workers: int | None = None,
               limits: Limits | None = None) -> list[AreaResult]:
    """Read, validate and reduce every workbook, in the given order; a workbook over ``limits``
    (`workbook_templates.reader.Limits`) is an unreadable area, named, and the others go on.

    The work is Python-bound (python-calamine holds the GIL while it parses, so threads do not help):
    with enough to do, chunks of files go to worker processes, one per core, which return only the
    reduced rows and findings, not the cells.
    """
    multi = len(paths) > 1
    items = list(paths)
    workers = workers or min(2, os.cpu_count() or 1)
    size = sum(p.stat().st_size for _, p in items if p.exists())
    if len(items) < 2 or workers < 2 or size < PROCESS_FROM_BYTES:
        results = []
        for name, path in items:
            results.append(_read_one(name, path, month, today, multi, limits))
            if progress is not None:
                progress()
        return results
    chunk = max(1, min(CHUNK, len(items) // (workers * 4) or 1))
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    results_by_chunk: list[list[AreaResult]] = [[] for _ in chunks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_read_chunk, c, month, today, multi, limits): i for i, c in enumerate(chunks)}
        for future in as_completed(futures):
            results_by_chunk[futures[future]] = future.result()
            if progress is not None:
                for _ in results_by_chunk[futures[future]]:
                    progress()
    return [r for c in results_by_chunk for r in c]


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def consolidate(areas: list[AreaResult], month: str, history: dict[str, dict[str, str]] | None = None,
                rule: str = "score", green: float = 0.75, red: float = 0.4,
                row_history: dict[str, list[RowState]] | None = None) -> Consolidated:
    """Roll up all areas together; ``history`` is month -> school label -> RAG from the archive,
    ``row_history`` month -> rows (rows.json) for the exceptions.

    Each school's RAG (and heat-map row) follows its own area's roll-up rule; themes, leads and the
    overall line, which mix areas, follow ``rule``. With its area's ``red_caps = "A"``, a school with
    any Red among its rated minimum expectations is shown at Amber at best (a WAGJLL row does not cap)."""
    rows = [r for a in areas for r in a.rows]
    order = {"school": _ordered(s for a in areas for s in a.schools),
             "theme": _ordered(t for a in areas for t in a.themes),
             "lead": _ordered(lead for a in areas for lead in a.leads)}
    by_school = group_rows(rows, ["school"], rule, green, red, order)
    by_theme = group_rows(rows, ["theme"], rule, green, red, order)
    by_lead = group_rows(rows, ["lead"], rule, green, red, order)
    by_tier = group_rows(rows, ["tier"], rule, green, red, {"tier": TIER_ORDER})
    settings = {s: a.settings for a in areas for s in a.schools}  # each school under its own area's rule
    caps = {s: a.red_caps for a in areas for s in a.schools}
    master_reds = {r.school for a in areas for r in a.row_states
                   if r.minimum and r.rag == "R" and r.status != NOT_APPLICABLE}
    capped: list[str] = []
    for g in by_school.groups:
        school = g.key["school"]
        g.rag = roll_counts(g.R, g.A, g.G, *settings.get(school, (rule, green, red)))
        if caps.get(school) == "A" and g.rag == "G" and school in master_reds:
            g.rag = "A"
            capped.append(school)
    heat: dict[str, dict[str, list[str]]] = {}
    for r in rows:
        heat.setdefault(r.school, {}).setdefault(r.theme, []).append(r.rating)
    heatmap = {s: {t: roll(v, *settings.get(s, (rule, green, red))) for t, v in themes.items()}
               for s, themes in heat.items()}
    heat_counts = {s: {t: (v.count("R"), v.count("A"), v.count("G") + v.count("B"))
                       for t, v in themes.items()} for s, themes in heat.items()}
    history = dict(history or {})
    history[month] = {g.key["school"]: g.rag for g in by_school.groups}
    months = sorted(m for m in history if m <= month)
    keys = {label: (key, short) for a in areas
            for label, key, short in zip(a.schools, a.keys, (k.split(": ", 1)[-1] for k in a.keys),
                                         strict=False)}
    ids = {label: i for a in areas for label, i in zip(a.schools, a.ids, strict=False)}

    def past(m: str, school: str) -> str:  # by ID first: a renamed school keeps its trend
        key, short = keys.get(school, (school, school))
        h = history[m]
        return h.get(ids.get(school, "\0")) or h.get(school) or h.get(key) or h.get(short) or ""

    trend = {s: {m: past(m, s) for m in months} for s in order["school"]}
    first = date(int(month[:4]), int(month[5:7]), 1)
    plans = [a.plan for a in areas if not a.error]
    if plans and all(p is not None and p.term_start for p in plans):  # a hub of termly plans: this term
        first = min(first, *(date.fromisoformat(p.term_start) for p in plans if p is not None))
    not_updated = [(s, last) for a in areas for s, last in a.last_updated.items()
                   if last is None or last < first]
    return Consolidated(month, areas, by_school, by_theme, by_lead, heatmap, trend, not_updated, rule,
                        (green, red), months, dict(row_history or {}), capped, heat_counts, by_tier=by_tier)


def load_history(archive_root: Path, before: str) -> dict[str, dict[str, str]]:
    """month -> school label -> RAG, from archive/*/rollup.json of months before ``before``."""
    out: dict[str, dict[str, str]] = {}
    if not archive_root.is_dir():
        return out
    for path in sorted(archive_root.glob("*/rollup.json")):
        month = path.parent.name
        if month >= before:
            continue
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            out[month] = {**saved.get("schools_by_area", {}), **saved.get("schools", {}),
                          **saved.get("schools_by_id", {})}
        except (ValueError, OSError):
            continue
    return out
