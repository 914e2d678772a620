"""RAG roll-ups: pure functions of a list of ratings, and grouping of workbook rows.

Rules (../shared/DESIGN.md): blanks are ignored and no ratings give no rating (""); B (complete)
counts as G.
- worst: R if any R, else A if any A, else G.
- majority: the most common rating; a tie goes to the worse.
- score (default): G=1, A=0.5, R=0, mean over rated rows; G if mean >= green, R if mean < red, else A.

Termly plans rate a row once per term; a row's rating is its latest rated term (`current_rating`).
Rows whose Status is "Not applicable" are left out of roll-ups: they are not expected of the school.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from workbook_templates.spec import Spec

RULES = ("score", "worst", "majority")
ORDER = {"R": 0, "A": 1, "G": 2}  # worse first
POINTS = {"G": 1.0, "A": 0.5, "R": 0.0}
NOT_APPLICABLE = "Not applicable"
_RATINGS = frozenset(("R", "A", "G", "B"))


def clean(ratings: Iterable[Any]) -> list[str]:
    """Only real ratings, upper-cased, with B counted as G; blanks and anything else dropped."""
    out = []
    for r in ratings:
        if r is None:
            continue
        text = str(r).strip().upper()
        if text == "B":
            text = "G"
        if text in ORDER:
            out.append(text)
    return out


def _counts(ratings: Iterable[Any]) -> tuple[int, int, int]:
    rated = clean(ratings)
    return rated.count("R"), rated.count("A"), rated.count("G")


def score(ratings: Iterable[Any]) -> float | None:
    """Mean of G=1, A=0.5, R=0 over rated items; None when nothing is rated."""
    return score_counts(*_counts(ratings))


def score_counts(r: int, a: int, g: int) -> float | None:
    rated = r + a + g
    return (g + 0.5 * a) / rated if rated else None


def rag_from_score(value: float | None, green: float = 0.75, red: float = 0.4) -> str:
    if value is None:
        return ""
    if value >= green:
        return "G"
    if value < red:
        return "R"
    return "A"


def worst(ratings: Iterable[Any]) -> str:
    return roll_counts(*_counts(ratings), rule="worst")


def majority(ratings: Iterable[Any]) -> str:
    return roll_counts(*_counts(ratings), rule="majority")


def roll(ratings: Iterable[Any], rule: str = "score", green: float = 0.75, red: float = 0.4) -> str:
    """The rolled-up rating ("R", "A", "G" or "" for none) under ``rule``."""
    if rule not in RULES:
        raise ValueError(f"unknown roll-up rule {rule!r} (rules: {', '.join(RULES)})")
    return roll_counts(*_counts(ratings), rule=rule, green=green, red=red)


def roll_counts(r: int, a: int, g: int, rule: str = "score", green: float = 0.75, red: float = 0.4) -> str:
    """The same roll-up from counts of R, A and G (B already counted as G): what groups keep."""
    if not r + a + g:
        return ""
    if rule == "score":
        return rag_from_score(score_counts(r, a, g), green, red)
    if rule == "worst":
        return "R" if r else "A" if a else "G"
    if rule == "majority":
        top = max(r, a, g)
        return "R" if r == top else "A" if a == top else "G"  # a tie goes to the worse
    raise ValueError(f"unknown roll-up rule {rule!r} (rules: {', '.join(RULES)})")


# -- rows -> groups ----------------------------------------------------------------------------

def current_rating(values: dict[str, Any], spec: Spec) -> str:
    """The row's rating: its only RAG column, or for termly plans the latest term rated."""
    for col in reversed(spec.rag_columns):
        v = values.get(col.header)
        if v is None:
            continue
        if v in _RATINGS:
            return v
        text = str(v).strip().upper()
        if text in _RATINGS:
            return text
    return ""


@dataclass
class Group:
    key: dict[str, str]
    R: int = 0
    A: int = 0
    G: int = 0
    unrated: int = 0
    rag: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "R": self.R, "A": self.A, "G": self.G, "unrated": self.unrated,
                "rag": self.rag}


@dataclass
class RollupResult:
    rule: str
    by: list[str]
    groups: list[Group]
    overall: Group

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "by": self.by, "groups": [g.as_dict() for g in self.groups],
                "overall": self.overall.as_dict()}


class RatedRow(NamedTuple):
    """What a roll-up needs of a row: its group keys and its current rating."""

    school: str
    theme: str
    lead: str
    rating: str


def rated_rows(spec: Spec, school_rows: dict[str, Sequence[Any]]) -> list[RatedRow]:
    """Turn reader rows (per school tab) into RatedRows, leaving out Not applicable rows."""
    theme = spec.column("theme")
    lead = spec.column("lead")
    status = spec.column("status")
    th, lh, sh = (c.header if c else None for c in (theme, lead, status))
    out = []
    for school, rows in school_rows.items():
        for row in rows:
            values = row.values
            if sh is not None and values.get(sh) == NOT_APPLICABLE:
                continue
            out.append(RatedRow(school,
                                str(values.get(th) or "(none)") if th else "(none)",
                                str(values.get(lh) or "(none)") if lh else "(none)",
                                current_rating(values, spec)))
    return out


_FIELD = {"school": 0, "theme": 1, "lead": 2}


def group_rows(rows: Iterable[RatedRow], by: Sequence[str], rule: str = "score",
               green: float = 0.75, red: float = 0.4, order: dict[str, list[str]] | None = None
               ) -> RollupResult:
    """Counts and rolled-up rating per group; groups keep first-seen order unless ``order`` says."""
    for b in by:
        if b not in _FIELD:
            raise ValueError(f"cannot group by {b!r} (use school, theme or lead)")
    key_of = itemgetter(*[_FIELD[b] for b in by])
    single = len(by) == 1
    counts: dict[Any, Counter[str]] = {}
    for row in rows:
        key = key_of(row)
        c = counts.get(key)
        if c is None:
            c = counts[key] = Counter()
        c[row.rating] += 1
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    keys = list(counts)
    tuples = {k: (k,) if single else k for k in keys}
    if order:
        positions = {b: {v: i for i, v in enumerate(order.get(b) or [])} for b in by}

        def rank(key: tuple[str, ...]) -> tuple[int, ...]:
            return tuple(positions[b].get(k, 10**6) for b, k in zip(by, tuples[key], strict=True))
        keys.sort(key=rank)

    def make(key: dict[str, str], c: Counter[str]) -> Group:
        g = Group(key, c["R"], c["A"], c["G"] + c["B"], c[""])
        g.rag = roll_counts(g.R, g.A, g.G, rule, green, red)
        return g

    groups = [make(dict(zip(by, tuples[key], strict=True)), counts[key]) for key in keys]
    return RollupResult(rule, list(by), groups, make({}, total))


def rollups(data: Any, groupings: Sequence[Sequence[str]], rule: str | None = None) -> list[RollupResult]:
    """Roll up a read workbook (`reader.WorkbookData`) once per grouping, with the spec's settings as
    defaults; the rows are rated once and shared by every grouping."""
    spec: Spec = data.spec
    rule = rule or spec.rollup.rule
    order = {"school": [s.sheet for s in spec.schools]}
    theme, lead = spec.column("theme"), spec.column("lead")
    if theme is not None and theme.choices:
        order["theme"] = list(theme.choices)
    if lead is not None and lead.choices:
        order["lead"] = list(lead.choices)
    rows = rated_rows(spec, {name: s.rows for name, s in data.schools.items()})
    return [group_rows(rows, list(by), rule, spec.rollup.green, spec.rollup.red, order)
            for by in groupings]


def rollup_workbook(data: Any, by: Sequence[str] | None = None, rule: str | None = None) -> RollupResult:
    """One roll-up of a read workbook; ``by`` defaults to the spec's first grouping."""
    return rollups(data, [list(by or data.spec.rollup.by[:1] or ["school"])], rule)[0]
