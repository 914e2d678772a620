"""RAG roll-ups: pure functions of a list of ratings, and grouping of workbook rows.

Rules (the design's roll-up rules): blanks are ignored and no ratings give no rating (""); B (complete)
counts as G.
- worst: R if any R, else A if any A, else G.
- majority: the most common rating; a tie goes to the worse.
- score (default): G=1, A=0.5, R=0, mean over rated rows; G if mean >= green, R if mean < red, else A.

Termly plans rate a row once per term; a row's rating is its latest rated term (`current_rating`).
Rows whose Status is "Not applicable" are left out of roll-ups: they are not expected of the school.

Grouping is by key: `roll_up_by` counts any items under any key function (a column role of the
workbook's rows in `group_rows`, a header of a worksheet range in `rollup_table`), so the CLI, the
report and the TOM_ROLLUP worksheet function share one roll-up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from workbook_templates.layout import CURRENT_RAG, NOT_APPLICABLE
from workbook_templates.spec import RESERVED_SHEETS, RULES, Spec, canonical

__all__ = ["RULES", "NOT_APPLICABLE", "Group", "RollupResult", "RatedRow", "clean", "score", "roll",
           "roll_counts", "current_rating", "rated_rows", "roll_up_by", "group_rows", "rollup_table",
           "table_rating", "rollups", "rollup_workbook", "left_out"]

ORDER = {"R": 0, "A": 1, "G": 2}  # worse first
POINTS = {"G": 1.0, "A": 0.5, "R": 0.0}
NONE = "(none)"  # the group of rows with no value in the grouping column
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
    return rating_and_column(values, spec)[0]


def rating_and_column(values: dict[str, Any], spec: Spec) -> tuple[str, str]:
    """(the row's rating, the header of the RAG column it came from: "RAG", or the term of a plan such
    as "Autumn 2026"); ("", "") when the row is not rated."""
    for col in reversed(spec.rag_columns):
        v = values.get(col.header)
        if v is None:
            continue
        if v in _RATINGS:
            return v, col.header
        text = str(v).strip().upper()
        if text in _RATINGS:
            return text, col.header
    return "", ""


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
    tier: str = "own"  # a master row's tier ("minimum", "wagjll"), or "own" for a school's own row


def rated_rows(spec: Spec, school_rows: Mapping[str, Sequence[Any]]) -> list[RatedRow]:
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
                                str(values.get(th) or NONE) if th else NONE,
                                str(values.get(lh) or NONE) if lh else NONE,
                                current_rating(values, spec),
                                spec.tier(canonical(values.get(spec.id_header))) or OWN))
    return out


def roll_up_by(items: Iterable[Any], by: Sequence[str], key: Callable[[Any], Hashable],
               rating: Callable[[Any], str] = attrgetter("rating"), rule: str = "score",
               green: float = 0.75, red: float = 0.4, order: dict[str, list[str]] | None = None
               ) -> RollupResult:
    """Counts and rolled-up rating per group of ``items``. ``key(item)`` names the item's group: a
    tuple with one value per name in ``by``, or the bare value when ``by`` has one name. Groups keep
    first-seen order unless ``order`` (name -> values in order) says otherwise."""
    single = len(by) == 1
    counts: dict[Any, Counter[str]] = {}
    for item in items:
        k = key(item)
        c = counts.get(k)
        if c is None:
            c = counts[k] = Counter()
        c[rating(item)] += 1
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    keys = list(counts)
    tuples = {k: (k,) if single and not isinstance(k, tuple) else tuple(k) for k in keys}
    if order:
        positions = {b: {v: i for i, v in enumerate(order.get(b) or [])} for b in by}

        def rank(key: Any) -> tuple[int, ...]:
            return tuple(positions[b].get(k, 10**6) for b, k in zip(by, tuples[key], strict=True))
        keys.sort(key=rank)

    def make(key: dict[str, str], c: Counter[str]) -> Group:
        g = Group(key, c["R"], c["A"], c["G"] + c["B"], c[""])
        g.rag = roll_counts(g.R, g.A, g.G, rule, green, red)
        return g

    groups = [make(dict(zip(by, tuples[k], strict=True)), counts[k]) for k in keys]
    return RollupResult(rule, list(by), groups, make({}, total))


_FIELD = {"school": 0, "theme": 1, "lead": 2, "tier": 4}
OWN = "own"
TIER_ORDER = ["minimum", "wagjll", OWN]  # how tiers are listed: the minimum first


def group_rows(rows: Iterable[RatedRow], by: Sequence[str], rule: str = "score",
               green: float = 0.75, red: float = 0.4, order: dict[str, list[str]] | None = None
               ) -> RollupResult:
    """`roll_up_by` over RatedRows, grouped by school, theme and/or lead."""
    for b in by:
        if b not in _FIELD:
            raise ValueError(f"cannot group by {b!r} (use school, theme, lead or tier)")
    return roll_up_by(rows, by, itemgetter(*[_FIELD[b] for b in by]), attrgetter("rating"), rule, green,
                      red, order)


# -- a plain table (a worksheet range with a header row) ---------------------------------------------

def table_rating(headers: Sequence[str], specs: Iterable[Spec] = ()) -> Callable[[Sequence[Any]], str]:
    """How to read a table row's rating: its Current RAG or RAG column, or else the latest rated term
    of the first spec whose rag columns are in the table (termly plans)."""
    lower = [h.lower() for h in headers]
    for name in (CURRENT_RAG.lower(), "rag"):
        if name in lower:
            i = lower.index(name)
            return lambda raw: next(iter(clean([raw[i]])), "")
    for spec in specs:
        terms = [c.header for c in spec.rag_columns if c.header.lower() in lower]
        if terms:
            return _latest_term({h: lower.index(h.lower()) for h in terms}, spec)
    raise ValueError("no rating column (RAG or Current RAG) in the table's header row")


def _latest_term(idx: dict[str, int], spec: Spec) -> Callable[[Sequence[Any]], str]:
    def rating(raw: Sequence[Any]) -> str:
        return current_rating({h: raw[i] for h, i in idx.items()}, spec)
    return rating


def rollup_table(table: Sequence[Sequence[Any]], by: str, rule: str = "score", specs: Iterable[Spec] = ()
                 ) -> RollupResult:
    """Roll up a table whose first row is the header, grouped by the column headed ``by`` (any case).
    Empty rows (an ID alone, as the template pre-fills own rows, is empty) and Not applicable rows
    (a Status column) are left out, as in the workbook roll-ups."""
    specs = list(specs)
    headers = [str(h) if h is not None else "" for h in table[0]]
    lower = [h.lower() for h in headers]
    ids = {i for i, h in enumerate(lower) if h == "id" or h in {s.id_header.lower() for s in specs}}
    if by.lower() not in lower:
        raise ValueError(f"no column '{by}' in the table's header row")
    k = lower.index(by.lower())
    rating = table_rating(headers, specs)
    status = lower.index("status") if "status" in lower else None
    rows = [raw for raw in table[1:] if not all(v is None or i in ids for i, v in enumerate(raw))
            and (status is None or raw[status] != NOT_APPLICABLE)]
    return roll_up_by(rows, [headers[k]], lambda raw: canonical(raw[k]) or NONE, rating, rule)


def rollups(data: Any, groupings: Sequence[Sequence[str]], rule: str | None = None) -> list[RollupResult]:
    """Roll up a read workbook (`reader.WorkbookData`) once per grouping, with the spec's settings as
    defaults; the rows are rated once and shared by every grouping."""
    spec: Spec = data.spec
    rule = rule or spec.rollup.rule
    order = {"school": [s.sheet for s in spec.schools], "tier": TIER_ORDER}
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


def left_out(data: Any) -> list[str]:
    """The ratings a roll-up of ``data`` (`reader.WorkbookData`) cannot count, one line each: a school
    tab that is missing (renamed?), a rating column missing from a tab's header row, a rating cell
    showing an Excel error or holding a formula with no result. Empty when nothing is left out."""
    from openpyxl.utils.cell import coordinate_from_string, get_column_letter

    from workbook_templates.layout import FIRST_ROW

    spec: Spec = data.spec
    out = []
    known = {s.sheet for s in spec.schools}
    others = [n for n in data.sheet_names if n not in known and n not in RESERVED_SHEETS]
    for school in spec.schools:
        if school.sheet not in data.schools:
            hint = f" (tabs not in the spec: {', '.join(others)})" if others else ""
            out.append(f"{school.sheet}: the tab is missing, renamed?{hint}: its ratings are left out")
    for name, sheet in data.schools.items():
        rags = [c.header for c in spec.rag_columns]
        missing = [h for h in rags if h not in sheet.headers]
        if missing:
            out.append(f"{name}: no '{missing[0]}' column in the header row (renamed?): the ratings of "
                       f"{len(sheet.rows)} row(s) are left out")
            continue
        letters = {get_column_letter(sheet.headers.index(h) + 1): h for h in rags}
        errors = data.error_cells.get(name, {})
        formulas = data.formula_cells.get(name, set())
        rows = {r.row: r for r in sheet.rows}
        for address in sorted({*errors, *formulas}, key=lambda a: (coordinate_from_string(a)[1], a)):
            letter, number = coordinate_from_string(address)
            row = rows.get(number)
            if letter not in letters or number < FIRST_ROW:
                continue
            header = letters[letter]
            if address in errors:
                out.append(f"{name} {address}: {header} shows {errors[address]}: left out")
            elif row is None or row.get(header) is None:
                out.append(f"{name} {address}: {header} is a formula with no saved result: left out")
    return out
