"""The monthly consolidated report: one `Consolidated` month as an Excel workbook and as an HTML page.

Who reads it: area managers, the DYW programme manager, directors of education and governors. So the
report leads with an Overview in plain English, then the detail (per school, theme and lead, a colour
heat map, the trend, the schools that did not update, the validation findings).

Rules the writers keep:
- Everything that came from a workbook (school names, areas, messages) is data, never markup or a
  formula: cells are written with `set_data`, HTML with `html.escape`.
- The same input gives the same report: no clock is read; the workbook's created/modified dates are
  the first of the report's month.
- RAG cells carry the letter as well as the colour, so the report reads in black and white and for
  colour-blind readers.
- Files are replaced atomically: a reader never sees half a report.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from sync import facts
from sync.consolidate import Consolidated
from sync.exceptions import NEW_RED, RowChange
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.cells import set_data
from workbook_templates.layout import RAG_FILLS
from workbook_templates.rollup import ORDER, Group, RollupResult, group_rows
from workbook_templates.template import HEADER_FILL, HEADER_FONT
from workbook_templates.validate import parse_month

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
RAG_NAMES = {"R": "Red", "A": "Amber", "G": "Green", "B": "Blue (complete)", "": "Not rated"}
RAG_MEANINGS = (
    ("R", "Red: not started when it should have, or off track; needs action."),
    ("A", "Amber: under way, some risk."),
    ("G", "Green: on track or achieved."),
    ("", "Blank: not yet rated."),
)
# Chart series need stronger colours than the pale cell fills to read as red / amber / green.
SERIES_COLOURS = {"R": "C00000", "A": "FFC000", "G": "00B050"}
SEVERITY_FILL = {"error": "R", "warning": "A"}
SHEETS = ("Board", "Overview", "Exceptions", "Overdue", "Opt-outs", "Evidence", "By school", "By theme",
          "By lead", "By tier", "Heat map", "Trend", "Not updated", "Findings")
SECTIONS = (  # (html id, heading)
    ("board", "Board summary"), ("overview", "Overview"), ("exceptions", "Exceptions"),
    ("overdue", "Overdue"), ("opt-outs", "Opt-outs"), ("evidence", "Evidence"),
    ("by-school", "By school"), ("by-theme", "By theme"), ("by-lead", "By lead"),
    ("by-tier", "By tier"), ("heat-map", "Heat map"), ("trend", "Trend"), ("not-updated", "Not updated"),
    ("findings", "Findings"),
)
EXCEPTION_HEADERS = ("Change", "School", "ID", "Activity", "Lead", "RAG", "Last month", "Note", "Evidence",
                     "Red since")
OVERDUE_HEADERS = ("School", "ID", "Activity", "Lead", "Status", "RAG", "Due", "Note")
OPT_OUT_HEADERS = ("School", "ID", "Activity", "Lead", "Allowed", "Note")
EVIDENCE_HEADERS = ("School", "Complete rows", "Without evidence link", "% without link")
GROUP_HEADERS = ("Red", "Amber", "Green", "Not rated", "Rows", "RAG")
FINDING_HEADERS = ("Workbook", "Sheet", "Cell", "ID", "Rule", "Severity", "Message")
MAX_CELL = 32000  # Excel refuses more than 32,767 characters in a cell
NOTE_FONT = Font(italic=True, color="595959")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# -- what both writers say ---------------------------------------------------------------------

def month_label(month: str) -> str:
    """'2026-11' -> 'November 2026': the words a director reads, not the cycle key."""
    first = parse_month(month)
    return f"{MONTHS[first.month - 1]} {first.year}"


def short_month(month: str) -> str:
    first = parse_month(month)
    return f"{MONTHS[first.month - 1][:3]} {first.year}"


def words(c: Consolidated) -> tuple[str, str, str]:
    """What the areas call a theme, a lead and an activity ("Benchmark", "Responsible", "Action" in an
    English plan); the neutral words when areas differ."""
    found = {a.words for a in c.areas if not a.error}
    return found.pop() if len(found) == 1 else ("Theme", "Lead", "Activity")


def named(c: Consolidated, headers: Sequence[str]) -> tuple[str, ...]:
    """A table's headers in the areas' own words ("Lead" -> "Responsible")."""
    theme, lead, activity = words(c)
    last = "Last report" if _termly(c) else "Last month"
    return tuple({"Theme": theme, "Lead": lead, "Activity": activity, "Last month": last}.get(h, h)
                 for h in headers)


def term_labels(c: Consolidated) -> list[str] | None:
    """The plan's term for each of the trend's months where every area keeps a plan and every month
    falls in a different term (a termly cycle: "Spring 2026"), else None (label by month)."""
    plans = [a.plan for a in c.areas if not a.error]
    ends = plans[0].term_ends if plans and all(p is not None for p in plans) and plans[0] else ()
    labels = []
    for m in c.months:  # the first term ending in or after the month
        labels.append(next((t for t, end in ends if m <= end[:7]), ""))
    if ends and all(labels) and len(set(labels)) == len(labels):
        return labels
    return None


def periods(c: Consolidated) -> list[str]:
    """The trend's column labels: terms for a termly cycle (`term_labels`), else months ("Mar 2026")."""
    return term_labels(c) or [short_month(m) for m in c.months]


def _gatsby(c: Consolidated) -> Any:
    from sync.gatsby import gatsby_view  # the Gatsby view exists only for areas keeping a plan

    return gatsby_view(c)


def _termly(c: Consolidated) -> str | None:
    """The plan term a cycle reports when every area keeps a Strategic Careers Plan, else None."""
    plans = [a.plan for a in c.areas if not a.error]
    if plans and all(p is not None and p.term for p in plans):
        return plans[0].term if plans[0] else None
    return None


def report_title(c: Consolidated) -> str:
    term = _termly(c)
    if term:  # an English hub's plans: a termly report, dated by its cycle month
        return f"Careers hub report — {term} ({month_label(c.month)})"
    return f"TOM monthly report — {month_label(c.month)}"


def since_label(c: Consolidated) -> str:
    return "Since last report" if _termly(c) else "Since last month"


def period_label(c: Consolidated) -> str:
    """What the cycle reports on, in the report's words: "Autumn 2026" for a hub of plans (as the
    title says), else "December 2026"."""
    return _termly(c) or month_label(c.month)


def period_word(c: Consolidated) -> str:
    """"term" for a hub of plans (updates are termly), else "month"."""
    return "term" if _termly(c) else "month"


def this_period(c: Consolidated) -> str:
    return f"this {period_word(c)}"


def since_last(c: Consolidated) -> str:
    """"since the last report" for a hub of plans, else "since last month"."""
    return "since the last report" if _termly(c) else "since last month"


def _label(g: Group) -> str:
    return " / ".join(g.key.values())


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _fmt_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "never"


def _schools(c: Consolidated) -> list[str]:
    """Every school in the report, in spec order: also those with no rated rows or a missing tab."""
    return list(dict.fromkeys([*(s for a in c.areas for s in a.schools), *c.trend,
                               *(_label(g) for g in c.by_school.groups), *c.heatmap]))


def _themes(c: Consolidated) -> list[str]:
    """Themes in spec order (by_theme keeps it), then any only the heat map knows."""
    return list(dict.fromkeys([*(_label(g) for g in c.by_theme.groups),
                               *(t for row in c.heatmap.values() for t in row)]))


def _change(c: Consolidated, school: str) -> str:
    """This month's rating against the month before: Better, Worse, Same, or '' when either is blank."""
    if len(c.months) < 2:
        return ""
    row = c.trend.get(school, {})
    before, now = row.get(c.months[-2], ""), row.get(c.months[-1], "")
    before, now = ("G" if r == "B" else r for r in (before, now))
    if before not in ORDER or now not in ORDER:
        return ""
    diff = ORDER[now] - ORDER[before]
    return "Better" if diff > 0 else "Worse" if diff < 0 else "Same"


def summary_text(c: Consolidated) -> str:
    """A short plain-English paragraph for the Overview: what a director needs in one breath."""
    schools = _schools(c)
    rag = {_label(g): g.rag for g in c.by_school.groups}
    counts = {k: sum(1 for s in schools if (rag.get(s, "") or "") == k) for k in ("G", "A", "R", "")}
    counts["G"] += sum(1 for s in schools if rag.get(s) == "B")
    parts: list[str] = []
    if not schools:
        parts.append(f"No schools were found in the workbooks read {this_period(c)}.")
    elif counts[""] == len(schools):
        parts.append(f"None of the {_plural(len(schools), 'school')} has a rating yet.")
    else:
        rest = [f"{counts[k]} {RAG_NAMES[k]}" for k in ("A", "R") if counts[k]]
        verb = "is" if counts["G"] == 1 else "are"
        lead = f"{counts['G']} of {_plural(len(schools), 'school')} {verb} Green"
        parts.append(lead + (", " + " and ".join(rest) if rest else "") + " overall.")
        if counts[""]:
            parts.append(f"{_plural(counts[''], 'school has', 'schools have')} no ratings yet.")
    o = c.by_school.overall
    if o.R + o.A + o.G + o.unrated:
        overall = (f"the overall rating is {RAG_NAMES[o.rag]}" if o.rag in ("R", "A", "G")
                   else "there is no overall rating yet")
        parts.append(f"Across all {_plural(o.R + o.A + o.G + o.unrated, 'row')}: {o.G} Green, {o.A} Amber, "
                     f"{o.R} Red and {o.unrated} not yet rated; {overall}.")
    n = len(c.not_updated)
    if n:
        names = ", ".join(s for s, _ in c.not_updated[:5]) + (" and others" if n > 5 else "")
        parts.append(f"{_plural(n, 'school')} did not update {'its' if n == 1 else 'their'} tab "
                     f"{this_period(c)} ({names}).")
    elif schools:
        parts.append(f"Every school updated its tab {this_period(c)}.")
    if c.errors or c.warnings:
        parts.append(f"Validation found {_plural(c.errors, 'error')} and {_plural(c.warnings, 'warning')}"
                     " (see Findings).")
    else:
        parts.append("Validation found no problems.")
    failed = [a for a in c.areas if a.error]
    if failed:
        parts.append(f"{_plural(len(failed), 'workbook')} could not be read: "
                     + ", ".join(a.name for a in failed) + ".")
    if c.skipped:  # issue 9: every file of the library the cycle did not add in is named
        parts.append(f"{_plural(len(c.skipped), 'file')} not consolidated: "
                     + "; ".join(f"{name} ({why})" for name, why in c.skipped) + ".")
    return " ".join(parts)


def _headline(c: Consolidated) -> list[tuple[str, Any, bool]]:
    """(label, value, value is a RAG) rows of the Overview's headline table."""
    o = c.by_school.overall
    green, red = c.thresholds
    rule = f"{c.rule} (Green ≥ {green:g}, Red < {red:g})" if c.rule == "score" else c.rule
    return [
        ("Schools", len(_schools(c)), False),
        ("Overall RAG", o.rag, True),
        ("Rows rated Green", o.G, False),
        ("Rows rated Amber", o.A, False),
        ("Rows rated Red", o.R, False),
        ("Rows not rated", o.unrated, False),
        ("Errors", c.errors, False),
        ("Warnings", c.warnings, False),
        ("Schools not updated", len(c.not_updated), False),
        ("Roll-up rule", rule, False),
    ]


def _areas(c: Consolidated) -> list[tuple[str, str, str, int, str]]:
    return [(a.area, a.name, a.title, len(a.schools), f"could not be read: {a.error}" if a.error else "read")
            for a in c.areas]


def _group_rows(r: RollupResult) -> list[tuple[str, int, int, int, int, int, str]]:
    """Each group then the 'All' line, as (label, R, A, G, unrated, rows, RAG)."""
    def row(label: str, g: Group) -> tuple[str, int, int, int, int, int, str]:
        return (label, g.R, g.A, g.G, g.unrated, g.R + g.A + g.G + g.unrated, g.rag)
    return [row(_label(g), g) for g in r.groups] + [row("All", r.overall)]


def _heat_rows(c: Consolidated) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the heat map: school, one RAG per theme, the school's overall; then 'All'."""
    themes = _themes(c)
    overall = {_label(g): g.rag for g in c.by_school.groups}
    rows = [[s, *(c.heatmap.get(s, {}).get(t, "") for t in themes), overall.get(s, "")] for s in _schools(c)]
    by_theme = {_label(g): g.rag for g in c.by_theme.groups}
    rows.append(["All", *(by_theme.get(t, "") for t in themes), c.by_theme.overall.rag])
    return ["School", *themes, "Overall"], rows


def _trend_rows(c: Consolidated) -> tuple[list[str], list[list[str]]]:
    header = ["School", *periods(c), "Change"]
    return header, [[s, *(c.trend.get(s, {}).get(m, "") for m in c.months), _change(c, s)]
                    for s in _schools(c)]


def _finding_rows(c: Consolidated) -> list[tuple[str, str, str, str, str, str, str]]:
    return [(name, f.sheet, f.cell, f.row_id or "", f.rule, f.severity, f.message) for name, f in c.findings]


def _since(month: str, c: Consolidated | None = None) -> str:
    """When a row went Red: its month ("Mar 2026"), or in a hub of plans its term ("Spring 2026")."""
    if not month:
        return ""
    if c is not None and _termly(c):
        plans = [a.plan for a in c.areas if not a.error and a.plan is not None]
        term = next((t for t, end in plans[0].term_ends if month <= end[:7]), "") if plans else ""
        return term or short_month(month)
    return short_month(month)


def exception_rows(c: Consolidated) -> list[tuple[str, ...]]:
    """One line per row change (`sync.exceptions`): what a board reads first after the overview."""
    def line(ch: RowChange) -> tuple[str, ...]:
        r = ch.row
        return (ch.kind, r.school, r.id, r.activity, r.lead, r.rag if r.status != "Not applicable" else "",
                ch.before, r.note, r.evidence, _since(ch.red_since, c))
    return [line(ch) for ch in c.changes]


def overdue_rows(c: Consolidated) -> list[tuple[str, ...]]:
    return [(o.row.school, o.row.id, o.row.activity, o.row.lead, o.row.status or "not started", o.row.rag,
             o.message, o.row.note) for o in facts.overdue(c)]


def opt_out_rows(c: Consolidated) -> list[tuple[str, ...]]:
    return [(o.row.school, o.row.id, o.row.activity, o.row.lead,
             o.allowed or "No: an error (a minimum expectation)", o.row.note) for o in facts.opt_outs(c)]


def evidence_rows(c: Consolidated) -> list[tuple[str, int, int, str]]:
    """Per school, then 'All': Complete rows, those without an evidence link, and the percentage."""
    per = facts.evidence(c, _schools(c))
    done, missing = sum(e.complete for e in per), sum(e.without_link for e in per)
    all_ = facts.Evidence("All", done, missing)
    return [(e.school, e.complete, e.without_link, f"{e.percent_without:.0f}%" if e.complete else "")
            for e in [*per, all_]]


def _counts_text(r: int, a: int, g: int) -> str:
    return f"R {r} · A {a} · G {g}"


def board_headline(c: Consolidated) -> str:
    """The one sentence a board member reads: how many schools at each letter, and what needs them."""
    counts = {k: n for k, n, _ in facts.rag_count_change(c)}
    changes = c.changes
    reds, new = facts.reds(changes), facts.new_reds(changes)
    overdue, outs = facts.overdue(c), facts.opt_outs(c)
    refused = sum(1 for o in outs if not o.allowed)
    n = len(_schools(c))
    view = _gatsby(c)
    opening = "Actions on track: " if view is not None else f"{period_label(c)}: "
    parts = [f"{opening}of {_plural(n, 'school')}, {counts['G']} Green, {counts['A']} Amber "
             f"and {counts['R']} Red",
             f"{_plural(len(reds), 'Red row')} ({len(new)} new)",
             f"{_plural(len(overdue), 'row')} overdue",
             f"{_plural(len(outs), 'master opt-out')}" + (f" ({refused} not allowed)" if refused else ""),
             f"{_plural(len(c.not_updated), 'school')} not updated"]
    if c.capped:
        parts.append(f"{_plural(len(c.capped), 'school')} held at Amber by a master Red")
    if view is not None:  # achieved first: a board asks how many benchmarks, then what is on track
        from sync.gatsby_report import board_sentence

        return f"{period_label(c)}: {board_sentence(view)} " + "; ".join(parts) + "."  # one term prefix
    return "; ".join(parts) + "."


def board_figures(c: Consolidated) -> list[tuple[str, Any]]:
    changes = c.changes
    outs = facts.opt_outs(c)
    ev = evidence_rows(c)[-1]
    return [
        ("Red rows", len(facts.reds(changes))),
        (f"New Reds {this_period(c)}", len(facts.new_reds(changes))),
        ("Rows that slipped", sum(1 for ch in changes if ch.kind in ("Slipped", "Now not applicable",
                                                                      "Row removed"))),
        ("Rows that improved", sum(1 for ch in changes if ch.kind == "Improved")),
        ("Overdue rows", len(facts.overdue(c))),
        ("Schools not updated", len(c.not_updated)),
        ("Master opt-outs", len(outs)),
        ("  of which not allowed", sum(1 for o in outs if not o.allowed)),
        ("Complete rows without evidence", f"{ev[2]} of {ev[1]}" + (f" ({ev[3]})" if ev[3] else "")),
    ]


def board_schools(c: Consolidated) -> list[list[str]]:
    """Per school: its letter each month (the small trend), this month's row counts and the change;
    for a hub of plans, then its benchmarks achieved (Compass) and their change."""
    groups = {_label(g): g for g in c.by_school.groups}
    view = _gatsby(c)
    out = []
    for s in _schools(c):
        g = groups.get(s)
        out.append([s, *(c.trend.get(s, {}).get(m, "") for m in c.months),
                    _counts_text(g.R, g.A, g.G) if g else "", _change(c, s)])
        if view is not None:
            from sync.gatsby_report import board_school_cell

            out[-1].append(board_school_cell(view, s))
    return out


def board_school_headers(c: Consolidated) -> list[str]:
    """The headers of `board_schools`; the letters are the actions on track where a plan says so."""
    if _gatsby(c) is None:
        return ["School", *periods(c), "Rows now", "Change"]
    from sync.gatsby_report import BOARD_COLUMN

    return ["School", *periods(c), "Rows now", "Change", BOARD_COLUMN]


def board_rag_rows(c: Consolidated) -> list[tuple[str, int, str]]:
    """(letter, schools now, change since last month in words)."""
    out = []
    for k, now, before in facts.rag_count_change(c):
        change = "" if before is None else ("no change" if now == before else f"{now - before:+d}")
        out.append((k, now, change))
    return out


# -- Excel -------------------------------------------------------------------------------------

def _clean(value: Any) -> Any:
    """Text Excel will store: no control characters (openpyxl refuses them), within the cell limit."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return value[:MAX_CELL]
    return value


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    """Every value goes in as data: a school's '=HYPERLINK(...)' stays text."""
    cell = ws.cell(row=row, column=col)
    set_data(cell, _clean(value) if value != "" else None)
    return cell


def _rag_cell(cell: Any) -> None:
    value = cell.value if isinstance(cell.value, str) else ""
    if value in RAG_FILLS:
        fill, font = RAG_FILLS[value]
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
        cell.font = Font(bold=True, color=font)
    cell.alignment = Alignment(horizontal="center", vertical="center")


def _page(ws: Worksheet, title_rows: str = "1:1") -> None:
    """Print on landscape pages one page wide, with the header row repeated."""
    ws.print_title_rows = title_rows
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False


def _table(ws: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Any]],
           rag_cols: Iterable[int] = (), start: int = 1, widths: Mapping[int, float] | None = None,
           wrap: Iterable[int] = (), empty: str = "") -> int:
    """A header row (frozen, filtered, printed on every page) and data rows; returns the last row used."""
    rag_cols, wrap = set(rag_cols), set(wrap)
    rows = [list(v) for v in rows]
    numeric = {i for i in range(1, len(headers) + 1)
               if rows and all(isinstance(v[i - 1], int | float) and not isinstance(v[i - 1], bool)
                               for v in rows if len(v) >= i and v[i - 1] not in (None, ""))
               and any(len(v) >= i and isinstance(v[i - 1], int | float) for v in rows)}
    for i, h in enumerate(headers, start=1):
        cell = _put(ws, start, i, h)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center",  # over its numbers, as they sit
                                   horizontal="center" if i in rag_cols else "right" if i in numeric
                                   else "left")
    lengths = {i: len(str(h)) for i, h in enumerate(headers, start=1)}
    r = start
    for r, values in enumerate(rows, start=start + 1):
        for i, v in enumerate(values, start=1):
            cell = _put(ws, r, i, v)
            if i in rag_cols:
                _rag_cell(cell)
            elif i in wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            else:
                cell.alignment = Alignment(vertical="top")
            lengths[i] = max(lengths.get(i, 0), len(str(v)) if v is not None else 0)
    if r == start and empty:
        _put(ws, start + 1, 1, empty).font = NOTE_FONT
        r = start + 1
    for i, n in lengths.items():
        width = (widths or {}).get(i) or min(max(n + 2, 8 if i in rag_cols else 10), 48)
        ws.column_dimensions[get_column_letter(i)].width = width
    last = get_column_letter(len(headers))
    ws.freeze_panes = ws.cell(row=start + 1, column=2 if len(headers) > 2 else 1).coordinate
    if r > start:
        ws.auto_filter.ref = f"A{start}:{last}{r}"
    _page(ws, f"{start}:{start}")
    return r


def _chart(ws: Worksheet, label: str, n: int, anchor: str) -> None:
    """A stacked bar of Red / Amber / Green rows per group, drawn from the table's count columns."""
    if n == 0:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "percentStacked"  # shares of rated rows: a school with more rows is not bigger
    chart.overlap = 100
    chart.gapWidth = 60
    chart.title = f"Share of rated rows per {label.lower()}"
    chart.y_axis.title = "% of rated rows"
    chart.y_axis.number_format = "0%"
    chart.x_axis.scaling.orientation = "maxMin"  # first group at the top, as in the table
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    data = Reference(ws, min_col=2, max_col=4, min_row=1, max_row=n + 1)
    cats = Reference(ws, min_col=1, min_row=2, max_row=n + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    for series, rag in zip(chart.series, ("R", "A", "G"), strict=True):
        series.graphicalProperties.solidFill = SERIES_COLOURS[rag]
        series.graphicalProperties.line.solidFill = SERIES_COLOURS[rag]
    chart.width = 18
    chart.height = max(7.5, 0.7 * n + 3)
    ws.add_chart(chart, anchor)


def _overview_sheet(ws: Worksheet, c: Consolidated) -> None:
    _put(ws, 1, 1, report_title(c)).font = Font(bold=True, size=16, color="1F4E79")
    areas = ", ".join(a.area for a in c.areas) or "none"
    _put(ws, 2, 1, f"Areas covered: {areas}").font = Font(italic=True)
    summary = summary_text(c)
    cell = _put(ws, 4, 1, summary)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A4:E4")
    ws.row_dimensions[4].height = 15 * (len(summary) // 95 + 2)  # merged cells do not auto-fit
    row = 6
    for i, h in enumerate(("Headline", "Value"), start=1):
        cell = _put(ws, row, i, h)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    for label, value, is_rag in _headline(c):
        row += 1
        _put(ws, row, 1, label)
        cell = _put(ws, row, 2, value)
        if is_rag:
            _rag_cell(cell)
        else:
            cell.alignment = Alignment(horizontal="left")
    row += 2
    headers = ("Area", "Workbook", "Title", "Schools", "Status")
    for i, h in enumerate(headers, start=1):
        cell = _put(ws, row, i, h)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    for values in _areas(c):
        row += 1
        for i, v in enumerate(values, start=1):
            _put(ws, row, i, v).alignment = Alignment(horizontal="left", vertical="top", wrap_text=i == 5)
    row += 2
    _put(ws, row, 1, "Key").font = Font(bold=True)
    for letter, meaning in rag_meanings(c):
        row += 1
        _rag_cell(_put(ws, row, 1, letter))
        _put(ws, row, 2, meaning)
    for col, width in zip("ABCDE", (24, 28, 40, 10, 30), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    _page(ws)


def _board_sheet(ws: Worksheet, c: Consolidated) -> None:
    """The board's page: fits one A4 landscape sheet (fit to 1 x 1)."""
    _put(ws, 1, 1, f"Board summary — {period_label(c)}").font = Font(bold=True, size=14, color="1F4E79")
    cell = _put(ws, 2, 1, board_headline(c))
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:H2")
    view = _gatsby(c)
    ws.row_dimensions[2].height = 32 if view is None else 60
    row = 4

    def head(values: Sequence[str]) -> None:
        for i, h in enumerate(values, start=1):
            cell = _put(ws, row, i, h)
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
            cell.alignment = Alignment(horizontal="left" if i == 1 else "right")
    if view is not None:  # achieved (Compass) first, apart from the actions on track
        from sync.gatsby_report import BOARD_HEADING, BOARD_RAG_HEADING, board_rows

        head((BOARD_HEADING, "Value"))
        for label, value in board_rows(view):
            row += 1
            _put(ws, row, 1, label)
            _put(ws, row, 2, value).alignment = Alignment(horizontal="right")
        row += 2
    head(("Schools at" if view is None else f"Schools at ({BOARD_RAG_HEADING.lower()})", "Now",
          since_label(c)))
    for k, now, change in board_rag_rows(c):
        row += 1
        _rag_cell(_put(ws, row, 1, k))
        _put(ws, row, 2, now)
        _put(ws, row, 3, change).alignment = Alignment(horizontal="right")
    row += 2
    head(("This month" if view is None else f"This term, {period_label(c)}", "Count"))
    for label, value in board_figures(c):
        row += 1
        _put(ws, row, 1, label)
        _put(ws, row, 2, value).alignment = Alignment(horizontal="right")
    new = facts.new_reds(c.changes)
    if new:
        row += 2
        _put(ws, row, 1, "New Reds").font = Font(bold=True)
        for ch in new[:8]:
            row += 1
            _put(ws, row, 1, f"{ch.row.school} {ch.row.id}: {ch.row.activity}"[:110])
        if len(new) > 8:
            row += 1
            _put(ws, row, 1, f"and {len(new) - 8} more (see Exceptions)").font = NOTE_FONT
    row += 2
    header = board_school_headers(c)
    letters = range(2, 2 + len(c.months))  # the small trend's RAG columns
    for i, h in enumerate(header, start=1):
        cell = _put(ws, row, i, h)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center" if i in letters else "left")
    for values in board_schools(c):
        row += 1
        for i, v in enumerate(values, start=1):
            cell = _put(ws, row, i, v)
            if i in letters:
                _rag_cell(cell)
    ws.column_dimensions["A"].width = 34
    for i in range(2, len(header) + 1):  # B and C also hold "6 of 59 (10%)" and "Since last month"
        ws.column_dimensions[get_column_letter(i)].width = 10 if i in letters and i > 3 else 17
    _page(ws)
    ws.print_title_rows = None
    ws.freeze_panes = "A2"
    ws.page_setup.fitToHeight = 1


def _rows_sheet(ws: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[Any]], rag_col: int | None,
                wrap: Iterable[int], empty: str, widths: Mapping[int, float] | None = None) -> None:
    _table(ws, headers, rows, rag_cols=(rag_col,) if rag_col else (), wrap=wrap, empty=empty, widths=widths)


def _group_sheet(ws: Worksheet, r: RollupResult, label: str) -> None:
    rows = _group_rows(r)
    last = _table(ws, (label, *GROUP_HEADERS), rows, rag_cols=(7,))
    for col in range(1, 8):
        ws.cell(row=last, column=col).font = Font(bold=True, color=ws.cell(row=last, column=col).font.color)
    _chart(ws, label, len(r.groups), "I2")


def _heat_sheet(ws: Worksheet, c: Consolidated) -> None:
    header, rows = _heat_rows(c)
    n = len(header)
    last = _table(ws, header, rows, rag_cols=range(2, n + 1), widths={i: 12 for i in range(2, n + 1)})
    ws.row_dimensions[1].height = 45
    for i in range(2, n + 1):
        ws.cell(row=1, column=i).alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    ws.cell(row=last, column=1).font = Font(bold=True)
    row = last + 2
    _put(ws, row, 1, "Key").font = Font(bold=True)
    for letter, meaning in rag_meanings(c):
        row += 1
        _rag_cell(_put(ws, row, 2, letter))
        _put(ws, row, 3, meaning)


def _trend_sheet(ws: Worksheet, c: Consolidated) -> None:
    header, rows = _trend_rows(c)
    _table(ws, header, rows, rag_cols=range(2, len(header)),
           widths={i: 11 for i in range(2, len(header))} | {len(header): 10})


def _not_updated_sheet(ws: Worksheet, c: Consolidated) -> None:
    last = _table(ws, ("School", "Last updated"), [(s, d if d else "never") for s, d in c.not_updated],
                  widths={2: 14}, empty=f"Every school updated its tab {this_period(c)}.")
    for row in ws.iter_rows(min_row=2, max_row=last, min_col=2, max_col=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "dd/mm/yyyy"
            cell.alignment = Alignment(horizontal="left")


def _findings_sheet(ws: Worksheet, c: Consolidated) -> None:
    last = _table(ws, FINDING_HEADERS, _finding_rows(c), widths={7: 80}, wrap=(7,),
                  empty="No findings: every workbook passed validation.")
    for (cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=6, max_col=6):
        rag = SEVERITY_FILL.get(str(cell.value))
        if rag:
            fill, font = RAG_FILLS[rag]
            cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
            cell.font = Font(color=font)


def report_workbook(c: Consolidated) -> Workbook:
    """The report as an openpyxl workbook; the same Consolidated always gives the same cells."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS[0]
    writers: list[Callable[[Worksheet], None]] = [
        lambda s: _board_sheet(s, c),
        lambda s: _overview_sheet(s, c),
        lambda s: _rows_sheet(s, named(c, EXCEPTION_HEADERS), exception_rows(c), 6, (4, 8, 9),
                              f"No Red rows, and no row changed {since_last(c)}.",
                              {4: 40, 8: 48, 9: 30}),
        lambda s: _rows_sheet(s, named(c, OVERDUE_HEADERS), overdue_rows(c), 6, (3, 7, 8),
                              "No work is overdue.", {3: 40, 7: 40, 8: 40}),
        lambda s: _rows_sheet(s, named(c, OPT_OUT_HEADERS), opt_out_rows(c), None, (3, 5, 6),
                              "No school marked a master row Not applicable.", {3: 40, 5: 30, 6: 40}),
        lambda s: _rows_sheet(s, EVIDENCE_HEADERS, evidence_rows(c), None, (), ""),
        lambda s: _group_sheet(s, c.by_school, "School"),
        lambda s: _group_sheet(s, c.by_theme, words(c)[0]),
        lambda s: _group_sheet(s, c.by_lead, words(c)[1]),
        lambda s: _group_sheet(s, _tiers(c), "Tier"),
        lambda s: _heat_sheet(s, c),
        lambda s: _trend_sheet(s, c),
        lambda s: _not_updated_sheet(s, c),
        lambda s: _findings_sheet(s, c),
    ]
    theme, lead, _ = words(c)
    names = {"By theme": f"By {theme.lower()}", "By lead": f"By {lead.lower()}"}
    view = _gatsby(c)
    for i, (name, write) in enumerate(zip(SHEETS, writers, strict=True)):
        if view is not None and name == "Heat map":
            from sync.gatsby_report import HEAT_NOTE, write_sheet

            write_sheet(wb.create_sheet("Gatsby achieved"), view, _put)
            name = "Heat map (actions on track)"
        sheet = ws if i == 0 else wb.create_sheet(names.get(name, name)[:31])
        write(sheet)
        if view is not None and name.startswith("Heat map"):
            _put(sheet, sheet.max_row + 2, 1, HEAT_NOTE)
    stamp = datetime.combine(parse_month(c.month), datetime.min.time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "tomsync"
    wb.properties.lastModifiedBy = "tomsync"
    wb.properties.title = report_title(c)
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise without openpyxl's save(), which stamps 'modified' with the clock."""
    buf = io.BytesIO()
    archive = ZipFile(buf, "w", ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # closes the archive
    return buf.getvalue()


def write_report_xlsx(c: Consolidated, path: Path) -> Path:
    """Write the Excel report to ``path`` atomically; returns the path."""
    path = Path(path)
    atomic_write_bytes(path, workbook_bytes(report_workbook(c)))
    return path


# -- HTML --------------------------------------------------------------------------------------

def _e(value: Any) -> str:
    """Escaped text, without the control characters HTML does not allow (a pasted note may hold them)."""
    return html.escape(_CONTROL.sub("", "" if value is None else str(value)), quote=True)


def _css() -> str:
    rag = "\n".join(f".rag-{k}{{background:#{fill};color:#{font};}}" for k, (fill, font) in RAG_FILLS.items())
    bars = "\n".join(f".bar-{k}{{background:#{v};}}" for k, v in SERIES_COLOURS.items())
    return f"""
*{{box-sizing:border-box;}}
body{{font-family:-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:1100px;
padding:1rem;color:#1a1a1a;line-height:1.45;}}
h1{{color:#1F4E79;font-size:1.6rem;margin:.2rem 0;}}
h2{{color:#1F4E79;font-size:1.25rem;border-bottom:2px solid #1F4E79;padding-bottom:.2rem;margin-top:2rem;}}
.areas{{color:#444;font-style:italic;margin:.2rem 0 1rem;}}
.summary{{font-size:1.05rem;background:#F2F2F2;border-left:4px solid #1F4E79;padding:.6rem .8rem;}}
nav.toc ol{{columns:2;margin:.3rem 0;padding-left:1.4rem;}}
nav.toc a{{color:#1F4E79;}}
.wrap{{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5rem 0;}}
table{{border-collapse:collapse;font-size:.9rem;}}
th,td{{border:1px solid #BFBFBF;padding:.3rem .5rem;text-align:left;vertical-align:top;}}
th{{background:#1F4E79;color:#FFFFFF;font-weight:bold;}}
td.num{{text-align:right;}}
td.rag{{text-align:center;font-weight:bold;min-width:2.2rem;}}
tr.all td{{font-weight:bold;border-top:2px solid #1F4E79;}}
td.msg{{min-width:18rem;}}
td.text{{min-width:12rem;}}
td .counts{{display:block;font-size:.7rem;font-weight:normal;}}
td.link{{max-width:14rem;word-break:break-all;overflow-wrap:anywhere;font-size:.8rem;}}
.note{{color:#595959;font-style:italic;}}
.mix{{display:flex;width:10rem;height:.9rem;background:#E7E6E6;}}
.mix span{{display:block;height:100%;}}
.key{{display:flex;flex-wrap:wrap;gap:.4rem 1rem;padding:0;list-style:none;}}
.key .rag{{display:inline-block;width:1.6rem;text-align:center;font-weight:bold;border:1px solid #BFBFBF;}}
{rag}
{bars}
.sev-error{{background:#{RAG_FILLS['R'][0]};color:#{RAG_FILLS['R'][1]};}}
.sev-warning{{background:#{RAG_FILLS['A'][0]};color:#{RAG_FILLS['A'][1]};}}
footer{{margin-top:2rem;color:#595959;font-size:.85rem;border-top:1px solid #BFBFBF;padding-top:.4rem;}}
@media (max-width:600px){{body{{padding:.5rem;}}h1{{font-size:1.3rem;}}nav.toc ol{{columns:1;}}
table{{font-size:.8rem;}}th,td{{padding:.2rem .3rem;}}}}
.board{{display:grid;grid-template-columns:minmax(0,auto) minmax(0,1fr);gap:1.5rem;align-items:start;}}
.board table{{margin-bottom:.6rem;}}
.board ul{{margin:.2rem 0;padding-left:1.2rem;font-size:.9rem;}}
th.num,td.num{{text-align:right;}}
.nowrap{{white-space:nowrap;}}
.board table.trend td,.board table.trend th{{white-space:nowrap;}}
tr.new td{{font-weight:bold;}}
@media print{{@page{{size:A4 landscape;margin:10mm;}}
*{{-webkit-print-color-adjust:exact;print-color-adjust:exact;}}
body{{max-width:none;padding:0;font-size:9pt;}}nav.toc{{display:none;}}.wrap{{overflow:visible;}}
header h1{{font-size:14pt;margin:0;}}header .areas{{margin:0 0 .2rem;}}
section#board{{break-after:page;font-size:8.5pt;}}section#board h2{{margin-top:.3rem;}}
section#board .summary{{margin:.3rem 0;padding:.3rem .6rem;}}
section#board th,section#board td{{padding:.1rem .35rem;}}
h2{{margin-top:1rem;}}
h2,h3{{break-after:avoid;page-break-after:avoid;}}
section{{break-inside:auto;}}
.summary,.key,ul,table.small,.keep{{break-inside:avoid;page-break-inside:avoid;}}
tr{{break-inside:avoid;}}
thead{{display:table-header-group;}}
footer{{break-before:avoid;margin-top:.5rem;}}}}
"""


def _rag_td(value: str) -> str:
    name = RAG_NAMES.get(value, value)
    cls = f"rag rag-{_e(value)}" if value in RAG_FILLS else "rag"
    return f'<td class="{cls}" title="{_e(name)}">{_e(value)}</td>'


def _html_table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "") -> str:
    """Cells arrive already rendered (each value escaped where it was made)."""
    rows = list(rows)
    if not rows and empty:
        return f'<p class="note">{_e(empty)}</p>'
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "\n".join(f"<tr{cls}>{''.join(cells)}</tr>" for cls, *cells in rows)
    return (f'<div class="wrap"><table>\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table></div>")


def _mix(r: int, a: int, g: int, unrated: int) -> str:
    """The chart's counterpart in HTML: a stacked bar of the shares of rated rows, drawn with CSS
    widths (no script or image), so a school with more rows of its own does not look bigger."""
    total = r + a + g
    if not total:
        return "<td></td>"
    spans = "".join(f'<span class="bar-{k}" style="width:{100 * n / total:.1f}%"></span>'
                    for k, n in (("R", r), ("A", a), ("G", g)) if n)
    pct = ", ".join(f"{100 * n / total:.0f}% {w}" for n, w in ((r, "red"), (a, "amber"), (g, "green")))
    text = f"{pct} of {total} rated rows ({unrated} not rated)"
    return f'<td><div class="mix" role="img" aria-label="{_e(text)}" title="{_e(text)}">{spans}</div></td>'


def _html_groups(r: RollupResult, label: str) -> str:
    rows = _group_rows(r)
    return _html_table((label, *GROUP_HEADERS, "Mix"), [
        [' class="all"' if i == len(rows) - 1 else "", f"<td>{_e(name)}</td>",
         *(f'<td class="num">{n}</td>' for n in (red, amber, green, unrated, total)),
         _rag_td(rag), _mix(red, amber, green, unrated)]
        for i, (name, red, amber, green, unrated, total, rag) in enumerate(rows)])


def rag_meanings(c: Consolidated) -> tuple[tuple[str, str], ...]:
    """The key's letters: a hub of plans rates ACTIONS, so its Green says on track, never achieved
    (achievement is Compass's), and its Blue (complete) is explained where any row uses it."""
    if not _termly(c):
        return RAG_MEANINGS
    green = ("G", "Green: the actions are on track (not a benchmark achieved: that is Compass).")
    blue = (("B", "Blue: complete (counts as Green)."),) if any(r.rag == "B" for r in c.rows) else ()
    return (RAG_MEANINGS[0], RAG_MEANINGS[1], green, *blue, RAG_MEANINGS[3])


def _html_key(c: Consolidated) -> str:
    items = "".join(f'<li><span class="rag{" rag-" + k if k else ""}">{_e(k) or "&nbsp;"}</span> {_e(m)}</li>'
                    for k, m in rag_meanings(c))
    return f'<ul class="key" aria-label="Key">{items}</ul>'


def _text_td(value: Any) -> str:
    """A cell of prose (activity, note): wide enough to read, wrapping at words."""
    return f'<td class="text">{_e(value)}</td>'


def _link_td(value: Any) -> str:
    """An evidence link as text (never followed from the report), breaking anywhere so a long address
    does not push the table off the page."""
    return f'<td class="link">{_e(value)}</td>'


def _html_board(c: Consolidated) -> str:
    """Page 1: the headline, (for a hub of plans) benchmarks achieved, schools at each letter and the
    change, the figures, and a small trend."""
    rag = "".join(f"<tr>{_rag_td(k)}<td class=\"num\">{n}</td><td class=\"num\">{_e(ch)}</td></tr>"
                  for k, n, ch in board_rag_rows(c))
    figures = "".join(f"<tr><th scope=\"row\">{_e(label.strip())}</th><td class=\"num\">{_e(v)}</td></tr>"
                      for label, v in board_figures(c))
    new = facts.new_reds(c.changes)
    reds = "".join(f"<li>{_e(ch.row.school)} {_e(ch.row.id)}: {_e(ch.row.activity)}</li>" for ch in new[:6])
    if len(new) > 6:
        reds += f"<li>and {len(new) - 6} more (see Exceptions)</li>"
    header = board_school_headers(c)
    n = len(c.months)  # the small trend's letters follow the school's name
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = "".join("<tr>" + f"<td>{_e(row[0])}</td>" + "".join(_rag_td(v) for v in row[1:1 + n])
                   + "".join(f"<td>{_e(v)}</td>" for v in row[1 + n:]) + "</tr>" for row in board_schools(c))
    view = _gatsby(c)
    achieved, at, trend_head = "", "Schools at", ""
    if view is not None:  # achieved (Compass), kept apart from the actions on track
        from sync.gatsby_report import BOARD_HEADING, BOARD_RAG_HEADING, board_rows

        lines = "".join(f'<tr><th scope="row">{_e(label)}</th><td class="num nowrap">{_e(v)}</td></tr>'
                        for label, v in board_rows(view))
        achieved = (f'<table class="achieved"><thead><tr><th scope="col" colspan="2">{_e(BOARD_HEADING)}'
                    f"</th></tr></thead><tbody>{lines}</tbody></table>\n")
        at = BOARD_RAG_HEADING
        trend_head = "<h3>Per school: actions on track each term; benchmarks achieved (Compass) now</h3>"
    return (f'<p class="summary">{_e(board_headline(c))}</p>\n<div class="board">\n<div>'
            f'<table><thead><tr><th scope="col">{_e(at)}</th><th scope="col" class="num">Now</th>'
            f'<th scope="col" class="num">{since_label(c)}</th></tr></thead><tbody>{rag}</tbody></table>\n'
            f"<table><tbody>{figures}</tbody></table>\n</div>\n<div>{achieved}"
            + (f"<h3>New Reds</h3><ul>{reds}</ul>" if reds else "")
            + f'{trend_head}<table class="trend"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            "</div>\n</div>")


def _html_sections(c: Consolidated) -> dict[str, str]:
    headline = "".join(
        f"<tr><th scope=\"row\">{_e(label)}</th>{_rag_td(value) if is_rag else f'<td>{_e(value)}</td>'}</tr>"
        for label, value, is_rag in _headline(c))
    areas = _html_table(("Area", "Workbook", "Title", "Schools", "Status"),
                        [["", *(f"<td>{_e(v)}</td>" for v in row)] for row in _areas(c)],
                        empty="No workbooks were read.")
    overview = (f'<p class="summary">{_e(summary_text(c))}</p>\n'
                f'<div class="wrap"><table>{headline}</table></div>\n<h3>Areas covered</h3>\n{areas}\n'
                f"<h3>Key</h3>\n{_html_key(c)}")
    header, rows = _heat_rows(c)
    themes = header[1:-1]

    def heat_td(school: str, theme: str, value: str) -> str:
        """The letter with its R/A/G row counts beside it: a letter alone hides how many Reds."""
        counts = c.heat_counts.get(school, {}).get(theme)
        if not counts or value not in RAG_FILLS:
            return _rag_td(value)
        r, a, g = counts
        return (f'<td class="rag rag-{_e(value)}" title="{_e(_counts_text(r, a, g))}">{_e(value)}'
                f'<span class="counts">{r}·{a}·{g}</span></td>')
    heat = _html_table(header, [[' class="all"' if i == len(rows) - 1 else "", f"<td>{_e(row[0])}</td>",
                                 *(heat_td(row[0], t, v) for t, v in zip(themes, row[1:-1], strict=True)),
                                 _rag_td(row[-1])] for i, row in enumerate(rows)])
    header, rows = _trend_rows(c)
    trend = _html_table(header, [["", f"<td>{_e(row[0])}</td>", *(_rag_td(v) for v in row[1:-1]),
                                  f"<td>{_e(row[-1])}</td>"] for row in rows], empty="No schools.")
    stale = _html_table(("School", "Last updated"),
                        [["", f"<td>{_e(s)}</td>", f"<td>{_e(_fmt_date(d))}</td>"] for s, d in c.not_updated],
                        empty=f"Every school updated its tab {this_period(c)}.")
    findings = _html_table(FINDING_HEADERS, [
        ["", *(f"<td>{_e(v)}</td>" for v in row[:5]), f'<td class="sev-{_e(row[5])}">{_e(row[5])}</td>',
         f'<td class="msg">{_e(row[6])}</td>'] for row in _finding_rows(c)],
        empty="No findings: every workbook passed validation.")
    board = _html_board(c)
    exceptions = _html_table(named(c, EXCEPTION_HEADERS), [
        [' class="new"' if row[0] == NEW_RED else "", *(f"<td>{_e(v)}</td>" for v in row[:3]),
         _text_td(row[3]), f"<td>{_e(row[4])}</td>", _rag_td(row[5]), f"<td>{_e(row[6])}</td>",
         _text_td(row[7]), _link_td(row[8]), f"<td>{_e(row[9])}</td>"] for row in exception_rows(c)],
        empty=f"No Red rows, and no row changed {since_last(c)}.")
    overdue = _html_table(named(c, OVERDUE_HEADERS), [
        ["", *(f"<td>{_e(v)}</td>" for v in row[:2]), _text_td(row[2]), f"<td>{_e(row[3])}</td>",
         f"<td>{_e(row[4])}</td>", _rag_td(row[5]), _text_td(row[6]), _text_td(row[7])]
        for row in overdue_rows(c)], empty="No work is overdue.")
    unread = facts.unreadable_due(c)
    if unread:
        overdue += ("\n<p>When these are due cannot be read, so they are not checked (never guessed):</p>\n"
                    + _html_table(("Workbook", "ID", "Why"),
                                  [["", *(f"<td>{_e(v)}</td>" for v in row)] for row in unread]))
    outs = _html_table(named(c, OPT_OUT_HEADERS), [
        ["", *(f"<td>{_e(v)}</td>" for v in row[:2]), _text_td(row[2]), f"<td>{_e(row[3])}</td>",
         f'<td class="{"" if not row[4].startswith("No:") else "sev-error"}">{_e(row[4])}</td>',
         f"<td>{_e(row[5])}</td>"] for row in opt_out_rows(c)],
        empty="No school marked a master row Not applicable.")
    ev = evidence_rows(c)
    evidence = _html_table(EVIDENCE_HEADERS, [
        [' class="all"' if i == len(ev) - 1 else "", f"<td>{_e(row[0])}</td>",
         *(f'<td class="num">{_e(v)}</td>' for v in row[1:])] for i, row in enumerate(ev)])
    return {
        "board": board,
        "exceptions": (f"<p>Every Red row, every row that slipped {since_last(c)} (G to A, A to R, to Not "
                       "applicable, removed) and every row that improved.</p>\n" + exceptions),
        "overdue": "<p>Rows past their due date (When or Target, read against the session calendar) that "
                   "are not Complete.</p>\n" + overdue,
        "opt-outs": "<p>Master rows marked Not applicable. Master rows are the minimum expected of every "
                    "school.</p>\n" + outs,
        "evidence": "<p>Complete rows without an evidence link.</p>\n" + evidence,
        "overview": overview,
        "by-school": _html_groups(c.by_school, "School"),
        "by-theme": _html_groups(c.by_theme, words(c)[0]),
        "by-lead": _html_groups(c.by_lead, words(c)[1]),
        "by-tier": ("<p>The hub's shared actions (the Master tab's, every school's: \"minimum\") and each "
                    "school's own actions (\"own\").</p>\n" if _termly(c) else
                    "<p>Minimum expectations (they drive the red cap and the opt-out rule), WAGJLL rows "
                    "(what a good job looks like) and the schools' own rows.</p>\n")
                   + _html_groups(_tiers(c), "Tier"),
        "heat-map": f"<p>Each cell: the rolled-up letter, with its rows' R·A·G counts below it.</p>\n{heat}\n"
                    f"{_html_key(c)}",
        "trend": f"<p>Rolled-up rating per school for each {period_word(c)}, oldest first.</p>\n{trend}",
        "not-updated": f"<p>Schools whose tab has no update dated {this_period(c)}.</p>\n" + stale,
        "findings": findings,
    }


TIER_LABELS = {"minimum": "Minimum expectations", "wagjll": "WAGJLL (what a good job looks like)",
               "own": "Schools' own rows"}


def _tiers(c: Consolidated) -> RollupResult:
    """The month by tier (a Consolidated made before tiers rolls up as one group), each tier named in
    words for the page (`rollup --by tier` keeps the spec's values: minimum, wagjll, own)."""
    r = c.by_tier if c.by_tier is not None else group_rows(
        [r for a in c.areas for r in a.rows], ["tier"], c.rule, *c.thresholds)
    groups = [replace(g, key={k: TIER_LABELS.get(v, v) if k == "tier" else v for k, v in g.key.items()})
              for g in r.groups]
    return replace(r, groups=groups)


def report_html(c: Consolidated) -> str:
    """The report as one self-contained HTML page: inline CSS, no scripts, no external assets."""
    title = report_title(c)
    body = _html_sections(c)
    theme, lead, _ = words(c)
    heads = {"by-theme": f"By {theme.lower()}", "by-lead": f"By {lead.lower()}"}
    order = list(SECTIONS)
    view = _gatsby(c)
    if view is not None:  # benchmarks achieved, then the heat map of actions on track, labelled as such
        from sync.gatsby_report import HEAT_NOTE, html_section

        body["gatsby"] = html_section(view, _e, _html_table)
        body["heat-map"] = f"<p><strong>{_e(HEAT_NOTE)}</strong></p>\n" + body["heat-map"]
        heads["heat-map"] = "Heat map: actions on track"
        order.insert(order.index(("heat-map", "Heat map")),
                     ("gatsby", "Gatsby Benchmarks achieved (Compass)"))
    sections_ = [(sid, heads.get(sid, name)) for sid, name in order]
    toc = "".join(f'<li><a href="#{sid}">{_e(name)}</a></li>' for sid, name in sections_)
    sections = "\n".join(f'<section id="{sid}">\n<h2>{_e(name)}</h2>\n{body[sid]}\n</section>'
                         for sid, name in sections_)
    areas = ", ".join(a.area for a in c.areas) or "none"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_css()}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{_e(title)}</h1>\n<p class=\"areas\">Areas covered: {_e(areas)}</p>\n</header>\n"
        f'<nav class="toc" aria-label="Contents">\n<strong>Contents</strong>\n<ol>{toc}</ol>\n</nav>\n'
        f"{sections}\n"
        f"<footer>Generated by tomsync for {_e(month_label(c.month))}</footer>\n"
        "</body>\n</html>\n"
    )


def write_report_html(c: Consolidated, path: Path) -> Path:
    """Write the HTML report to ``path`` atomically (UTF-8); returns the path."""
    path = Path(path)
    atomic_write_bytes(path, report_html(c).encode("utf-8"))
    return path
