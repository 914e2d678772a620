"""What a board must see, row by row: Reds, what slipped since last month, what improved.

Pure functions of this month's rows and the archived rows of earlier months (`sync.rows`). A row is
compared with the same school's same ID in the latest earlier month that has a row snapshot; a school
that month did not have (its first month, or an area added since) has nothing to compare with, so
its rows are neither slipped nor improved, and a Red there is Red since this month.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sync.rows import RowState
from workbook_templates.layout import NOT_APPLICABLE
from workbook_templates.rollup import ORDER

NEW_RED, RED, SLIPPED, OPTED_OUT, REMOVED, IMPROVED = (
    "New Red", "Red", "Slipped", "Now not applicable", "Row removed", "Improved")
KIND_ORDER = {k: i for i, k in enumerate((NEW_RED, RED, SLIPPED, OPTED_OUT, REMOVED, IMPROVED))}


@dataclass(frozen=True)
class RowChange:
    kind: str
    row: RowState  # this month's row; for a removed row, last month's
    before: str  # last month's rating and status in words ("" when there is nothing to compare)
    red_since: str  # YYYY-MM when the row is Red now, else ""

    @property
    def is_new(self) -> bool:
        return self.kind == NEW_RED


def _rag(r: RowState | None) -> str:
    if r is None or r.status == NOT_APPLICABLE:
        return ""
    return "G" if r.rag == "B" else r.rag


def _words(r: RowState | None) -> str:
    if r is None:
        return ""
    if r.status == NOT_APPLICABLE:
        return NOT_APPLICABLE
    return f"{r.rag or 'not rated'}" + (f" ({r.status})" if r.status else "")


Index = list[tuple[str, dict[tuple[str, str], RowState]]]  # earlier months, newest first, rows by key


def _index(month: str, history: Mapping[str, Sequence[RowState]]) -> Index:
    return [(m, {r.rid: r for r in history[m]}) for m in sorted((m for m in history if m < month),
                                                                  reverse=True)]


def red_since(row: RowState, month: str, history: Mapping[str, Sequence[RowState]],
              index: Index | None = None) -> str:
    """The first month of the run of Red months that ends with this one (``index``: `_index`, built
    once per report so that thousands of Reds do not each re-read every month)."""
    since = month
    for m, earlier in index if index is not None else _index(month, history):
        if _rag(earlier.get(row.rid)) != "R":
            break
        since = m
    return since


def row_changes(rows: Sequence[RowState], month: str, history: Mapping[str, Sequence[RowState]],
                master_ids: Collection[str] | None = None) -> list[RowChange]:
    """Every Red row, every row that slipped (G to A, A to R, anything to Not applicable, a row
    removed) and every row that improved, worst first, in school order within a kind. A master row
    no longer in ``master_ids`` (the areas' master rows now) was retired, not removed."""
    index = _index(month, history)
    before = index[0][1] if index else {}
    known = {r.school_key for r in before.values()}  # schools last month's snapshot had (by ID: renamed too)
    out: list[RowChange] = []
    for row in rows:
        prev = before.get(row.rid)
        now, was = _rag(row), _rag(prev)
        compare = row.school_key in known
        if now == "R":
            kind = RED if compare and was == "R" else NEW_RED
            out.append(RowChange(kind, row, _words(prev), red_since(row, month, history, index)))
        elif not compare or prev is None:
            continue
        elif row.status == NOT_APPLICABLE and prev.status != NOT_APPLICABLE:
            out.append(RowChange(OPTED_OUT, row, _words(prev), ""))
        elif now and was and ORDER[now] < ORDER[was]:
            out.append(RowChange(SLIPPED, row, _words(prev), ""))
        elif now and ((was and ORDER[now] > ORDER[was]) or prev.status == NOT_APPLICABLE):
            out.append(RowChange(IMPROVED, row, _words(prev), ""))
    present = {r.rid for r in rows}
    present_schools = {r.school_key for r in rows}
    retired = set() if master_ids is None else {p.id for p in before.values() if p.master} - set(master_ids)
    for rid, prev in before.items():  # a master row retired for every school is not "removed"
        if rid not in present and prev.school_key in present_schools and prev.id not in retired:
            out.append(RowChange(REMOVED, prev, _words(prev), ""))
    schools = list(dict.fromkeys(r.school for r in [*rows, *before.values()]))
    rank = {s: i for i, s in enumerate(schools)}
    return sorted(out, key=lambda c: (KIND_ORDER[c.kind], rank.get(c.row.school, 0)))
