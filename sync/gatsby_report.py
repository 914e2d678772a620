"""The Gatsby view (`sync.gatsby`) written into the cycle's report: an HTML section and a sheet.

Benchmarks ACHIEVED (each school's Compass result) are labelled as such, and the heat map beside them
is labelled "actions on track", so a governor never reads "BM5 G" as "Benchmark 5 achieved".
The board's page (`sync.report`) takes its achievement lines from here too: the hub's average this
term and last beside the national one, and how many schools achieve all 8, improved or fell.
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from sync.gatsby import GatsbyView, hub_achieved, signed

ACHIEVED_NOTE = ("Benchmarks achieved, from the Compass result each school's Careers Leader enters on the "
                 "plan's Compass sheet. This is not the heat map, which shows whether the plan's actions are "
                 "on track.")
HEAT_NOTE = ("Actions on track: each cell rolls up the termly RAG of a school's actions under one benchmark. "
             "G means the actions are on track, not that the benchmark is achieved (see Gatsby Benchmarks "
             "achieved).")


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.0f}%"


def _per_headers(v: GatsbyView) -> list[str]:
    return ["Benchmark", f"% of schools, {v.term}", f"% of schools, {v.last_term or 'last term'}", "Change"]


def school_rows(v: GatsbyView) -> list[list[str]]:
    """School, achieved (of n), change since the last evaluation, then Yes/No/blank per benchmark."""
    n = len(v.benchmarks)
    return [[s.school, "not entered" if s.achieved is None else f"{s.achieved} of {n}",
             signed(s.change) + (f" (since {s.previous_term})" if s.change is not None else ""),
             *("Yes" if m else "No" if m is False else "" for m in s.met)] for s in v.schools]


def benchmark_rows(v: GatsbyView) -> list[list[str]]:
    out = []
    for name, now, before in v.per_benchmark:
        change = None if now is None or before is None else round(now - before)
        out.append([name, _pct(now), _pct(before), "" if change is None else signed(change) + " points"])
    return out


def average_lines(v: GatsbyView) -> list[tuple[str, float | None, str]]:
    """(who, average benchmarks achieved, source): the hub's this term and last, then the national
    picture, newest national year first."""
    lines: list[tuple[str, float | None, str]] = [
        (f"This hub, {v.term}", v.average, "Compass results entered by the schools")]
    if v.last_term:
        lines.append((f"This hub, {v.last_term}", v.last_average, ""))
    for i, y in enumerate(v.national[:2]):
        lines.append((f"National average, {y.year}", y.national, y.source))
        if i == 0 and y.hub_schools is not None:
            lines.append((f"Schools in careers hubs nationally, {y.year}", y.hub_schools, y.source))
        if i == 0 and y.outside_hubs is not None:
            lines.append((f"Schools outside hubs, {y.year}", y.outside_hubs, y.source))
    return lines


def of_n(v: GatsbyView, value: float | None) -> str:
    """"5.00 of 8" as one phrase (one table cell, never split across lines)."""
    return "" if value is None else f"{value:.2f} of {len(v.benchmarks)}"


def average_rows(v: GatsbyView) -> list[list[str]]:
    """The hub's average beside the national picture, as text: who, "5.96 of 8", source."""
    return [[who, of_n(v, value), source] for who, value, source in average_lines(v)]


# -- the board's page (page 1 of the report, and the Board sheet) ---------------------------------

def board_sentence(v: GatsbyView) -> str:
    """What the board reads about achievement, before the actions on track (the term goes before it)."""
    h = hub_achieved(v)
    n = len(v.benchmarks)
    if h.average is None:
        return f"no school has entered its Gatsby Benchmarks achieved (Compass) for {v.term}."
    text = f"Gatsby Benchmarks achieved (Compass) average {h.average:.2f} of {n} in this hub"
    if h.last_average is not None:
        d = round(h.average, 2) - round(h.last_average, 2)
        text += (f", {'up' if d > 0 else 'down'} from {h.last_average:.2f} in {v.last_term}" if d
                 else f", unchanged since {v.last_term}")
    if h.national is not None:
        text += f", against {h.national.national:.2f} nationally ({h.national.year})"
    text += (f"; {h.all_met} of {h.schools} schools achieve all {n}, {h.improved} improved and {h.fell} fell "
             "since their last evaluation")
    missing = h.schools - h.entered
    if missing:
        text += f", {missing} entered no result for {v.term}"
    return text + "."


def board_rows(v: GatsbyView) -> list[tuple[str, str]]:
    """(label, value) lines of the board's achievement table."""
    h = hub_achieved(v)
    n = len(v.benchmarks)
    rows = [(f"Hub average, {v.term}", of_n(v, h.average) or "no results")]
    if v.last_term:
        rows.append((f"Hub average, {v.last_term}", of_n(v, h.last_average) or "no results"))
    if h.national is not None:
        rows.append((f"National average, {h.national.year}", of_n(v, h.national.national)))
    rows += [(f"Schools achieving all {n}", f"{h.all_met} of {h.schools}"),
             ("Improved since last evaluation", str(h.improved)),
             ("Fell since last evaluation", str(h.fell)),
             ("No change", str(h.same)),
             (f"No result entered for {v.term}", str(h.schools - h.entered))]
    return rows


def board_school_cell(v: GatsbyView, school: str) -> str:
    """A school's achievement in the board's school table: "5 of 8 (+1)", "not entered"."""
    me = next((s for s in v.schools if s.school == school), None)
    if me is None:
        return ""
    if me.achieved is None:
        return "not entered"
    change = f" ({signed(me.change)})" if me.change is not None else ""
    return f"{me.achieved} of {len(v.benchmarks)}{change}"


BOARD_HEADING = "Gatsby Benchmarks achieved (Compass)"
BOARD_COLUMN = "Achieved (Compass)"
BOARD_RAG_HEADING = "Actions on track"


def html_section(v: GatsbyView, e: Any, table: Any) -> str:
    """``e`` escapes, ``table(headers, rows)`` renders (the report's own helpers)."""
    short = [f"BM{i}" for i in range(1, len(v.benchmarks) + 1)]

    def yn(value: str) -> str:
        cls = {"Yes": "rag rag-G", "No": "rag rag-R"}.get(value, "")
        return f'<td class="{cls}">{e(value)}</td>'
    schools = table(["School", "Achieved", "Change", *short],
                    [["", *(f"<td>{e(x)}</td>" for x in row[:3]), *(yn(x) for x in row[3:])]
                     for row in school_rows(v)])
    per = table(_per_headers(v),
                [["", *(f"<td>{e(x)}</td>" for x in row)] for row in benchmark_rows(v)])
    avg = table(["", "Benchmarks achieved", "Source"],
                [["", f"<td>{e(a)}</td>", f'<td class="num nowrap">{e(b)}</td>', f"<td>{e(c)}</td>"]
                 for a, b, c in average_rows(v)])
    return (f"<p>{e(ACHIEVED_NOTE)}</p>\n"
            f'<div class="keep"><h3>Per school, {e(v.term)}</h3>\n{schools}</div>\n'
            f'<div class="keep"><h3>Per benchmark: schools achieving it</h3>\n{per}</div>\n'
            f'<div class="keep"><h3>Against the national picture</h3>\n{avg}</div>')


def write_sheet(ws: Worksheet, v: GatsbyView, put: Any) -> None:
    """The same three tables on one sheet; ``put(ws, row, col, value)`` writes a value as data."""
    put(ws, 1, 1, f"Gatsby Benchmarks achieved (Compass), {v.term}").font = Font(bold=True, size=13)
    put(ws, 2, 1, ACHIEVED_NOTE)
    row = 4
    short = [f"BM{i}" for i in range(1, len(v.benchmarks) + 1)]
    tables: list[tuple[list[str], list[list[Any]]]] = [
        (["School", "Achieved", "Change", *short], [list(r) for r in school_rows(v)]),
        (_per_headers(v), [list(r) for r in benchmark_rows(v)]),
        (["", "Benchmarks achieved", "Source"], [list(line) for line in average_lines(v)])]
    n = len(v.benchmarks)
    for i, (headers, rows) in enumerate(tables):
        for c, h in enumerate(headers, start=1):
            put(ws, row, c, h).font = Font(bold=True)
        for r in rows:
            row += 1
            for c, value in enumerate(r, start=1):
                cell = put(ws, row, c, value)
                if i == 2 and c == 2:  # a number that reads "5.96 of 8"
                    cell.number_format = f'0.00" of {n}"'
        row += 2
    ws.column_dimensions["A"].width = 44
    for letter in ("B", "C", "D"):
        ws.column_dimensions[letter].width = 18
