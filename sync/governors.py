"""One A4 page per school for its governors: `tomsync report governors SCHOOL --month YYYY-MM`.

It answers what the CEC governors' guide asks governors to put to the Careers Leader: is there a
plan, approved and reviewed (the Plan sheet's header); how is the school performing against the
Gatsby Benchmarks and how does that compare with the national picture (the Compass result, the
change since the last evaluation, the hub's and the national averages); what is off track or late
(Red and overdue actions with their review notes); and what evidence there is (evidence links on
completed actions, Compass evaluations entered, and per benchmark). Per benchmark it also puts the
school's weak points beside its plan: achieved or not, the % of sub-benchmarks met, the share of the
hub's schools achieving it (the local picture), whether it is a priority, how many actions the plan
has on it and whether they are on track, and the completed actions with evidence; and it gives the
current state the guide asks governors to know (destinations, labour market information, vulnerable
cohorts, from the Plan sheet). Written as HTML that prints on one A4 portrait page,
from the month's archive, under reports/YYYY-MM/governors-<school>-YYYY-MM.html. Only for areas that
keep a Strategic Careers Plan (a spec with [plan]).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sync import facts
from sync.consolidate import Consolidated
from sync.gatsby import GatsbyView, gatsby_view, signed
from sync.report import _css, _e, _rag_td, _text_td, month_label, words
from sync.school_report import UnknownSchool, find_school
from workbook_templates.atomic import atomic_write_bytes

PRINT_CSS = ("@page{size:A4 portrait;margin:12mm;}"
             "@media print{html,body{font-size:8pt;}th,td{padding:.05rem .25rem;}h1{font-size:13pt;}"
             "h2{font-size:10pt;margin:.4rem 0 .1rem;}}"
             "table.facts th{text-align:left;width:14rem;}table.bm th[scope=row]{text-align:left;}"
             "table.bm td{text-align:center;min-width:3.2rem;}")


def governors_file(school: str, month: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", school.lower()).strip("-") or "school"
    return f"reports/{month}/governors-{slug}-{month}.html"


def _fmt(value: Any) -> str:
    return f"{value:%d/%m/%Y}" if isinstance(value, date) else "" if value is None else str(value)


def _plan(c: Consolidated, school: str) -> tuple[dict[str, Any], dict[str, str]]:
    for a in c.areas:
        if a.plan is not None and school in a.plan.header:
            return a.plan.header[school], a.plan.roles
    raise UnknownSchool(f"{school} keeps no Strategic Careers Plan (its spec has no [plan])")


@dataclass(frozen=True)
class BenchmarkLine:
    """One benchmark on a school's governors' page: achievement beside the plan's work on it."""

    name: str
    achieved: bool | None  # this term (Compass); None: not entered
    percent: Any  # % of sub-benchmarks met, as entered
    hub_share: float | None  # % of the hub's schools achieving it this term
    priority: bool  # named in the Plan sheet's priority benchmarks
    actions: int  # the school's actions on it (Not applicable left out)
    on_track: str  # their rolled-up RAG (the heat map's letter), "" when none is rated
    complete: int  # actions Complete
    with_evidence: int  # of those, with an evidence link


PRIORITY = re.compile(r"(?:BM|Benchmarks?)\s*((?:\d+\s*(?:,|&|and)?\s*)+)", re.I)


def _priorities(text: Any, n: int) -> set[int]:
    """Benchmark numbers (1-based) named in "BM4, BM6", "Benchmarks 3 and 7" (not "Year 7")."""
    found = {int(d) for m in PRIORITY.findall(str(text or "")) for d in re.findall(r"\d+", m)}
    return {i for i in found if 1 <= i <= n}


def benchmark_lines(c: Consolidated, v: GatsbyView, school: str) -> list[BenchmarkLine]:
    """Per benchmark, for ``school``: what Compass says and what the plan does about it."""
    me = next(s for s in v.schools if s.school == school)
    area = next(a for a in c.areas if a.plan is not None and school in a.plan.header)
    assert area.plan is not None
    plan = area.plan
    sid = next((r.school_id for r in area.row_states if r.school == school), None)
    theme = {str(rec[6]): str(rec[7] or "") for rec in area.records if rec[3] == sid and rec[6]}
    status = {str(rec[6]): str(rec[9] or "") for rec in area.records if rec[3] == sid and rec[6]}
    done = [r for r in area.row_states if r.school == school and r.status == "Complete"]
    percents = plan.percents.get(school, {}).get(v.term, ()) if v.term else ()
    header = plan.header.get(school, {})
    wanted = _priorities(header.get(plan.roles.get("priorities", "")), len(v.benchmarks))
    out = []
    for i, (name, share, _) in enumerate(v.per_benchmark):
        ids = [rid for rid, t in theme.items() if t == name and status.get(rid) != "Not applicable"]
        finished = [r for r in done if theme.get(r.id) == name]
        out.append(BenchmarkLine(name, me.met[i], percents[i] if i < len(percents) else None, share,
                                 i + 1 in wanted, len(ids), c.heatmap.get(school, {}).get(name, ""),
                                 len(finished), sum(1 for r in finished if r.evidence.strip())))
    return out


def weak_points(lines: list[BenchmarkLine]) -> str:
    """Is there a plan for every benchmark not achieved? One sentence."""
    missed = [f"BM{i}" for i, b in enumerate(lines, start=1) if b.achieved is False]
    if not missed:
        return "Every benchmark entered is achieved."
    bare = [f"BM{i}" for i, b in enumerate(lines, start=1) if b.achieved is False and not b.actions]
    text = f"Not achieved: {', '.join(missed)}. "
    return text + (f"The plan has no action on {', '.join(bare)}." if bare
                   else "The plan has actions on every benchmark not achieved.")


def _comparison(v: GatsbyView, achieved: int | None) -> str:
    """One sentence placing the school against the hub and the national average."""
    if achieved is None:
        return "No Compass result entered for this term: the school cannot yet be compared."
    parts = []
    if v.national:
        y = v.national[0]
        d = achieved - y.national
        parts.append(f"{abs(d):.2f} {'above' if d >= 0 else 'below'} the national average of "
                     f"{y.national:.2f} ({y.year})")
    if v.average is not None:
        d = achieved - v.average
        parts.append(f"{abs(d):.2f} {'above' if d >= 0 else 'below'} this hub's average of {v.average:.2f}")
    return f"{achieved} of {len(v.benchmarks)} benchmarks achieved: " + " and ".join(parts) + "."


def governors_html(c: Consolidated, name: str) -> str:
    school = find_school(c, name)
    header, roles = _plan(c, school)
    v = gatsby_view(c)
    if v is None:
        raise UnknownSchool(f"no plan term for {c.month}: the month is outside the plan's calendar")
    me = next(s for s in v.schools if s.school == school)
    theme, lead, _ = words(c)
    group = next((g for g in c.by_school.groups if g.key["school"] == school), None)
    status = (f"{group.rag or 'not rated'} (R {group.R} · A {group.A} · G {group.G}, "
              f"{group.unrated} not rated)" if group else "no actions read")
    facts_rows = [(h, _fmt(header.get(h))) for h in ("Careers Leader",) if h in header]
    facts_rows += [(header_name, _fmt(header.get(header_name)))
                   for role, header_name in roles.items()
                   if role in ("created", "slt", "governors", "review")]
    if "priorities" in roles:
        facts_rows.append((roles["priorities"], _fmt(header.get(roles["priorities"]))))
    facts_rows.append(("Actions on track (termly RAG of the plan's actions)", status))
    plan_table = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(val)}</td></tr>' for k, val in facts_rows)
    short = [f"BM{i}" for i in range(1, len(v.benchmarks) + 1)]
    bm_head = "".join(f'<th scope="col" title="{_e(n)}">{_e(s)}</th>' for s, n in zip(short, v.benchmarks,
                                                                                       strict=True))
    lines = benchmark_lines(c, v, school)

    def line(label: str, cells: str) -> str:
        return f'<tr><th scope="row">{_e(label)}</th>{cells}</tr>'

    def td(value: Any) -> str:
        return f'<td class="num">{_e(value)}</td>'
    bm_rows = "".join((
        line("Achieved (Compass)", "".join(_rag_td("G" if b.achieved else "R" if b.achieved is False else "")
                                           .replace(">G<", ">Yes<").replace(">R<", ">No<") for b in lines)),
        line("% of sub-benchmarks met", "".join(td("" if b.percent in (None, "") else f"{b.percent}%")
                                                for b in lines)),
        line(f"Hub schools achieving it, {v.term}", "".join(td("" if b.hub_share is None
                                                               else f"{b.hub_share:.0f}%") for b in lines)),
        line("Priority in the plan", "".join(td("Priority" if b.priority else "") for b in lines)),
        line("Actions in the plan", "".join(td(b.actions) for b in lines)),
        line("Actions on track (RAG)", "".join(_rag_td(b.on_track) for b in lines)),
        line("Completed, with evidence", "".join(
            td(f"{b.with_evidence} of {b.complete}" if b.complete else "none") for b in lines)),
    ))
    state = [(roles[r], _fmt(header.get(roles[r]))) for r in ("destinations", "lmi", "cohorts") if r in roles]
    state_table = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(val or "not recorded")}</td></tr>'
                          for k, val in state)
    achieved = "not entered" if me.achieved is None else f"{me.achieved} of {len(v.benchmarks)}"
    change = (f"{signed(me.change)} since {me.previous_term}" if me.change is not None
              else "no earlier evaluation to compare")
    national = "".join(f"<tr><td>National average, {_e(y.year)}</td><td>{y.national:.2f}</td></tr>"
                       for y in v.national[:2])
    if v.national and v.national[0].hub_schools is not None:
        y = v.national[0]
        national += (f"<tr><td>Schools in careers hubs nationally, {_e(y.year)}</td>"
                     f"<td>{y.hub_schools:.2f}</td></tr>")
        if y.outside_hubs is not None:
            national += f"<tr><td>Schools outside hubs, {_e(y.year)}</td><td>{y.outside_hubs:.2f}</td></tr>"
    average = "" if v.average is None else f"{v.average:.2f}"
    hub = f"<tr><td>This hub, {_e(v.term)}</td><td>{average}</td></tr>"
    late = {(o.row.school, o.row.id): o.message for o in facts.overdue(c)}
    rows = [r for r in c.rows if r.school == school and (r.rag == "R" or (r.school, r.id) in late)]
    action_rows = "".join(
        f"<tr><td>{_e(r.id)}</td>" + _text_td(r.activity) + f"<td>{_e(r.lead)}</td>" + _rag_td(r.rag)
        + f"<td>{_e(late.get((r.school, r.id), ''))}</td>" + _text_td(r.note) + "</tr>" for r in rows)
    heads = "".join(f'<th scope="col">{_e(h)}</th>' for h in ("ID", "Action", lead, "RAG", "Overdue",
                                                               "Review note"))
    actions = (f"<table><thead><tr>{heads}</tr></thead><tbody>{action_rows}</tbody></table>" if rows
               else '<p class="note">No action is Red or overdue.</p>')
    ev = facts.evidence(c, [school])[0]
    evaluations = sum(1 for a in c.areas if a.plan
                      for t in a.plan.results.get(school, {}) if t in a.plan.terms)
    evidence = (f"{ev.complete} completed action(s), {ev.complete - ev.without_link} with an evidence link; "
                f"{evaluations} Compass evaluation(s) entered on the plan's Compass sheet.")
    review = header.get(roles.get("review", ""), None)
    title = f"{school}: careers report to governors, {v.term}"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n<style>{_css()}\n{PRINT_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{_e(title)}</h1>\n"
            "<p class=\"summary\">Strategic Careers Plan against the Gatsby Benchmarks; figures from the "
            f"hub's cycle of {_e(month_label(c.month))}. Next review: {_e(_fmt(review) or 'not set')}.</p>\n"
            f"<h2>The plan</h2>\n<table class=\"facts\">{plan_table}</table>\n"
            f"<h2>Gatsby Benchmarks achieved (Compass)</h2>\n<p>{_e(achieved)}, {_e(change)}. "
            f"{_e(weak_points(lines))}</p>\n"
            f'<table class="bm"><thead><tr><th scope="col">{_e(v.term)}</th>{bm_head}</tr></thead>'
            f"<tbody>{bm_rows}</tbody></table>\n"
            "<h2>How does the school compare with the national picture?</h2>\n"
            f"<p>{_e(_comparison(v, me.achieved))}</p>\n<table><tbody>{hub}{national}</tbody></table>\n"
            + (f'<h2>Destinations, labour market and cohorts</h2>\n<table class="facts">{state_table}'
               "</table>\n" if state else "")
            + f"<h2>Red and overdue actions</h2>\n{actions}\n"
            f"<h2>What evidence is there?</h2>\n<p>{_e(evidence)}</p>\n"
            f"<p class=\"note\">{_e(theme)} actions rated G are on track; a benchmark is achieved only when "
            "Compass says so.</p>\n</body>\n</html>\n")


def write_governors_page(c: Consolidated, name: str, workdir: Path) -> Path:
    """Write the page under ``workdir``/reports/YYYY-MM/ atomically; returns its path."""
    school = find_school(c, name)
    path = Path(workdir) / governors_file(school, c.month)
    atomic_write_bytes(path, governors_html(c, school).encode("utf-8"))
    return path
