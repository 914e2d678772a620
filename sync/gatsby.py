"""The Gatsby view of a hub's cycle: benchmarks ACHIEVED (Compass), beside the heat map of actions
ON TRACK (the plan's RAG), so the two are never confused.

Per school, the benchmarks achieved out of 8 in the cycle's term and the change since the school's
last evaluation; per benchmark, the % of the hub's schools achieving it this term against last term;
the hub's average beside the national average. The national figures live in a data file
(`workbook_templates/data/gatsby_national.toml`, with source and year), not in code.

Which term a cycle reports: the plan term its month falls in (a month between terms reports the term
ahead); "last term" is the plan term before it. A school counts towards a term only when it entered
all eight benchmarks for it; a school with no entry is listed as "not entered", never as 0 of 8.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook_templates.plan import plan_terms, term_dates, term_of

if TYPE_CHECKING:
    from sync.consolidate import Consolidated
    from workbook_templates.reader import WorkbookData

NATIONAL_FILE = "gatsby_national.toml"


@dataclass(frozen=True)
class AreaPlan:
    """What the report needs of one area's plan sheets (small and picklable: it crosses processes)."""

    benchmarks: tuple[str, ...]
    terms: tuple[str, ...]
    term: str | None  # the cycle's term
    results: dict[str, dict[str, tuple[bool | None, ...]]]  # school label -> term -> achieved per benchmark
    percents: dict[str, dict[str, tuple[Any, ...]]]  # school label -> term -> % per benchmark
    header: dict[str, dict[str, Any]]  # school label -> the Plan sheet's fields
    roles: dict[str, str] = field(default_factory=dict)  # plan field role -> header ("review": "Review date")
    term_ends: tuple[tuple[str, str], ...] = ()  # (term, ISO end date), in order: labels the trend
    term_start: str = ""  # ISO start of the cycle's term: "updated this term" counts from it


def area_plan(data: WorkbookData, month: str, label: Any) -> AreaPlan | None:
    """The plan sheets of a read workbook, keyed by the report's school labels; None without a plan."""
    spec, plan = data.spec, data.plan
    if spec.plan is None or plan is None:
        return None
    y, m = int(month[:4]), int(month[5:])
    end = date(y + (m == 12), m % 12 + 1, 1)
    term = term_of(spec, end - timedelta(days=1))
    results: dict[str, dict[str, tuple[bool | None, ...]]] = {}
    percents: dict[str, dict[str, tuple[Any, ...]]] = {}
    header: dict[str, dict[str, Any]] = {}
    for s in spec.schools:
        school = label(s.sheet)
        entered = plan.results(s.id)
        n = len(spec.plan.benchmarks)
        results[school] = {t: tuple(r.met(i) for i in range(n)) for t, r in entered.items()}
        percents[school] = {t: r.percent for t, r in entered.items()}
        header[school] = dict(plan.header.get(s.id, {}))
    dates = term_dates(spec)
    return AreaPlan(spec.plan.benchmarks, tuple(plan_terms(spec)), term, results, percents, header,
                    {f.role: f.header for f in spec.plan.fields if f.role},
                    tuple((t, end.isoformat()) for t, (_, end) in dates.items()),
                    dates[term][0].isoformat() if term in dates else "")


@dataclass(frozen=True)
class NationalYear:
    year: str
    national: float
    source: str
    hub_schools: float | None = None
    outside_hubs: float | None = None


def national_figures(path: str | Path | None = None) -> list[NationalYear]:
    """The national averages, newest year first (from the shipped data file unless ``path``)."""
    p = Path(path) if path else Path(str(resources.files("workbook_templates") / "data" / NATIONAL_FILE))
    data = tomllib.loads(p.read_text(encoding="utf-8"))
    years = [NationalYear(str(y["year"]), float(y["national"]), str(y.get("source", "")),
                          y.get("hub_schools"), y.get("outside_hubs")) for y in data.get("years", [])]
    return sorted(years, key=lambda y: y.year, reverse=True)


@dataclass(frozen=True)
class SchoolAchieved:
    school: str
    achieved: int | None  # of len(benchmarks), in the cycle's term; None: not entered
    previous: int | None  # at the school's last evaluation before it
    previous_term: str | None
    met: tuple[bool | None, ...]  # per benchmark, this term

    @property
    def change(self) -> int | None:
        return None if self.achieved is None or self.previous is None else self.achieved - self.previous


@dataclass(frozen=True)
class GatsbyView:
    term: str
    last_term: str | None
    benchmarks: tuple[str, ...]
    schools: list[SchoolAchieved]
    per_benchmark: list[tuple[str, float | None, float | None]]  # name, % of schools now, last term
    average: float | None
    last_average: float | None
    national: list[NationalYear]


def _count(met: tuple[bool | None, ...] | None) -> int | None:
    if met is None or any(m is None for m in met):
        return None
    return sum(1 for m in met if m)


def _share(values: list[bool]) -> float | None:
    return 100 * sum(values) / len(values) if values else None


def gatsby_view(c: Consolidated, national: list[NationalYear] | None = None) -> GatsbyView | None:
    """The view for the areas of ``c`` that keep a plan; None when none does or none names a term."""
    plans = [a.plan for a in c.areas if a.plan is not None]
    plans = [p for p in plans if p.term]
    if not plans:
        return None
    first = plans[0]
    term = first.term
    assert term is not None
    terms = list(first.terms)
    last_term = terms[terms.index(term) - 1] if term in terms and terms.index(term) > 0 else None
    schools: list[SchoolAchieved] = []
    now: list[tuple[bool | None, ...]] = []
    before: list[tuple[bool | None, ...]] = []
    for p in plans:
        for school, by_term in p.results.items():
            met = by_term.get(term)
            count = _count(met)
            earlier = [t for t in p.terms[: p.terms.index(term)] if _count(by_term.get(t)) is not None] \
                if term in p.terms else []
            prev_term = earlier[-1] if earlier else None
            previous = _count(by_term.get(prev_term)) if prev_term else None
            schools.append(SchoolAchieved(school, count, previous, prev_term,
                                          met or tuple(None for _ in p.benchmarks)))
            if met is not None and count is not None:
                now.append(met)
            old = by_term.get(last_term) if last_term else None
            if old is not None and _count(old) is not None:
                before.append(old)
    per = [(name, _share([bool(m[i]) for m in now]), _share([bool(m[i]) for m in before]))
           for i, name in enumerate(first.benchmarks)]
    counts_now = [_count(m) or 0 for m in now]
    counts_before = [_count(m) or 0 for m in before]
    return GatsbyView(term, last_term, first.benchmarks, schools, per,
                      sum(counts_now) / len(counts_now) if counts_now else None,
                      sum(counts_before) / len(counts_before) if counts_before else None,
                      national if national is not None else national_figures())


@dataclass(frozen=True)
class HubAchieved:
    """The board's lines on achievement: the hub's average against last term and the nation's, and how
    many schools achieve all the benchmarks, improved or fell since their last evaluation."""

    schools: int
    entered: int  # schools with a Compass result this term
    all_met: int  # schools achieving every benchmark this term
    improved: int  # more achieved than at the school's last evaluation
    fell: int  # fewer
    same: int
    average: float | None
    last_average: float | None
    national: NationalYear | None  # the newest year of the data file


def hub_achieved(v: GatsbyView) -> HubAchieved:
    """Counts over ``v.schools``; a school with no result this term is in ``schools`` only."""
    n = len(v.benchmarks)
    changes = [s.change for s in v.schools if s.change is not None]
    return HubAchieved(len(v.schools), sum(1 for s in v.schools if s.achieved is not None),
                       sum(1 for s in v.schools if s.achieved == n),
                       sum(1 for d in changes if d > 0), sum(1 for d in changes if d < 0),
                       sum(1 for d in changes if d == 0), v.average, v.last_average,
                       v.national[0] if v.national else None)


def signed(n: int | float | None, fmt: str = "{:+d}") -> str:
    """"+1", "-2", "0" (no sign on zero), or "" when unknown."""
    if n is None:
        return ""
    return "0" if n == 0 else fmt.format(n)
