"""The Gatsby view on a known hub, the English demo, and the governors' page (printed by headless
Chromium where installed)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tomllib
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.consolidate import Consolidated, area_result, consolidate
from sync.gatsby import gatsby_view, hub_achieved, national_figures
from sync.gatsby_report import board_rows
from sync.governors import benchmark_lines, governors_html, weak_points
from sync.report import board_headline, report_html, report_workbook
from tomsync.demo.run import DemoResult, run_demo
from workbook_templates.layout import COMPASS, PLAN
from workbook_templates.plan import compass_id
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec
from workbook_templates.template import write_template

TODAY = date(2026, 12, 2)
# school id -> term -> benchmarks achieved (1-based); every other benchmark entered as No
HUB = {
    "NFA": {"Summer 2026": {1, 2, 3}, "Autumn 2026": {1, 2, 3, 5, 8}},
    "RSC": {"Summer 2026": {1, 2, 3, 4, 5, 6}, "Autumn 2026": {1, 2, 3, 4}},
    "STM": {"Summer 2026": {1}, "Autumn 2026": {1}},
    "WPK": {"Summer 2026": {1, 2, 3, 4, 5, 6, 7, 8}, "Autumn 2026": {1, 2, 3, 4, 5, 6, 7, 8}},
    "HLG": {"Spring 2026": {1, 8}},  # not entered since: compared with nothing this term
}


def _hub(tmp_path: Path) -> Path:
    spec = load_spec("gatsby-plan")
    path = write_template(spec, tmp_path / "hub.xlsx")
    wb = load_workbook(path)
    ws = wb[COMPASS]
    heads = [c.value for c in ws[1]]
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    for sid, terms in HUB.items():
        for term, met in terms.items():
            r = rows[compass_id(sid, term)]
            for b in range(1, 9):
                ws.cell(row=r, column=heads.index(f"BM{b} achieved") + 1, value="Yes" if b in met else "No")
                ws.cell(row=r, column=heads.index(f"BM{b} %") + 1, value=100 if b in met else 50)
    wb.save(path)
    return path


def test_gatsby_view_on_a_known_hub(tmp_path: Path) -> None:
    data = read_workbook(_hub(tmp_path))
    c = consolidate([area_result("hub.xlsx", data, "2026-12", TODAY, False)], "2026-12")
    v = gatsby_view(c)
    assert v is not None and (v.term, v.last_term) == ("Autumn 2026", "Summer 2026")
    by = {s.school: s for s in v.schools}
    names = {s.id: s.sheet for s in data.spec.schools}
    for sid, terms in HUB.items():
        now = terms.get("Autumn 2026")
        assert by[names[sid]].achieved == (len(now) if now is not None else None)
    assert by["Northfield Academy"].change == 2 and by["Riverside School"].change == -2
    assert by["St Mary's Catholic High"].change == 0 and by["Hollins Grange School"].change is None
    assert by["Westpark Community College"].met == (True,) * 8
    entered_now = [t["Autumn 2026"] for t in HUB.values() if "Autumn 2026" in t]
    entered_before = [t["Summer 2026"] for t in HUB.values() if "Summer 2026" in t]
    assert v.average == pytest.approx(sum(map(len, entered_now)) / len(entered_now))  # 18 / 4
    assert v.last_average == pytest.approx(sum(map(len, entered_before)) / len(entered_before))
    per = {name[:1]: (now, before) for name, now, before in v.per_benchmark}
    assert per["4"] == (50.0, 50.0) and per["8"] == (50.0, 25.0) and per["6"] == (25.0, 50.0)
    assert per["1"] == (100.0, 100.0) and per["7"] == (25.0, 25.0)


def test_national_figures_come_from_the_data_file() -> None:
    shipped = Path(__file__).parents[2] / "workbook_templates" / "data" / "gatsby_national.toml"
    raw = tomllib.loads(shipped.read_text(encoding="utf-8"))["years"]
    years = national_figures()
    assert [y.year for y in years] == sorted((y["year"] for y in raw), reverse=True)
    latest = years[0]
    assert (latest.year, latest.national) == ("2024/25", 5.96)
    assert (latest.hub_schools, latest.outside_hubs) == (5.98, 4.37)
    assert years[1].national == 5.83 and "Careers & Enterprise Company" in latest.source
    extra = Path(__file__).parent / "nat.toml"
    try:
        extra.write_text('[[years]]\nyear = "2025/26"\nnational = 6.1\nsource = "next year"\n',
                         encoding="utf-8")
        assert national_figures(extra)[0].national == 6.1  # next year's figure: data, not code
    finally:
        extra.unlink()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("england"), "gatsby-plan", today=TODAY)


PLANTED = {("Northfield Academy", "red-without-note"), ("Westpark Community College", "overdue"),
           ("Hollins Grange School", "personal-data"), (COMPASS, "compass-percent"),
           (COMPASS, "compass-term")}


def test_demo_finds_only_its_planted_mistakes(demo: DemoResult) -> None:
    assert demo.months == ["2026-03", "2026-07", "2026-12"]  # three termly snapshots
    books = [p.name for p in demo.library.iterdir() if p.suffix == ".xlsx"]
    assert books == ["riverside-careers-hub-plan.xlsx"]
    for cycle in demo.cycles:
        assert cycle.consolidated is not None
    c = demo.cycles[-1].consolidated
    assert c is not None
    assert {(f.sheet, f.rule) for _, f in c.findings} == PLANTED
    page = (demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.html").read_text(encoding="utf-8")
    for heading in ("By benchmark", "By responsible", "Gatsby Benchmarks achieved (Compass)",
                    "Heat map: actions on track"):
        assert f"<h2>{heading}</h2>" in page
    assert "By theme" not in page and "(none)" not in page
    assert "<h1>Careers hub report — Autumn 2026 (December 2026)</h1>" in page and "Since last report" in page
    assert page.index("Gatsby Benchmarks achieved") < page.index("Heat map: actions on track")
    book = load_workbook(demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.xlsx")
    assert {"Gatsby achieved", "Heat map (actions on track)", "By benchmark"} <= set(book.sheetnames)
    trend = next(book["Trend"].iter_rows(max_row=1, values_only=True))
    assert trend == ("School", "Spring 2026", "Summer 2026", "Autumn 2026", "Change")  # terms, not months
    overdue = next(book["Overdue"].iter_rows(max_row=1, values_only=True))
    assert overdue[:4] == ("School", "ID", "Action", "Responsible")


def test_governors_page_is_one_a4_page(demo: DemoResult, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tomsync.cli import app

    result = CliRunner().invoke(app, ["report", "governors", "Westpark", "--month", "2026-12",
                                      "--workdir", str(demo.workdir)])
    assert result.exit_code == 0, result.output
    html = demo.workdir / "reports" / "2026-12" / "governors-westpark-community-college-2026-12.html"
    text = html.read_text(encoding="utf-8")
    c = demo.cycles[-1].consolidated
    assert c is not None
    v = gatsby_view(c)
    assert v is not None
    me = next(s for s in v.schools if s.school == "Westpark Community College")
    assert f"{me.achieved} of 8" in text and "National average, 2024/25" in text and "5.96" in text
    assert "WPK-01" in text and "due by 22/07/2026" in text  # the Red, overdue own action, with its note
    assert "rebooked for the spring term" in text and "What evidence is there?" in text
    assert "Next review: 15/07/2027" in text
    missing = CliRunner().invoke(app, ["report", "governors", "Nowhere", "--month", "2026-12",
                                       "--workdir", str(demo.workdir)])
    assert missing.exit_code == 2
    if not (shutil.which("chromium") and shutil.which("pdfinfo")):
        pytest.skip("headless Chromium or pdfinfo is not installed")
    busiest = CliRunner().invoke(app, ["report", "governors", "St Mary", "--month", "2026-12",
                                       "--workdir", str(demo.workdir)])  # the most Red actions
    assert busiest.exit_code == 0, busiest.output
    for page in (html, html.with_name("governors-st-mary-s-catholic-high-2026-12.html")):
        pdf = tmp_path / "gov.pdf"
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", page.as_uri()], check=True, capture_output=True, timeout=120)
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in info.splitlines())}
        assert fields["Pages"] == "1" and fields["Page size"].endswith("(A4)"), page.name


# -- the board's page on the known hub ------------------------------------------------------------

def _consolidated(path: Path) -> Consolidated:
    return consolidate([area_result("hub.xlsx", read_workbook(path), "2026-12", TODAY, False)], "2026-12")


def test_board_summary_counts_benchmarks_achieved(tmp_path: Path) -> None:
    c = _consolidated(_hub(tmp_path))
    v = gatsby_view(c)
    assert v is not None
    now = {sid: len(t["Autumn 2026"]) for sid, t in HUB.items() if "Autumn 2026" in t}
    before = {sid: len(t["Summer 2026"]) for sid, t in HUB.items() if "Summer 2026" in t}
    moved = [now[s] - before[s] for s in now if s in before]
    h = hub_achieved(v)
    assert (h.schools, h.entered, h.all_met) == (len(HUB), len(now), sum(1 for n in now.values() if n == 8))
    assert (h.improved, h.fell, h.same) == (sum(d > 0 for d in moved), sum(d < 0 for d in moved),
                                            sum(d == 0 for d in moved))
    assert (h.improved, h.fell, h.same, h.all_met) == (1, 1, 2, 1)  # NFA +2, RSC -2, STM WPK 0; WPK all 8
    average = sum(now.values()) / len(now)
    headline = board_headline(c)
    assert headline.startswith(
        f"Autumn 2026: Gatsby Benchmarks achieved (Compass) average {average:.2f} of 8 in this hub, "
        "unchanged since Summer 2026, against 5.96 nationally (2024/25); 1 of 5 schools achieve all 8, "
        "1 improved and 1 fell since their last evaluation, 1 entered no result for Autumn 2026. "
        "Actions on track: of 5 schools,")
    assert "December 2026" not in headline
    rows = dict(board_rows(v))
    assert rows["Hub average, Autumn 2026"] == f"{average:.2f} of 8" == "4.50 of 8"
    assert rows["National average, 2024/25"] == "5.96 of 8"
    assert rows["Schools achieving all 8"] == "1 of 5" and rows["No result entered for Autumn 2026"] == "1"
    page = report_html(c)
    board = page[page.index('<section id="board">'):page.index('<section id="overview">')]
    assert "<th scope=\"col\" colspan=\"2\">Gatsby Benchmarks achieved (Compass)</th>" in board
    assert "Actions on track" in board and "<td>5 of 8 (+2)</td>" in board
    assert "<td>4 of 8 (-2)</td>" in board
    assert "<td>not entered</td>" in board and "New Reds this term" in board
    ws = report_workbook(c)["Board"]
    cells = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)}
    assert ws["A1"].value == "Board summary — Autumn 2026" and ws["A2"].value == headline
    assert cells["Gatsby Benchmarks achieved (Compass)"] == "Value"
    assert cells["Hub average, Summer 2026"] == f"{sum(before.values()) / len(before):.2f} of 8"
    assert cells["Improved since last evaluation"] == "1" and cells["Fell since last evaluation"] == "1"
    assert cells["Schools at (actions on track)"] == "Now" and cells["This term, Autumn 2026"] == "Count"
    header = [h for h in next(r for r in ws.iter_rows(values_only=True) if r[0] == "School") if h]
    assert header[-1] == "Achieved (Compass)" and header[1:-3] == ["Autumn 2026"]  # no earlier month
    northfield = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Northfield Academy")
    assert northfield[len(header) - 1] == "5 of 8 (+2)"


def test_demo_board_says_up_or_down_and_prints_its_tables_whole(demo: DemoResult, tmp_path: Path) -> None:
    c = demo.cycles[-1].consolidated
    assert c is not None
    v = gatsby_view(c)
    assert v is not None and v.average is not None and v.last_average is not None
    word = "up" if v.average > v.last_average else "down"
    page_file = demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.html"
    page = page_file.read_text(encoding="utf-8")
    assert (f"average {v.average:.2f} of 8 in this hub, {word} from {v.last_average:.2f} in Summer 2026"
            in page)
    assert f'<td class="num nowrap">{v.average:.2f} of 8</td>' in page  # one cell, never "of" / "8"
    assert "Every school updated its tab this term." in page and "this month" not in page
    ws = load_workbook(page_file.with_suffix(".xlsx"))["Gatsby achieved"]
    hub_cell = next(r[1] for r in ws.iter_rows() if r[0].value == "This hub, Autumn 2026")
    assert hub_cell.value == pytest.approx(v.average) and hub_cell.number_format == '0.00" of 8"'
    if not (shutil.which("chromium") and shutil.which("pdftotext")):
        pytest.skip("headless Chromium or pdftotext is not installed")
    pdf = tmp_path / "report.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page_file.as_uri()],
                   check=True, capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    assert "Gatsby Benchmarks achieved (Compass)" in pages[0] and "Overview" not in pages[0]  # board: 1 page
    per = [i for i, p in enumerate(pages) if "Per benchmark: schools achieving it" in p]
    assert len(per) == 1 and all(name in pages[per[0]] for name in v.benchmarks)  # the table not split
    hub = next(line for line in text.splitlines() if "This hub, Autumn 2026" in line)
    assert f"{v.average:.2f} of 8" in hub  # "of 8" on the figure's line


def test_cli_cycle_table_labels_the_trend_by_term(demo: DemoResult, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from tomsync import cli

    buf = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=buf, width=200))
    cli.print_cycle(demo.cycles[-1])
    text = buf.getvalue()
    c = demo.cycles[-1].consolidated
    assert c is not None
    assert "Schools, Autumn 2026 (2026-12)" in text
    head = next(line for line in text.splitlines() if "School" in line and "Unrated" in line)
    columns = [x.strip() for x in head.split("┃")[1:6]]
    assert columns == ["School", "Spring 2026", "Summer 2026", "Autumn 2026", "R"]
    assert "2026-03" not in text and "2026-07" not in text
    row = next(line for line in text.splitlines() if "Northfield Academy" in line)
    letters = [c.trend["Northfield Academy"][m] for m in c.months]
    assert [x.strip() for x in row.split("│")[2:5]] == letters


# -- the governors' page: each benchmark beside the plan's work on it ------------------------------

def _northfield(tmp_path: Path) -> tuple[Path, dict[int, list[str]]]:
    """The known hub, with Northfield's plan header filled, two Benchmark 1 actions Complete (one with
    an evidence link) and its one Benchmark 4 action Not applicable; returns master IDs per benchmark."""
    spec = load_spec("gatsby-plan")
    path = _hub(tmp_path)
    wb = load_workbook(path)
    plan = wb[PLAN]
    heads = [c.value for c in plan[1]]
    row = next(r for r in range(2, plan.max_row + 1) if plan.cell(row=r, column=1).value == "NFA")
    for header, value in {"Priority benchmarks": "BM4, BM6", "Destinations": "95% sustained destinations",
                          "Labour market information": "Health and digital growing"}.items():
        plan.cell(row=row, column=heads.index(header) + 1, value=value)
    ids: dict[int, list[str]] = {}
    for m in spec.master:
        ids.setdefault(int(str(m["Benchmark"]).split()[0]), []).append(str(m["ID"]))
    ws = wb["Northfield Academy"]
    cols = {c.value: c.column for c in ws[1]}
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    edits = ((ids[1][0], "Complete", "https://example.org/e.pdf"), (ids[1][1], "Complete", None),
             (ids[4][0], "Not applicable", None))
    for rid, status, link in edits:
        ws.cell(row=rows[rid], column=cols["Status"], value=status)
        ws.cell(row=rows[rid], column=cols["Evidence link"], value=link)
    wb.save(path)
    return path, ids


def test_governors_page_sets_each_benchmark_beside_the_plan(tmp_path: Path) -> None:
    path, ids = _northfield(tmp_path)
    c = _consolidated(path)
    v = gatsby_view(c)
    assert v is not None
    lines = benchmark_lines(c, v, "Northfield Academy")
    met = HUB["NFA"]["Autumn 2026"]
    assert [b.achieved for b in lines] == [i in met for i in range(1, 9)]
    assert [b.percent for b in lines] == [100 if i in met else 50 for i in range(1, 9)]
    assert [b.hub_share for b in lines] == [share for _, share, _ in v.per_benchmark]
    assert [b.priority for b in lines] == [i in (4, 6) for i in range(1, 9)]
    assert [b.actions for b in lines] == [len(ids[i]) - (i == 4) for i in range(1, 9)]  # BM4's is N/A
    assert [(b.complete, b.with_evidence) for b in lines][:2] == [(2, 1), (0, 0)]
    assert weak_points(lines) == "Not achieved: BM4, BM6, BM7. The plan has no action on BM4."
    page = governors_html(c, "Northfield")
    table = page[page.index('<table class="bm">'):]
    table = table[:table.index("</table>")]
    assert '<th scope="row">Completed, with evidence</th><td class="num">1 of 2</td>' in table
    assert '<th scope="row">Actions in the plan</th><td class="num">3</td>' in table
    assert "Not achieved: BM4, BM6, BM7. The plan has no action on BM4." in page
    assert "<th scope=\"row\">Destinations</th><td>95% sustained destinations</td>" in page
    assert "<th scope=\"row\">Vulnerable cohorts</th><td>not recorded</td>" in page


def test_a_hub_of_plans_counts_updates_over_the_term(tmp_path: Path) -> None:
    """Updates are termly: a tab updated in October is up to date in December's cycle; one last updated
    in July (the summer term) is not, and the report says "this term"."""
    path = _hub(tmp_path)
    wb = load_workbook(path)
    spec = load_spec("gatsby-plan")
    for s in spec.schools:
        ws = wb[s.sheet]
        col = next(c.column for c in ws[1] if c.value == "Last updated")
        ws.cell(row=2, column=col, value=date(2026, 7, 20) if s.id == "RSC" else date(2026, 10, 5))
    wb.save(path)
    c = _consolidated(path)
    assert c.not_updated == [("Riverside School", date(2026, 7, 20))]
    page = report_html(c)
    assert "1 school did not update its tab this term (Riverside School)." in page
    assert "this month" not in page


def test_school_page_of_a_plan_speaks_in_terms_and_the_plan_s_words(demo: DemoResult) -> None:
    """`tomsync report school` on the demo hub: titled by the term, the plan's headers, changes since
    the last report (not "last month"), in both the HTML and the xlsx."""
    from sync.school_report import school_html, school_workbook
    c = demo.cycles[-1].consolidated
    assert c is not None
    page = school_html(c, "Westpark")
    assert "<h1>Westpark Community College — Strategic Careers Plan, Autumn 2026</h1>" in page
    assert "Reds and changes since the last report" in page and "last month" not in page
    for header in ("Action", "Responsible", "Timing"):
        assert f'<th scope="col">{header}</th>' in page
    assert '<th scope="col">Activity</th>' not in page and "TOM report" not in page
    ws = school_workbook(c, "Westpark")["School"]
    assert ws["A1"].value == "Westpark Community College — Strategic Careers Plan, Autumn 2026"
    heads = [v for row in ws.iter_rows(min_row=7, max_row=7, values_only=True) for v in row]
    assert heads[:4] == ["ID", "Action", "Responsible", "Timing"]


def test_demo_report_key_and_red_since_speak_of_actions_and_terms(demo: DemoResult) -> None:
    """The key under the heat map says Green is actions on track, never "achieved" (that is
    Compass's word), explains Blue, and a Red row's "Red since" is a term, as the trend's columns."""
    page = (demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.html").read_text(encoding="utf-8")
    assert "on track or achieved" not in page
    assert "Green: the actions are on track (not a benchmark achieved" in page and "Blue: complete" in page
    assert "WAGJLL" not in page
    book = load_workbook(demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.xlsx")
    rows = list(book["Exceptions"].iter_rows(values_only=True))
    heads = list(rows[0])
    since = [r[heads.index("Red since")] for r in rows[1:] if r[0] in ("Red", "New Red")]
    assert since and set(since) <= {"Autumn 2025", "Spring 2026", "Summer 2026", "Autumn 2026"}
    assert "Key" in [c for r in book["Heat map (actions on track)"].iter_rows(values_only=True) for c in r]
    assert "<td>Spring 2026</td>" in page  # the same words in the HTML's Exceptions table


def test_the_england_demo_chases_the_careers_leader_and_the_enterprise_coordinator(demo: DemoResult) -> None:
    from sync.remind import find_reminders, month_name, subject

    reminders, unreadable = find_reminders(demo.workdir, demo.months[-1], TODAY)
    assert reminders and not unreadable
    for r in reminders:
        assert [c.role for c in r.recipients] == ["Careers Leader", "Enterprise Coordinator"]
        assert subject(r).startswith(f"Strategic Careers Plan, {r.period}: {r.school.name}")
        assert r.period == "Autumn 2026" and month_name(demo.months[-1]) == "December 2026"
