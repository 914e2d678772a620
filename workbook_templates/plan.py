"""A Strategic Careers Plan's own sheets (England): what a spec's ``[plan]`` section adds.

    Plan      one row per school: the plan header (Careers Leader, date created, dates approved by
              senior leaders and by governors, review date) and its current state (Compass score,
              priority benchmarks, destinations, labour market information, vulnerable cohorts)
    Compass   one row per school and plan term: each benchmark's Compass result, achieved Yes/No and
              the % of its sub-benchmarks met, as the Careers Leader enters them

Both sheets have an "ID" column in row 1, so a merge matches their rows by ID like a school tab
(`sync.merge`). The benchmarks are the choices of the spec's theme column; the terms are the plan's
termly RAG columns' terms, which the session calendar names (`workbook_templates.calendar`), so a
Compass term outside the plan's calendar is refused. Reading and checking live here too, so the
reader, validation and the report agree on one layout; nothing here imports the spec module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from workbook_templates.layout import COMPASS, PLAN

if TYPE_CHECKING:
    from workbook_templates.spec import Column, Spec

FIELD_KINDS = ("text", "date")
FIELD_ROLES = ("leader", "created", "slt", "governors", "review", "priorities", "destinations", "lmi",
               "cohorts")
YES, NO = "Yes", "No"
SNAPSHOT = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")  # MM-DD


class PlanError(ValueError):
    """A [plan] section that cannot be used (spec.py turns it into a SpecError)."""


@dataclass(frozen=True)
class PlanField:
    header: str
    kind: str = "text"
    role: str | None = None
    width: float = 18


@dataclass(frozen=True)
class PlanSpec:
    fields: tuple[PlanField, ...]
    benchmarks: tuple[str, ...]  # the theme column's choices, "1 A stable careers programme", ...
    snapshots: tuple[str, ...] = ("12-31", "03-31", "07-31")  # the formal termly snapshots (MM-DD)
    compass: bool = True

    def field(self, role: str) -> PlanField | None:
        return next((f for f in self.fields if f.role == role), None)


def parse_plan(d: dict[str, Any], columns: tuple[Column, ...], source: str) -> PlanSpec:
    """[plan]: fields = [{header, kind?, role?, width?}], snapshots = ["MM-DD", ...], compass = bool."""
    from workbook_templates.spec import SpecError  # the spec module imports this one

    where = f"{source}: plan"
    for key in d:
        if key not in ("fields", "snapshots", "compass"):
            raise SpecError(f"{where}: unknown key '{key}'")
    theme = next((c for c in columns if c.role == "theme"), None)
    if theme is None or not theme.choices:
        raise SpecError(f"{where}: a plan needs a theme column of kind \"choice\" (the benchmarks)")
    fields: list[PlanField] = []
    seen = {"id", "school"}
    for i, f in enumerate(d.get("fields", [])):
        here = f"{where}: fields[{i}]"
        if not isinstance(f, dict) or not isinstance(f.get("header"), str) or not f["header"].strip():
            raise SpecError(f"{here}: must be a table with a header")
        kind, role = f.get("kind", "text"), f.get("role")
        if kind not in FIELD_KINDS:
            raise SpecError(f"{here}: kind must be one of {', '.join(FIELD_KINDS)}")
        if role is not None and role not in FIELD_ROLES:
            raise SpecError(f"{here}: role must be one of {', '.join(FIELD_ROLES)}")
        if f["header"].strip().lower() in seen:
            raise SpecError(f"{here}: duplicate header '{f['header']}'")
        seen.add(f["header"].strip().lower())
        fields.append(PlanField(f["header"].strip(), kind, role, float(f.get("width", 18))))
    snapshots = d.get("snapshots", ["12-31", "03-31", "07-31"])
    if not isinstance(snapshots, list) or not all(isinstance(s, str) and SNAPSHOT.fullmatch(s)
                                                  for s in snapshots):
        raise SpecError(f"{where}: snapshots must be a list of \"MM-DD\" dates")
    compass = d.get("compass", True)
    if not isinstance(compass, bool):
        raise SpecError(f"{where}: compass must be true or false")
    return PlanSpec(tuple(fields), theme.choices, tuple(snapshots), compass)


def plan_to_dict(plan: PlanSpec) -> dict[str, Any]:
    return {"fields": [{"header": f.header, "kind": f.kind, "width": f.width,
                        **({"role": f.role} if f.role else {})} for f in plan.fields],
            "snapshots": list(plan.snapshots), "compass": plan.compass}


# -- layout ------------------------------------------------------------------------------------

def plan_terms(spec: Spec) -> list[str]:
    """The plan's terms, oldest first: its termly RAG columns' terms (their headers if unnamed)."""
    return [c.term or c.header for c in spec.rag_columns]


def plan_headers(plan: PlanSpec) -> list[str]:
    return ["ID", "School", *(f.header for f in plan.fields)]


def compass_headers(plan: PlanSpec) -> list[str]:
    out = ["ID", "School", "Term"]
    for i in range(1, len(plan.benchmarks) + 1):
        out += [f"BM{i} achieved", f"BM{i} %"]
    return out


def compass_id(school_id: str, term: str) -> str:
    """The Compass row of one school and term: "NFA-Autumn2026"."""
    return f"{school_id}-{re.sub(r'[^A-Za-z0-9]', '', term)}"


def snapshot_dates(plan: PlanSpec, months: tuple[str, ...]) -> list[date]:
    """The formal snapshot dates that fall in the session, in order."""
    out = []
    for year in sorted({int(m[:4]) for m in months}):
        for s in plan.snapshots:
            d = date(year, int(s[:2]), int(s[3:]))
            if f"{d.year:04d}-{d.month:02d}" in months:
                out.append(d)
    return sorted(out)


# -- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompassResult:
    """One school's Compass evaluation for one term, as entered (values kept raw for validation)."""

    school_id: str
    school: str
    term: str
    row: int
    achieved: tuple[Any, ...]  # per benchmark: "Yes", "No", None or whatever was typed
    percent: tuple[Any, ...]
    id: str = ""  # the row's ID as built ("NFA-Autumn2026"): the term it belongs to

    @property
    def entered(self) -> bool:
        return any(v not in (None, "") for v in (*self.achieved, *self.percent))

    def met(self, i: int) -> bool | None:
        """Benchmark ``i`` (0-based) achieved: True, False, or None when not entered or unreadable."""
        v = str(self.achieved[i] or "").strip().lower()
        return True if v in ("yes", "y") else False if v in ("no", "n") else None

    @property
    def count(self) -> int | None:
        """Benchmarks achieved, out of all; None when any benchmark is not entered."""
        met = [self.met(i) for i in range(len(self.achieved))]
        return None if any(m is None for m in met) else sum(1 for m in met if m)


@dataclass(frozen=True)
class PlanData:
    """The Plan and Compass sheets as read: plan rows by school id, Compass results in sheet order."""

    header: dict[str, dict[str, Any]] = field(default_factory=dict)  # school id -> field -> value
    header_rows: dict[str, int] = field(default_factory=dict)  # school id -> Plan row number
    compass: tuple[CompassResult, ...] = ()
    missing: tuple[str, ...] = ()  # sheets the spec asks for that the workbook lacks

    def results(self, school_id: str) -> dict[str, CompassResult]:
        """A school's entered results by term."""
        return {r.term: r for r in self.compass if r.school_id == school_id and r.entered}


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.date()
    return value


def read_plan(grids: dict[str, list[list[Any]]], spec: Spec) -> PlanData:
    """The plan's sheets from their value grids (row 1 the header); a missing sheet is named."""
    plan = spec.plan
    assert plan is not None
    ids = {s.id for s in spec.schools}
    by_name = {s.name: s.id for s in spec.schools} | {s.sheet: s.id for s in spec.schools}
    header: dict[str, dict[str, Any]] = {}
    rows: dict[str, int] = {}
    missing = [name for name in (PLAN, *((COMPASS,) if plan.compass else ())) if name not in grids]
    grid = grids.get(PLAN, [])
    heads = [str(h or "").strip() for h in (grid[0] if grid else [])]
    for r, raw in enumerate(grid[1:], start=2):
        values = {h: _cell(raw[i]) if i < len(raw) else None for i, h in enumerate(heads) if h}
        sid = str(values.get("ID") or "")
        if sid in ids:
            header[sid], rows[sid] = values, r
    out: list[CompassResult] = []
    grid = grids.get(COMPASS, [])
    heads = [str(h or "").strip() for h in (grid[0] if grid else [])]
    n = len(plan.benchmarks)
    for r, raw in enumerate(grid[1:], start=2):
        values = {h: _cell(raw[i]) if i < len(raw) else None for i, h in enumerate(heads) if h}
        if not any(v is not None for v in values.values()):
            continue
        rid, school = str(values.get("ID") or ""), str(values.get("School") or "")
        sid = rid.split("-", 1)[0] if rid.split("-", 1)[0] in ids else by_name.get(school, "")
        out.append(CompassResult(sid, school, str(values.get("Term") or ""), r,
                                 tuple(values.get(f"BM{i} achieved") for i in range(1, n + 1)),
                                 tuple(values.get(f"BM{i} %") for i in range(1, n + 1)), rid))
    return PlanData(header, rows, tuple(out), tuple(missing))


def term_dates(spec: Spec) -> dict[str, tuple[date, date]]:
    """Each plan term's (start, end), from the calendar entry that names it (by name or alias)."""
    out: dict[str, tuple[date, date]] = {}
    for term in plan_terms(spec):
        key = term.strip().lower()
        for t in spec.terms:
            if key in (n.strip().lower() for n in (t.name, *t.aliases)):
                out[term] = (t.start, t.end)
                break
    return out


def term_of(spec: Spec, day: date) -> str | None:
    """The plan term ``day`` falls in (autumn to 31 December, spring to 31 March, summer to 31 July
    in the shipped calendar); a day between terms belongs to the next one; None after the last."""
    for term, (_start, end) in term_dates(spec).items():
        if day <= end:
            return term
    return None


def cycle_term(spec: Spec, month: str) -> tuple[str, date, date] | None:
    """The plan term a cycle month reports, with its start and end (the end is the term's formal
    snapshot in the shipped calendar: 31 December, 31 March, 31 July); None without a termly plan.
    Validation's stale check, the reminders and the report all count "updated" from its start."""
    if spec.plan is None:
        return None
    y, m = int(month[:4]), int(month[5:7])
    last = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    term = term_of(spec, last)
    dates = term_dates(spec)
    return (term, *dates[term]) if term in dates else None
