"""Row changes month to month: a first month, an added area, a removed row, a long Red."""

from __future__ import annotations

from dataclasses import replace

from sync.exceptions import IMPROVED, NEW_RED, OPTED_OUT, RED, REMOVED, SLIPPED, row_changes
from sync.rows import RowState

BASE = RowState("Kelso High", "Scottish Borders: Kelso High", "KEL", "M01", "Agree the TOM", "Joint",
                "In progress", "G", "", "", "Aug", "", True)


def row(rid: str, rag: str, status: str = "In progress", school: str = "Kelso High",
        school_id: str = "") -> RowState:
    return replace(BASE, id=rid, rag=rag, status=status, school=school, key=f"Scottish Borders: {school}",
                   school_id=school_id or school[:3].upper())


def kinds(changes: list) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [(c.kind, c.row.id, c.red_since) for c in changes]


def test_a_first_month_lists_its_reds_as_new_and_nothing_else() -> None:
    assert kinds(row_changes([row("M01", "R"), row("M02", "G")], "2026-10", {})) == [
        (NEW_RED, "M01", "2026-10")]


def test_slips_opt_outs_removals_and_improvements_worst_first() -> None:
    before = [row("M01", "G"), row("M02", "A"), row("M03", "R"), row("M04", "R"), row("M05", "A"),
              row("M06", "G")]
    now = [row("M01", "A"), row("M02", "R"), row("M03", "R"), row("M04", "", "Not applicable"),
           row("M05", "G")]
    history = {"2026-09": [row("M03", "R")], "2026-10": before}
    assert kinds(row_changes(now, "2026-11", history)) == [
        (NEW_RED, "M02", "2026-11"), (RED, "M03", "2026-09"), (SLIPPED, "M01", ""), (OPTED_OUT, "M04", ""),
        (REMOVED, "M06", ""), (IMPROVED, "M05", "")]


def test_a_school_added_since_last_month_has_nothing_to_compare() -> None:
    history = {"2026-10": [row("M01", "G")]}
    now = [row("M01", "G"), row("M01", "R", school="Galashiels Academy"),
           row("M02", "A", school="Galashiels Academy")]
    assert kinds(row_changes(now, "2026-11", history)) == [(NEW_RED, "M01", "2026-11")]


def test_a_renamed_school_is_compared_with_its_rows_under_the_old_name() -> None:
    """Hawick High became Hawick Academy (same ID HAW): a Red that was Red stays "Red", not "New Red",
    and an opt-out since last month is listed."""
    history = {"2026-10": [row("M04", "R", school="Hawick High", school_id="HAW"),
                           row("M10", "G", school="Hawick High", school_id="HAW")]}
    now = [row("M04", "R", school="Hawick Academy", school_id="HAW"),
           row("M10", "", "Not applicable", school="Hawick Academy", school_id="HAW")]
    assert kinds(row_changes(now, "2026-11", history)) == [(RED, "M04", "2026-10"), (OPTED_OUT, "M10", "")]
