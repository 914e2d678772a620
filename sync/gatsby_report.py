"""The Gatsby view (`sync.gatsby`) written into the cycle's report: an HTML section and a sheet.

Benchmarks ACHIEVED (each school's Compass result) are labelled as such, and the heat map beside them
is labelled "actions on track", so a governor never reads "BM5 G" as "Benchmark 5 achieved".
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from sync.gatsby import GatsbyView, signed

ACHIEVED_NOTE = ("Benchmarks achieved, from the Compass result each school's Careers Leader enters on the "
                 "plan's Compass sheet. This is not the heat map, which shows whether the plan's actions are "
                 "on track.")
HEAT_NOTE = ("Actions on track: each cell rolls up the termly RAG of a school's actions under one benchmark. "
             "G means the actions are on track, not that the benchmark is achieved (see Gatsby Benchmarks "
             "achieved).")


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.0f}%"


def _avg(v: float | None) -> str:
    return "" if v is None else f"{v:.2f}"


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


def average_rows(v: GatsbyView) -> list[list[str]]:
    """The hub's average beside the national picture, newest national year first."""
    n = len(v.benchmarks)
    rows = [[f"This hub, {v.term}", _avg(v.average), f"of {n}", "Compass results entered by the schools"]]
    if v.last_term:
        rows.append([f"This hub, {v.last_term}", _avg(v.last_average), f"of {n}", ""])
    for i, y in enumerate(v.national[:2]):
        rows.append([f"National average, {y.year}", _avg(y.national), f"of {n}", y.source])
        if i == 0 and y.hub_schools is not None:
            rows.append([f"Schools in careers hubs nationally, {y.year}", _avg(y.hub_schools), f"of {n}",
                         y.source])
        if i == 0 and y.outside_hubs is not None:
            rows.append([f"Schools outside hubs, {y.year}", _avg(y.outside_hubs), f"of {n}", y.source])
    return rows


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
    avg = table(["", "Benchmarks achieved", "", "Source"],
                [["", *(f"<td>{e(x)}</td>" for x in row)] for row in average_rows(v)])
    return (f"<p>{e(ACHIEVED_NOTE)}</p>\n<h3>Per school, {e(v.term)}</h3>\n{schools}\n"
            f"<h3>Per benchmark: schools achieving it</h3>\n{per}\n"
            f"<h3>Against the national picture</h3>\n{avg}")


def write_sheet(ws: Worksheet, v: GatsbyView, put: Any) -> None:
    """The same three tables on one sheet; ``put(ws, row, col, value)`` writes a value as data."""
    put(ws, 1, 1, f"Gatsby Benchmarks achieved (Compass), {v.term}").font = Font(bold=True, size=13)
    put(ws, 2, 1, ACHIEVED_NOTE)
    row = 4
    short = [f"BM{i}" for i in range(1, len(v.benchmarks) + 1)]
    tables = ((["School", "Achieved", "Change", *short], school_rows(v)),
              (_per_headers(v), benchmark_rows(v)),
              (["", "Benchmarks achieved", "", "Source"], average_rows(v)))
    for headers, rows in tables:
        for c, h in enumerate(headers, start=1):
            put(ws, row, c, h).font = Font(bold=True)
        for r in rows:
            row += 1
            for c, value in enumerate(r, start=1):
                put(ws, row, c, value)
        row += 2
    ws.column_dimensions["A"].width = 44
    for letter in ("B", "C", "D"):
        ws.column_dimensions[letter].width = 18
