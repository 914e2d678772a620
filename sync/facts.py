"""What the board page and the report's new sections say, worked out once from a `Consolidated`.

Pure functions: the writers (`sync.report`) only lay these out, so the HTML, the xlsx and the tests
read the same facts. Rows are `sync.rows.RowState`; findings are matched to rows by area, tab and ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sync.consolidate import Consolidated
from sync.exceptions import NEW_RED, RED, RowChange
from sync.rows import RowState
from workbook_templates.layout import NOT_APPLICABLE
from workbook_templates.rollup import ORDER

COMPLETE = "Complete"


@dataclass(frozen=True)
class OptOut:
    row: RowState
    allowed: str  # the spec's reason when allowed; "" when the opt-out is an error


@dataclass(frozen=True)
class Overdue:
    row: RowState
    message: str


@dataclass(frozen=True)
class Evidence:
    school: str
    complete: int
    without_link: int

    @property
    def percent_without(self) -> float:
        return 100 * self.without_link / self.complete if self.complete else 0.0


def _findings_by_row(c: Consolidated, rule: str) -> dict[tuple[str, str], str]:
    """(Area: tab, ID) -> the message, for one rule's findings."""
    return {(f"{a.area}: {f.sheet}", f.row_id): f.message for a in c.areas for f in a.findings
            if f.rule == rule and f.row_id}


def opt_outs(c: Consolidated) -> list[OptOut]:
    """Every master row marked Not applicable, allowed by the spec or not (an error then)."""
    errors = _findings_by_row(c, "opt-out")
    return [OptOut(r, "" if (r.key, r.id) in errors else "allowed by the spec")
            for r in c.rows if r.master and r.status == NOT_APPLICABLE]


def overdue(c: Consolidated) -> list[Overdue]:
    found = _findings_by_row(c, "overdue")
    return [Overdue(r, found[(r.key, r.id)]) for r in c.rows if (r.key, r.id) in found]


def unreadable_due(c: Consolidated) -> list[tuple[str, str, str]]:
    """(workbook, ID, message) of every due-unreadable finding: listed, never guessed."""
    return [(a.name, f.row_id or "", f.message) for a in c.areas for f in a.findings
            if f.rule == "due-unreadable"]


def evidence(c: Consolidated, schools: Sequence[str]) -> list[Evidence]:
    """Per school: Complete rows, and those without an evidence link."""
    done: dict[str, list[RowState]] = {}
    for r in c.rows:  # one pass: a pass per school would be quadratic at a hub's 3,500 schools
        if r.status == COMPLETE:
            done.setdefault(r.school, []).append(r)
    return [Evidence(s, len(d := done.get(s, [])), sum(1 for r in d if not r.evidence.strip()))
            for s in schools]


def new_reds(changes: Sequence[RowChange]) -> list[RowChange]:
    return [ch for ch in changes if ch.kind == NEW_RED]


def reds(changes: Sequence[RowChange]) -> list[RowChange]:
    return [ch for ch in changes if ch.kind in (NEW_RED, RED)]


def school_letters(c: Consolidated, month: str) -> dict[str, str]:
    """School -> its rolled-up letter in ``month`` (B as G), from the trend."""
    return {s: ("G" if (v := row.get(month, "")) == "B" else v) for s, row in c.trend.items()}


def rag_count_change(c: Consolidated) -> list[tuple[str, int, int | None]]:
    """(R/A/G, schools at it now, schools at it last month or None with no last month)."""
    now = school_letters(c, c.month)
    before = school_letters(c, c.months[-2]) if len(c.months) > 1 else None
    return [(k, sum(1 for v in now.values() if v == k),
             sum(1 for v in before.values() if v == k) if before is not None else None) for k in ORDER]
