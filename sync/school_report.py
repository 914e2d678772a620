"""One page per school, for its senior leadership team or parent council: `tomsync report school`.

The same facts as the partnership report (`sync.facts`, `sync.report`), cut to one school: its letter
with the row counts and its trend, its Reds and what changed, overdue work, opt-outs, evidence, then
every row. Written as HTML (one A4 landscape page when printed) and as a one-sheet xlsx.

A hub of Strategic Careers Plans gets the same page in its own words: titled by the plan term
("Autumn 2026"), changes "since the last report", and the plan's headers (Action, Responsible,
Timing) instead of Activity, Lead and When.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from sync.consolidate import Consolidated
from sync.report import (
    _counts_text,
    _css,
    _e,
    _link_td,
    _page,
    _put,
    _rag_cell,
    _rag_td,
    _schools,
    _text_td,
    evidence_rows,
    exception_rows,
    month_label,
    opt_out_rows,
    overdue_rows,
    period_label,
    periods,
    since_last,
    this_period,
    workbook_bytes,
)
from sync.report import _termly as termly
from sync.report import named as _named
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.template import HEADER_FILL, HEADER_FONT

ROW_HEADERS = ("ID", "Activity", "Lead", "When", "Status", "RAG", "Note", "Evidence")


class UnknownSchool(ValueError):
    """The name matches no school of the month's report."""


def find_school(c: Consolidated, name: str) -> str:
    """The report's label for ``name``: exact, else case-insensitive, else the one school it starts."""
    schools = _schools(c)
    if name in schools:
        return name
    lower = {s.lower(): s for s in schools}
    if name.lower() in lower:
        return lower[name.lower()]
    starts = [s for s in schools if s.lower().startswith(name.lower()) or
              s.lower().split(": ")[-1].startswith(name.lower())]
    if len(starts) == 1:
        return starts[0]
    raise UnknownSchool(f"no school '{name}' in the {c.month} report (schools: {', '.join(schools)})")


def school_file_stem(school: str, month: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", school.lower()).strip("-") or "school"
    return f"reports/{month}/school-{slug}-{month}"


def _changes(c: Consolidated) -> str:
    return f"Reds and changes {since_last(c)}"


def _headers(c: Consolidated) -> tuple[str, ...]:
    """The row table's headers in the areas' words; a plan's When is its Timing."""
    return tuple("Timing" if h == "When" and termly(c) else h for h in _named(c, ROW_HEADERS))


def _title(c: Consolidated, school: str) -> str:
    term = termly(c)
    return f"{school} — Strategic Careers Plan, {term}" if term else \
        f"{school} — TOM report, {month_label(c.month)}"


def _facts(c: Consolidated, school: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        _changes(c): [r for r in exception_rows(c) if r[1] == school],
        "Overdue": [r for r in overdue_rows(c) if r[0] == school],
        "Opt-outs": [r for r in opt_out_rows(c) if r[0] == school],
    }


def _headline(c: Consolidated, school: str) -> str:
    g = next((g for g in c.by_school.groups if g.key.get("school") == school), None)
    letter = g.rag if g else ""
    counts = f" ({_counts_text(g.R, g.A, g.G)}, {g.unrated} not rated)" if g else ""
    ev = next((r for r in evidence_rows(c) if r[0] == school), None)
    facts = _facts(c, school)
    parts = [f"{school}, {period_label(c)}: overall {letter or 'not rated'}{counts}",
             f"{len([r for r in facts[_changes(c)] if r[5] == 'R'])} Red row(s)",
             f"{len(facts['Overdue'])} overdue", f"{len(facts['Opt-outs'])} opt-out(s)"]
    if ev and ev[1]:
        parts.append(f"{ev[2]} of {ev[1]} Complete rows without an evidence link")
    if school in c.capped:
        parts.append("held at Amber by a Red on a master row")
    if any(s == school for s, _ in c.not_updated):
        parts.append(f"the tab was not updated {this_period(c)}")
    return "; ".join(parts) + "."


def _rows(c: Consolidated, school: str) -> list[tuple[str, ...]]:
    return [(r.id, r.activity, r.lead, r.when, r.status, r.rag, r.note, r.evidence)
            for r in c.rows if r.school == school]


def school_html(c: Consolidated, school: str) -> str:
    school = find_school(c, school)
    trend = c.trend.get(school, {})
    months = "".join(f'<th scope="col">{_e(label)}</th>' for label in periods(c))
    trend_html = (f"<table><thead><tr>{months}"
                  + "</tr></thead><tbody><tr>" + "".join(_rag_td(trend.get(m, "")) for m in c.months)
                  + "</tr></tbody></table>")
    blocks = []
    for title, rows in _facts(c, school).items():
        if rows:
            head = "".join(f'<th scope="col">{_e(h)}</th>'
                           for h in _named(c, ("What", "ID", "Activity", "Note")))
            body = "".join(f"<tr><td>{_e(r[0] if title.startswith('Reds') else title)}</td>"
                           f"<td>{_e(r[2] if title.startswith('Reds') else r[1])}</td>"
                           + _text_td(r[3] if title.startswith("Reds") else r[2])
                           + _text_td(r[7] if title != "Opt-outs" else r[4]) + "</tr>" for r in rows)
            blocks.append(f"<h3>{_e(title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in _headers(c))
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r[:1]) + _text_td(r[1])
                   + "".join(f"<td>{_e(v)}</td>" for v in r[2:5]) + _rag_td(r[5]) + _text_td(r[6])
                   + _link_td(r[7]) + "</tr>" for r in _rows(c, school))
    title = _title(c, school)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{_css()}\n"
            "@media print{html{font-size:7pt;}body{font-size:7pt;}th,td{padding:.05rem .25rem;}"
            "h3{margin:.3rem 0 .1rem;}td.link{max-width:11rem;}}"
            "</style>\n</head>\n<body>\n"
            f"<h1>{_e(title)}</h1>\n<p class=\"summary\">{_e(_headline(c, school))}</p>\n{trend_html}\n"
            + "\n".join(blocks)
            + f"\n<h3>Every row</h3><table class=\"rows\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            "</table>\n</body>\n</html>\n")


def school_workbook(c: Consolidated, school: str) -> Workbook:
    school = find_school(c, school)
    wb = Workbook()
    ws = wb.active
    ws.title = "School"
    _put(ws, 1, 1, _title(c, school)).font = Font(bold=True, size=14, color="1F4E79")
    cell = _put(ws, 2, 1, _headline(c, school))
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:H2")
    ws.row_dimensions[2].height = 45
    row = 4
    for i, (m, label) in enumerate(zip(c.months, periods(c), strict=True), start=1):
        h = _put(ws, row, i, label)
        h.fill, h.font = HEADER_FILL, HEADER_FONT
        h.alignment = Alignment(horizontal="center")
        _rag_cell(_put(ws, row + 1, i, c.trend.get(school, {}).get(m, "")))
    row += 3
    for i, h in enumerate(_headers(c), start=1):
        cell = _put(ws, row, i, h)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center" if h == "RAG" else "left")
    for values in _rows(c, school):
        row += 1
        for i, v in enumerate(values, start=1):
            cell = _put(ws, row, i, v)
            if ROW_HEADERS[i - 1] == "RAG":
                _rag_cell(cell)
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEFGH", (10, 44, 8, 10, 13, 6, 44, 26), strict=True):
        ws.column_dimensions[col].width = width
    _page(ws)
    ws.print_title_rows = None
    ws.page_setup.fitToHeight = 1
    return wb


def write_school_report(c: Consolidated, school: str, workdir: Path) -> tuple[Path, Path]:
    """Write the school's page as HTML and xlsx under reports/YYYY-MM/, atomically; returns both."""
    label = find_school(c, school)
    stem = Path(workdir) / school_file_stem(label, c.month)
    html_path, xlsx_path = stem.with_suffix(".html"), stem.with_suffix(".xlsx")
    atomic_write_bytes(html_path, school_html(c, label).encode("utf-8"))
    atomic_write_bytes(xlsx_path, workbook_bytes(school_workbook(c, label)))
    return html_path, xlsx_path
