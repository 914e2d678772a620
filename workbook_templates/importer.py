"""Import a hand-made TOM into a workbook built from a spec, and say what went where.

    tables (workbook_templates.handmade) -> plan_import(tables, spec) -> ImportPlan -> write_import

The plan maps, each with a confidence from 0 to 100:

- tabs to schools by name similarity (the school's name, tab name or ID; words every school name
  shares, such as "High" or "Academy", weigh less), or, on a tab with a School column, each row by
  that column's value;
- columns to the spec's columns by header similarity, with synonyms ("RAG status", "Rating",
  "Owner", "Comments", "Date updated"...); a RAG column with no such header is found by its content
  (rating words or RAG colours);
- rows to master rows by ID, else by activity-text similarity; a row like no master row is the
  school's own activity and takes the next free row (its pre-numbered ID; the old ID is reported);
- values: "Green/Amber/Red" words and letters, a RAG shown only as the cell's colour, text dates
  (UK, day first), choices in any case, status words ("Done", "Ongoing"), dates typed in a notes
  column (the newest fills Last updated when the row has none).

Similarity is rapidfuzz's (ratio and token-sort ratio; token-set for activity text, so a shortened
wording still finds its expectation): the stdlib's difflib has no order-insensitive scorer, and
rapidfuzz is small, maintained and ships wheels for Windows. Nothing is dropped: a row that maps to
no school, has no activity text or finds no free row, a cell whose column has no place in the spec,
and a value that cannot be read (a rating "Good", a date "TBC") are kept, as text, on the
"Imported, unmatched" tab with the reason. The new workbook is the normal template (so it validates
and carries its fingerprint) with the mapped values written in as data, never formulas.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from rapidfuzz import fuzz

from workbook_templates.atomic import atomic_write_bytes, save_workbook_atomic
from workbook_templates.cells import set_data
from workbook_templates.handmade import SourceRow, Table, as_date, norm
from workbook_templates.layout import FIRST_ROW, Layout
from workbook_templates.spec import Column, School, Spec, canonical
from workbook_templates.template import SheetHook, build_workbook, own_id
from workbook_templates.textvalues import date_in_note, read_choice, read_date, read_rag, uk_date
from workbook_templates.winfiles import refuse_unsafe_path

UNMATCHED_SHEET = "Imported, unmatched"
REPORT_SHEET = "Import report"
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ref", "reference", "ref no", "no", "number", "code", "item"),
    "theme": ("theme", "area", "category", "strand", "focus", "priority", "benchmark", "gatsby benchmark"),
    "activity": ("activity", "action", "actions", "expectation", "minimum expectation", "task",
                 "description", "what", "activity description", "objective"),
    "lead": ("lead", "owner", "lead partner", "led by", "who leads", "partner"),
    "audience": ("audience", "year group", "year groups", "stage", "stages", "pupils", "who for",
                 "target group", "cohort"),
    "when": ("when", "timing", "timescale", "timeline", "timeframe", "month", "term", "frequency"),
    "target": ("target", "measure", "success measure", "outcome", "success criteria", "kpi",
               "expected outcome", "measure of success"),
    "status": ("status", "progress status", "current status", "state", "position"),
    "rag": ("rag", "rag status", "rag rating", "rating", "red amber green", "traffic light", "rag score",
            "current rag", "colour", "rating rag"),
    "notes": ("progress notes", "notes", "comments", "comment", "progress", "update", "progress update",
              "commentary", "progress comments", "remarks", "narrative"),
    "evidence": ("evidence", "evidence link", "link", "url", "links", "evidence url", "where evidence is"),
    "last_updated": ("last updated", "date updated", "updated", "date of update", "update date",
                     "last update", "updated on", "date last updated", "date"),
    "updated_by": ("updated by", "by", "editor", "completed by", "initials", "last updated by", "author"),
    "responsible": ("responsible", "owner", "who", "person responsible", "lead person"),
    "due": ("due", "due date", "deadline", "by when", "target date", "completion date"),
}
SCHOOL_HEADERS = ("school", "school name", "establishment", "secondary school", "centre", "setting")
NOT_SCHOOL_TABS = ("master", "guide", "lists", "list", "summary", "instructions", "readme", "read me",
                   "key", "contents", "lookup", "lookups", "dropdowns", "template")  # left in the old file
COMMON_WORDS = {"high", "school", "academy", "grammar", "hs", "the", "secondary", "community", "college",
                "tom", "ghs", "and", "of"}
HEADER_CUTOFF = 75
TAB_CUTOFF = 70
ROW_CUTOFF = 75  # below it a row is the school's own; the report asks to check those under 90


def known_headers(spec: Spec | None = None) -> set[str]:
    """Every header text the importer recognises: to find a hand-made tab's header row."""
    names = {norm(s) for syn in SYNONYMS.values() for s in syn} | set(SCHOOL_HEADERS)
    if spec is not None:
        names |= {norm(c.header) for c in spec.columns}
    return names


# -- the plan -----------------------------------------------------------------------------------

@dataclass
class ColumnMap:
    source: int  # 0-based column on the source tab
    header: str
    target: Column | None
    score: float
    how: str = "header"  # header | synonym | content


@dataclass
class TabMap:
    sheet: str
    school: School | None
    score: float
    why: str = ""


@dataclass
class RowMap:
    sheet: str
    row: int
    school: str  # school id ("" when unmatched)
    target: str  # the row's ID in the new workbook ("" when unmatched)
    kind: str  # master | own | unmatched
    score: float
    note: str = ""


@dataclass
class Leftover:
    sheet: str
    cell: str
    header: str
    value: Any
    why: str


@dataclass
class ImportPlan:
    source: str
    spec: Spec
    tabs: list[TabMap] = field(default_factory=list)
    columns: dict[str, list[ColumnMap]] = field(default_factory=dict)
    rows: list[RowMap] = field(default_factory=list)
    leftovers: list[Leftover] = field(default_factory=list)
    writes: dict[str, dict[tuple[int, int], Any]] = field(default_factory=dict)  # tab -> (row, col) -> value

    def counts(self) -> dict[str, Any]:
        """The headline numbers of the import report."""
        kinds = [r.kind for r in self.rows]
        mapped = [r.score for r in self.rows if r.kind != "unmatched"]
        return {
            "tabs": len(self.tabs), "tabs_mapped": sum(1 for t in self.tabs if t.school),
            "master_rows": kinds.count("master"), "own_rows": kinds.count("own"),
            "unmatched_rows": kinds.count("unmatched"),
            "unmatched_cells": sum(1 for x in self.leftovers if not x.why.startswith(ROW_UNMATCHED)),
            "low_confidence_rows": sum(1 for r in self.rows if r.kind != "unmatched" and r.score < 90),
            "mean_confidence": round(sum(mapped) / len(mapped), 1) if mapped else 0.0,
        }


ROW_UNMATCHED = "row"  # Leftover.why prefix for the cells of a whole row that did not map


def _score_names(a: str, b: str) -> float:
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def match_columns(table: Table, spec: Spec) -> list[ColumnMap]:
    """Source columns to spec columns, best pairs first; a column keeps its best unclaimed match."""
    candidates: list[tuple[float, int, int, str]] = []
    out_school: int | None = None
    for i, header in enumerate(table.headers):
        h = norm(header)
        if h in SCHOOL_HEADERS:
            out_school = i
        if not h or h in SCHOOL_HEADERS:
            continue
        for j, col in enumerate(spec.columns):
            best, how = _score_names(h, norm(col.header)), "header"
            for syn in SYNONYMS.get(col.role or "", ()):
                s = 100.0 if h == syn else _score_names(h, syn) - 2  # the spec's own header wins a tie
                if s > best:
                    best, how = s, "synonym"
            if best >= HEADER_CUTOFF:
                candidates.append((best, i, j, how))
    out: dict[int, ColumnMap] = {}
    taken: set[int] = set()
    for score, i, j, how in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if i in out or j in taken:
            continue
        out[i] = ColumnMap(i, table.headers[i], spec.columns[j], round(score, 1), how)
        taken.add(j)
    rag_cols = [j for j, c in enumerate(spec.columns) if c.kind == "rag"]
    if len(rag_cols) == 1 and rag_cols[0] not in taken:  # a rating column by its content
        best_i, best_share = None, 0.5
        for i, _ in enumerate(table.headers):
            if i in out or not table.rows:
                continue
            rated = sum(1 for r in table.rows if read_rag(r.value(i), spec.rag_values) or
                        (r.value(i) is None and r.fill(i)))
            share = rated / len(table.rows)
            if share > best_share:
                best_i, best_share = i, share
        if best_i is not None:
            out[best_i] = ColumnMap(best_i, table.headers[best_i], spec.columns[rag_cols[0]],
                                    round(60 + 30 * best_share, 1), "content")
    for i, header in enumerate(table.headers):
        if i not in out and (header or any(r.value(i) is not None for r in table.rows)):
            school = i == out_school
            out[i] = ColumnMap(i, header, None, 100 if school else 0, "school" if school else "")
    return [out[i] for i in sorted(out)]


def _core(name: str) -> str:
    words = norm(name).split()
    core = [w for w in words if w not in COMMON_WORDS]
    return " ".join(core or words)


def school_score(name: str, school: School) -> float:
    """How much a tab name (or a School cell) looks like ``school``, 0-100."""
    n, c = norm(name), _core(name)
    if n == norm(school.id) or n in (norm(school.name), norm(school.sheet)):
        return 100.0
    best = 0.0
    for target in (school.name, school.sheet):
        t, tc = norm(target), _core(target)
        best = max(best, _score_names(n, t), _score_names(c, tc) - 5)
        if len(c) >= 4 and len(tc) >= 4 and (tc.startswith(c) or c.startswith(tc)):
            best = max(best, 88.0)
    return round(best, 1)


def _assign(names: list[str], spec: Spec) -> dict[str, tuple[School | None, float]]:
    """Names to schools, best pairs first, each school once; (None, best score) when below the cutoff."""
    pairs = sorted(((school_score(n, s), k, s) for k, n in enumerate(names) for s in spec.schools),
                   key=lambda p: (-p[0], p[1]))
    out: dict[str, tuple[School | None, float]] = {}
    used: set[str] = set()
    for score, k, school in pairs:
        name = names[k]
        if name in out or school.id in used or score < TAB_CUTOFF:
            continue
        out[name] = (school, score)
        used.add(school.id)
    for n in names:
        if n not in out:
            out[n] = (None, max((school_score(n, s) for s in spec.schools), default=0))
    return out


def _school_column(table: Table) -> int | None:
    for i, h in enumerate(table.headers):
        if norm(h) in SCHOOL_HEADERS:
            return i
    return None


def _activity_score(text: str, master_text: str) -> float:
    a, b = norm(text), norm(master_text)
    if not a or not b:
        return 0.0
    return max(fuzz.token_sort_ratio(a, b), 0.9 * fuzz.token_set_ratio(a, b))


def _row_text(row: SourceRow, col: ColumnMap | None) -> str:
    v = row.value(col.source) if col else None
    return "" if v is None else str(v)


def plan_import(tables: Sequence[Table], spec: Spec, source: str = "") -> ImportPlan:
    """Map every table of a hand-made workbook onto ``spec`` (see the module note)."""
    plan = ImportPlan(source, spec)
    groups: dict[str, list[Item]] = {}  # school id -> its source rows, in order
    tab_names = [t.sheet for t in tables if t.rows and t.header_row and norm(t.sheet) not in NOT_SCHOOL_TABS
                 and _school_column(t) is None]
    tab_schools = _assign(tab_names, spec)
    for table in tables:
        maps = match_columns(table, spec) if table.header_row else []
        plan.columns[table.sheet] = maps
        if not table.rows:
            continue
        if norm(table.sheet) in NOT_SCHOOL_TABS:
            plan.tabs.append(TabMap(table.sheet, None, 0, f"not a school tab (by its name): its "
                                    f"{len(table.rows)} row(s) stay in the old workbook"))
            continue
        if not table.header_row:
            plan.tabs.append(TabMap(table.sheet, None, 0, "no header row found"))
            _all_left(plan, table, table.rows, "no header row found on this tab")
            continue
        school_col = _school_column(table)
        if school_col is not None:
            values = list(dict.fromkeys(str(r.value(school_col)).strip() for r in table.rows
                                        if r.value(school_col) is not None and not r.heading))
            by_value = _assign(values, spec)
            plan.tabs.append(TabMap(table.sheet, None, 100, f"one tab with a School column "
                                    f"('{table.headers[school_col]}'): rows mapped by its value"))
            for row in table.rows:
                value = str(row.value(school_col) or "").strip()
                school, score = by_value.get(value, (None, 0))
                if school is None or row.heading:
                    why = "a heading row" if row.heading else f"school '{value}' is no school of the spec"
                    _row_left(plan, table, row, why)
                else:
                    groups.setdefault(school.id, []).append((table, row, ""))
            for value, (school, score) in by_value.items():
                plan.tabs.append(TabMap(f"{table.sheet} [{value}]", school, score,
                                        "" if school else "no school of the spec is like it"))
            continue
        school, score = tab_schools[table.sheet]
        why = "" if school else ("its school was taken by a tab more like it" if score >= TAB_CUTOFF
                                 else "no school of the spec is like it")
        plan.tabs.append(TabMap(table.sheet, school, score, why))
        if school is None:
            _all_left(plan, table, table.rows, "the tab maps to no school of the spec")
            continue
        heading = ""
        for row in table.rows:
            if row.heading:
                heading = str(next(c.value for c in row.cells if c.value is not None))
                _row_left(plan, table, row, "a heading row (its text is the Theme of the rows below, "
                          "where it names one)")
            else:
                groups.setdefault(school.id, []).append((table, row, heading))
    for school in spec.schools:
        _plan_school(plan, school, groups.get(school.id, []))
    return plan


Item = tuple[Table, SourceRow, str]  # a source row and the section heading above it ("" if none)


def _all_left(plan: ImportPlan, table: Table, rows: list[SourceRow], why: str) -> None:
    for row in rows:
        _row_left(plan, table, row, why)


def _row_left(plan: ImportPlan, table: Table, row: SourceRow, why: str) -> None:
    plan.rows.append(RowMap(table.sheet, row.row, "", "", "unmatched", 0, why))
    for i, cell in enumerate(row.cells):
        if row.heading and i and cell.value == row.cells[i - 1].value:
            continue  # a heading merged across the row is kept once
        if cell.value is not None or cell.fill:
            value = cell.value if cell.value is not None else f"(colour {cell.fill})"
            header = table.headers[i] if i < len(table.headers) else ""
            plan.leftovers.append(Leftover(table.sheet, table.address(row.row, i), header, value,
                                           f"{ROW_UNMATCHED}: {why}"))


NEAR = 60  # an own row this like a master row may be that row reworded: its confidence drops


def own_confidence(similarity: float) -> float:
    """How sure the import is that a row is the school's own and no master row: 100 when no master
    row is near (similarity under 60), falling to 5 for a row as like one as a match would be."""
    return 100.0 if similarity < NEAR else round(max(5.0, 100 - (similarity - NEAR) * 2.5), 1)


def _plan_school(plan: ImportPlan, school: School, rows: list[Item]) -> None:
    spec = plan.spec
    layout = Layout(spec)
    ids = list(spec.master_by_id)
    activity_header = spec.column("activity")
    master_texts = [canonical(r.get(activity_header.header)) if activity_header else "" for r in spec.master]
    scored: list[tuple[float, int, int, str]] = []  # (score, row index, master index, note)
    closest: dict[int, tuple[float, int]] = {}  # row index -> (similarity, master index) of its best
    for k, (table, row, _) in enumerate(rows):
        roles = {m.target.role: m for m in plan.columns[table.sheet] if m.target and m.target.role}
        rid = canonical(row.value(roles["id"].source)) if "id" in roles else ""
        text = _row_text(row, roles.get("activity"))
        if rid in spec.master_by_id:
            j = ids.index(rid)
            sim = _activity_score(text, master_texts[j]) if text else 100.0
            note = "by ID" if sim >= 50 else f"by ID; the wording differs (similarity {sim:.0f})"
            scored.append((100.0 if sim >= 50 else 75.0, k, j, note))
        elif text:
            for j, mt in enumerate(master_texts):
                s = _activity_score(text, mt)
                if s > closest.get(k, (0.0, -1))[0]:
                    closest[k] = (s, j)
                if s >= ROW_CUTOFF:
                    scored.append((round(s, 1), k, j, "by activity text"))
    chosen: dict[int, tuple[int, float, str]] = {}
    taken: set[int] = set()
    for score, k, j, note in sorted(scored, key=lambda x: (-x[0], x[1])):
        if k in chosen or j in taken:
            continue
        chosen[k] = (j, score, note)
        taken.add(j)
    first_free = layout.master_end + 1
    free = 0
    sheet = school.sheet
    writes = plan.writes.setdefault(sheet, {})
    for k, (table, row, heading) in enumerate(rows):
        maps = plan.columns[table.sheet]
        if k in chosen:
            j, score, note = chosen[k]
            target_row, target_id, kind = FIRST_ROW + j, ids[j], "master"
        else:
            activity = next((m for m in maps if m.target is not None and m.target.role == "activity"), None)
            if not _row_text(row, activity):
                _row_left(plan, table, row, "no activity text, and no master row ID")
                continue
            if free >= spec.free_rows:
                _row_left(plan, table, row,
                          f"no free row left on {sheet} (layout.free_rows = {spec.free_rows})")
                continue
            old = next((m for m in maps if m.target is not None and m.target.role == "id"), None)
            old_id = canonical(row.value(old.source)) if old else ""
            target_row, kind = first_free + free, "own"
            target_id = own_id(school.id, free + 1)
            note = "the school's own activity" + (f" (was ID '{old_id}')" if old_id else "")
            sim, j = closest.get(k, (0.0, -1))
            score = own_confidence(sim)
            if sim >= NEAR:
                note += f"; closest master row {ids[j]} (similarity {sim:.0f})"
            free += 1
        plan.rows.append(RowMap(table.sheet, row.row, school.id, target_id, kind, score, note))
        _plan_cells(plan, table, row, maps, writes, target_row, master=kind == "master")
        if kind == "own" and heading:
            _theme_from_heading(plan, heading, writes, target_row)


def _theme_from_heading(plan: ImportPlan, heading: str, writes: dict[tuple[int, int], Any], row: int) -> None:
    """An own row with no Theme takes its section heading's, when the heading names a theme."""
    theme = plan.spec.column("theme")
    if theme is None or theme.kind != "choice":
        return
    at = (row, plan.spec.columns.index(theme) + 1)
    choice, _ = read_choice(heading, theme.choices)
    if at not in writes and choice:
        writes[at] = choice
        plan.rows[-1].note += f"; {theme.header} from the heading '{heading[:40]}'"


def _plan_cells(plan: ImportPlan, table: Table, row: SourceRow, maps: list[ColumnMap],
                writes: dict[tuple[int, int], Any], target_row: int, master: bool) -> None:
    spec = plan.spec
    index = {c.header: i + 1 for i, c in enumerate(spec.columns)}
    written: set[str] = set()
    note_dates: list[date] = []
    for m in maps:
        value, fill = row.value(m.source), row.fill(m.source)
        where = table.address(row.row, m.source)
        col = m.target
        if m.how == "school":
            continue  # the School column chose the tab
        if col is None:
            if value is not None:
                why = (f"column '{m.header}' has no place in the spec" if m.header
                       else "a column with no header")
                plan.leftovers.append(Leftover(table.sheet, where, m.header, value, why))
            continue
        if col.role == "id" or (master and col.locked):
            continue  # the ID and the master wording come from the spec
        typed, problem = _typed(value, fill, col, spec)
        if col.role == "notes":
            found = date_in_note(value)
            if found:
                note_dates.append(found)
        if problem:
            plan.leftovers.append(Leftover(table.sheet, where, m.header, value, problem))
            continue
        if typed is not None:
            writes[(target_row, index[col.header])] = typed
            written.add(col.header)
    updated = spec.column("last_updated")
    if updated is not None and updated.header not in written and note_dates:
        writes[(target_row, index[updated.header])] = max(note_dates)
        plan.rows[-1].note += f"; {updated.header} from the newest date in the notes"


def _typed(value: Any, fill: str | None, col: Column, spec: Spec) -> tuple[Any, str]:
    """(the value to write, "") or (None, why it cannot be written)."""
    if col.kind == "rag":
        if value is None:
            return (fill if fill in spec.rag_values else None), ""
        letter = read_rag(value, spec.rag_values)
        if letter is None and fill in spec.rag_values:
            return fill, ""
        why = f"'{str(value)[:40]}' is not a rating ({', '.join(spec.rag_values)})"
        return (letter, "") if letter else (None, why)
    if value is None:
        return None, ""
    if col.kind == "date":
        d = read_date(value)
        return (d, "") if d else (None, f"'{str(value)[:40]}' is not a date with a year")
    if col.kind == "choice":
        choice, _ = read_choice(value, col.choices, status=col.role == "status")
        why = f"'{str(value)[:40]}' is not one of the '{col.header}' list"
        return (choice, "") if choice else (None, why)
    if col.kind == "int":
        if isinstance(value, int | float) and float(value).is_integer():
            return int(value), ""
        text = str(value).strip()
        why = f"'{text[:40]}' is not a whole number"
        return (int(text), "") if re.fullmatch(r"-?\d+", text) else (None, why)
    if isinstance(value, date):
        return uk_date(as_date(value) or value), ""
    return canonical(value) if not isinstance(value, str) else value, ""


# -- writing ------------------------------------------------------------------------------------

def _fill_hook(plan: ImportPlan) -> SheetHook:
    def fill(wb: Workbook) -> None:
        for sheet, cells in plan.writes.items():
            ws = wb[sheet]
            for (r, c), value in cells.items():
                set_data(ws.cell(row=r, column=c), value)
        _write_leftovers(wb, plan)
        _write_report_sheet(wb, plan)
    return fill


def _table(ws: Any, header: list[str], rows: list[list[Any]], start: int = 1) -> int:
    for i, h in enumerate(header, start=1):
        ws.cell(row=start, column=i, value=h).font = Font(bold=True)
    for r, values in enumerate(rows, start=start + 1):
        for i, v in enumerate(values, start=1):
            set_data(ws.cell(row=r, column=i), uk_date(v) if isinstance(v, date) else v)
    return start + len(rows) + 2


def _write_leftovers(wb: Workbook, plan: ImportPlan) -> None:
    ws = wb.create_sheet(UNMATCHED_SHEET)
    ws.append(["What the import could not place: nothing was dropped. Copy what matters into the school "
               "tabs, then delete this tab."])
    _table(ws, ["Source tab", "Cell", "Header", "Value", "Why"],
           [[x.sheet, x.cell, x.header, x.value if isinstance(x.value, str | date) else canonical(x.value),
             x.why] for x in plan.leftovers], start=3)
    for letter, width in zip("ABCDE", (24, 8, 20, 60, 60), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=4):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")


def _write_report_sheet(wb: Workbook, plan: ImportPlan) -> None:
    ws = wb.create_sheet(REPORT_SHEET)
    ws.append([f"Import of {Path(plan.source).name} into spec '{plan.spec.name}'"])
    ws["A1"].font = Font(bold=True, size=13)
    at = _table(ws, ["Count", "Value"], [[k.replace("_", " "), v] for k, v in plan.counts().items()], start=3)
    at = _table(ws, ["Source tab", "School", "Confidence", "Note"], _tab_rows(plan), start=at)
    at = _table(ws, ["Source tab", "Header", "Spec column", "Confidence", "How"], _column_rows(plan),
                start=at)
    _table(ws, ["Source tab", "Row", "School", "New ID", "Kind", "Confidence", "Note"], _row_rows(plan),
           start=at)
    for i, width in enumerate((24, 28, 22, 12, 10, 12, 50), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _tab_rows(plan: ImportPlan) -> list[list[Any]]:
    return [[t.sheet, t.school.name if t.school else "", t.score, t.why] for t in plan.tabs]


def _column_rows(plan: ImportPlan) -> list[list[Any]]:
    return [[sheet, m.header, m.target.header if m.target else "(none)", m.score, m.how]
            for sheet, maps in plan.columns.items() for m in maps]


def _row_rows(plan: ImportPlan) -> list[list[Any]]:
    return [[r.sheet, r.row, r.school, r.target, r.kind, r.score, r.note] for r in plan.rows]


def report_markdown(plan: ImportPlan) -> str:
    """The import report as Markdown, for the file written beside the new workbook."""
    def table(header: list[str], rows: list[list[Any]]) -> list[str]:
        def cell(v: Any) -> str:
            return str(v if not isinstance(v, date) else uk_date(v)).replace("|", "\\|").replace("\n", " ")
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                *("| " + " | ".join(cell(v) for v in r) + " |" for r in rows), ""]

    counts = plan.counts()
    lines = [f"# Import of {Path(plan.source).name} into spec '{plan.spec.name}'", "",
             f"{counts['master_rows']} row(s) mapped to master rows, {counts['own_rows']} to schools' own "
             f"rows, {counts['unmatched_rows']} row(s) and {counts['unmatched_cells']} cell(s) not placed "
             f"(kept on the '{UNMATCHED_SHEET}' tab); mean confidence {counts['mean_confidence']}; "
             f"{counts['low_confidence_rows']} row(s) below 90 to check.", "", "## Counts", "",
             *table(["count", "value"], [[k, v] for k, v in counts.items()]),
             "## Tabs", "", *table(["source tab", "school", "confidence", "note"], _tab_rows(plan)),
             "## Columns", "", *table(["source tab", "header", "spec column", "confidence", "how"],
                                      _column_rows(plan)),
             "## Rows", "", *table(["source tab", "row", "school", "new ID", "kind", "confidence", "note"],
                                   _row_rows(plan)),
             "## Not placed", "", f"{len(plan.leftovers)} cell(s), listed with their values on the "
             f"'{UNMATCHED_SHEET}' tab of the new workbook (not repeated here).", ""]
    return "\n".join(lines)


def write_import(plan: ImportPlan, path: str | os.PathLike[str], password: str | None = None,
                 extras: Sequence[SheetHook] = ()) -> tuple[Path, Path]:
    """The new workbook (the spec's template, filled) and the Markdown report beside it."""
    out = Path(path)
    refuse_unsafe_path(out)
    wb = build_workbook(plan.spec, password, [*extras, _fill_hook(plan)])
    save_workbook_atomic(wb, out)
    md = out.with_name(out.stem + "-import-report.md")
    atomic_write_bytes(md, report_markdown(plan).encode("utf-8"))
    return out, md
