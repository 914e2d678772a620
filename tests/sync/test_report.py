"""The monthly report, written to real files and read back: what a director opens must match the data.

The Consolidated comes from real demo workbooks (built, read, validated, rolled up), and every number
in the report is compared with it rather than with hand-typed figures, so the test follows the data.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from sync.consolidate import AreaResult, Consolidated, consolidate, read_areas
from sync.report import (
    SECTIONS,
    SERIES_COLOURS,
    SHEETS,
    report_html,
    report_workbook,
    summary_text,
    write_report_html,
    write_report_xlsx,
)
from tomsync.demo.data import build_demo_workbook
from workbook_templates.rollup import Group, RollupResult
from workbook_templates.spec import load_spec
from workbook_templates.template import RAG_FILLS
from workbook_templates.validate import Finding

MONTH = "2026-11"
TODAY = date(2026, 11, 27)
# Earlier months as the archive keeps them; chosen so the Change column shows each case.
HISTORY = {
    "2026-09": {"Berwickshire High": "A", "Eyemouth High": "G", "Jedburgh Grammar": "R"},
    "2026-10": {"Berwickshire High": "G", "Eyemouth High": "G", "Jedburgh Grammar": "R", "Kelso High": "A"},
}
HOSTILE_SCHOOL = '=HYPERLINK("http://evil.example/x","Click")'
HOSTILE_MESSAGE = "=cmd|' /C calc'!A0 <script>alert(1)</script>"
GROUP_HEADERS = ("Red", "Amber", "Green", "Not rated", "Rows", "RAG")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def borders(workdir: Path) -> Path:
    spec = load_spec("scottish-tom")
    return build_demo_workbook(spec, workdir / "borders.xlsx", MONTH, TODAY)


@pytest.fixture(scope="module")
def areas(borders: Path) -> list[AreaResult]:
    return read_areas([("borders.xlsx", borders)], MONTH, TODAY)


@pytest.fixture(scope="module")
def c(areas: list[AreaResult]) -> Consolidated:
    return consolidate(areas, MONTH, history=HISTORY, rule=load_spec("scottish-tom").rollup.rule)


@pytest.fixture(scope="module")
def xlsx(c: Consolidated, workdir: Path) -> Path:
    return write_report_xlsx(c, workdir / "out" / "report.xlsx")


@pytest.fixture(scope="module")
def wb(xlsx: Path) -> Workbook:
    return load_workbook(xlsx)


@pytest.fixture(scope="module")
def page(c: Consolidated, workdir: Path) -> str:
    path = write_report_html(c, workdir / "out" / "report.html")
    return path.read_text(encoding="utf-8")


def rows(ws: Any, first: int = 1, last: int | None = None) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in ws.iter_rows(min_row=first, max_row=last, values_only=True)]


def table(ws: Any) -> list[tuple[Any, ...]]:
    """The sheet's table: from the header down to the first empty row."""
    out = []
    for r in rows(ws):
        if all(v is None for v in r):
            break
        out.append(r)
    return out


def fill(cell: Any) -> str | None:
    """The cell's solid fill colour as 6 hex digits, or None when it has none."""
    if cell.fill is None or cell.fill.fill_type != "solid":
        return None
    return str(cell.fill.fgColor.rgb)[-6:].upper()


def expected_group_rows(r: RollupResult) -> list[tuple[Any, ...]]:
    def one(label: str, g: Group) -> tuple[Any, ...]:
        return (label, g.R, g.A, g.G, g.unrated, g.R + g.A + g.G + g.unrated, g.rag or None)
    return [one(" / ".join(g.key.values()), g) for g in r.groups] + [one("All", r.overall)]


def table_headers_of_by_school(c: Consolidated) -> tuple[Any, ...]:
    return tuple(table(report_workbook(c)["By school"])[0])


def section(page: str, sid: str) -> str:
    match = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
    assert match, f"no section {sid}"
    return match.group(1)


def relabel(areas: list[AreaResult], old: str, new: str, message: str) -> list[AreaResult]:
    """The same areas with one school renamed and one extra finding: what a hostile tab would give."""
    out = []
    for a in areas:
        out.append(replace(
            a,
            rows=[r._replace(school=new) if r.school == old else r for r in a.rows],
            schools=[new if s == old else s for s in a.schools],
            last_updated={(new if s == old else s): d for s, d in a.last_updated.items()},
            findings=[*a.findings, Finding(new, "J9", "M09", "formula-injection", "warning", message)],
        ))
    return out


# -- the workbook ------------------------------------------------------------------------------

def test_every_sheet_in_order_with_title_and_print_setup(wb: Workbook, c: Consolidated) -> None:
    assert wb.sheetnames == list(SHEETS) == ["Board", "Overview", "Exceptions", "Overdue", "Opt-outs",
                                             "Evidence", "By school", "By theme", "By lead", "By tier",
                                             "Heat map",
                                             "Trend", "Not updated", "Findings"]
    assert wb["Overview"]["A1"].value == "TOM monthly report — November 2026"
    assert wb["Overview"]["A2"].value == "Areas covered: Scottish Borders"
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.freeze_panes, ws.title
        assert ws.column_dimensions["A"].width >= 10, ws.title
    for name in SHEETS[1:]:
        assert wb[name].freeze_panes in ("A2", "B2"), name
        assert wb[name].print_title_rows == "$1:$1", name


def test_overview_headlines_match_the_data(wb: Workbook, c: Consolidated) -> None:
    ws = wb["Overview"]
    headline = {r[0]: r[1] for r in rows(ws, 7, 16)}
    o = c.by_school.overall
    assert headline == {
        "Schools": 9, "Overall RAG": o.rag, "Rows rated Green": o.G, "Rows rated Amber": o.A,
        "Rows rated Red": o.R, "Rows not rated": o.unrated, "Errors": c.errors, "Warnings": c.warnings,
        "Schools not updated": len(c.not_updated), "Roll-up rule": "score (Green ≥ 0.75, Red < 0.4)",
    }
    rag_cell = next(r[1] for r in ws.iter_rows(min_row=7, max_row=16) if r[0].value == "Overall RAG")
    assert fill(rag_cell) == RAG_FILLS[o.rag][0]
    # 5 demo mistakes + 1 master opt-out (Berwickshire M11); 3 warnings + 16 overdue rows
    assert (c.errors, c.warnings, len(c.not_updated)) == (6, 19, 1)
    ratings = [g.rag for g in c.by_school.groups]
    green, amber, red = (ratings.count(k) for k in "GAR")
    assert ws["A4"].value == summary_text(c)
    assert ws["A4"].value.startswith(f"{green} of 9 schools are Green, {amber} Amber and {red} Red overall.")
    assert "1 school did not update its tab this month (Peebles High)." in ws["A4"].value
    assert "Validation found 6 errors and 19 warnings" in ws["A4"].value
    areas = [r[:5] for r in rows(ws, 18, 19)]
    assert areas == [("Area", "Workbook", "Title", "Schools", "Status"),
                     ("Scottish Borders", "borders.xlsx", "DYW / SDS Target Operating Model", 9, "read")]


@pytest.mark.parametrize(("sheet", "attr", "label"), [
    ("By school", "by_school", "School"), ("By theme", "by_theme", "Theme"), ("By lead", "by_lead", "Lead"),
])
def test_group_sheets_match_rollups(wb: Workbook, c: Consolidated, sheet: str, attr: str, label: str) -> None:
    ws = wb[sheet]
    result: RollupResult = getattr(c, attr)
    got = table(ws)
    assert got[0] == (label, *GROUP_HEADERS)
    assert got[1:] == expected_group_rows(result)
    assert got[-1][0] == "All" and got[-1][1:5] == (result.overall.R, result.overall.A, result.overall.G,
                                                    result.overall.unrated)
    for r in ws.iter_rows(min_row=2, max_row=len(got)):
        rag = r[6]
        assert fill(rag) == (RAG_FILLS[rag.value][0] if rag.value else None)


def test_heat_map_cells_and_colours(wb: Workbook, c: Consolidated) -> None:
    ws = wb["Heat map"]
    got = table(ws)
    themes = [" / ".join(g.key.values()) for g in c.by_theme.groups]
    assert got[0] == ("School", *themes, "Overall")
    schools = [" / ".join(g.key.values()) for g in c.by_school.groups]
    assert [r[0] for r in got[1:]] == [*schools, "All"]
    overall = {" / ".join(g.key.values()): g.rag for g in c.by_school.groups}
    for r in got[1:-1]:
        assert r[1:] == (*(c.heatmap[r[0]].get(t) or None for t in themes), overall[r[0]])
    assert got[-1][1:] == (*(g.rag or None for g in c.by_theme.groups), c.by_theme.overall.rag)
    seen = set()
    for r in ws.iter_rows(min_row=2, max_row=len(got), min_col=2, max_col=len(themes) + 2):
        for cell in r:
            if cell.value:
                assert fill(cell) == RAG_FILLS[cell.value][0], cell.coordinate
                assert cell.font.color.rgb.endswith(RAG_FILLS[cell.value][1])
                seen.add(cell.value)
            else:
                assert fill(cell) is None, cell.coordinate  # blank = not rated, no colour
    assert seen == {"R", "A", "G"}
    assert any(cell.value is None for r in ws.iter_rows(min_row=2, max_row=len(got) - 1) for cell in r)


def test_chart_of_rag_counts_per_school(c: Consolidated, xlsx: Path) -> None:
    assert report_workbook(c)["By school"]._charts  # openpyxl drops charts on reading, so look in the zip
    with zipfile.ZipFile(xlsx) as z:
        names = z.namelist()
        assert "xl/charts/chart1.xml" in names
        chart = z.read("xl/charts/chart1.xml").decode()
        drawing_rels = [n for n in names if n.startswith("xl/worksheets/_rels/")]
        by_school_rels = z.read(f"xl/worksheets/_rels/sheet{SHEETS.index('By school') + 1}.xml.rels").decode()
    assert drawing_rels and "drawing" in by_school_rels
    # shares of rated rows, so a school with more rows of its own does not look bigger
    assert '<barDir val="bar"' in chart and '<grouping val="percentStacked"' in chart
    n = len(c.by_school.groups)
    for col, title in (("B", "Red"), ("C", "Amber"), ("D", "Green")):  # series: the count columns
        assert f"'By school'!{col}1" in chart and f"'By school'!${col}$2:${col}${n + 1}" in chart
        assert table_headers_of_by_school(c)[ord(col) - ord("A")] == title
    assert f"'By school'!$A$2:$A${n + 1}" in chart  # categories: the schools, not the All line
    for colour in SERIES_COLOURS.values():
        assert colour in chart


def test_trend_has_a_column_per_month(wb: Workbook, c: Consolidated) -> None:
    ws = wb["Trend"]
    got = table(ws)
    assert c.months == ["2026-09", "2026-10", "2026-11"]
    assert got[0] == ("School", "Sep 2026", "Oct 2026", "Nov 2026", "Change")
    assert [r[0] for r in got[1:]] == list(c.trend)
    for r in got[1:]:
        assert r[1:4] == tuple(c.trend[r[0]][m] or None for m in c.months)
    change = {r[0]: r[4] for r in got[1:]}
    now = {" / ".join(g.key.values()): g.rag for g in c.by_school.groups}
    assert now["Eyemouth High"] == "R" and change["Eyemouth High"] == "Worse"  # G -> R
    assert now["Jedburgh Grammar"] == "A" and change["Jedburgh Grammar"] == "Better"  # R -> A
    assert now["Berwickshire High"] == "G" and change["Berwickshire High"] == "Same"
    assert change["Peebles High"] is None  # no rating last month: nothing to compare
    for r in ws.iter_rows(min_row=2, max_row=len(got), min_col=2, max_col=4):
        for cell in r:
            assert fill(cell) == (RAG_FILLS[cell.value][0] if cell.value else None)


def test_not_updated_lists_the_stale_school(wb: Workbook, c: Consolidated) -> None:
    assert c.not_updated == [("Peebles High", date(2026, 10, 25))]
    ws = wb["Not updated"]
    assert table(ws) == [("School", "Last updated"), ("Peebles High", datetime(2026, 10, 25))]
    assert ws["B2"].number_format == "dd/mm/yyyy"


def test_not_updated_says_never(c: Consolidated, workdir: Path) -> None:
    never = replace(c, not_updated=[("Peebles High", None), ("Kelso High", date(2026, 9, 3))])
    ws = load_workbook(write_report_xlsx(never, workdir / "never.xlsx"))["Not updated"]
    assert table(ws)[1:] == [("Peebles High", "never"), ("Kelso High", datetime(2026, 9, 3))]
    assert "<td>never</td>" in section(report_html(never), "not-updated")
    assert "<td>03/09/2026</td>" in section(report_html(never), "not-updated")


def test_findings_rows_equal_the_findings(wb: Workbook, c: Consolidated) -> None:
    got = table(wb["Findings"])
    assert got[0] == ("Workbook", "Sheet", "Cell", "ID", "Rule", "Severity", "Message")
    assert got[1:] == [(name, f.sheet, f.cell or None, f.row_id, f.rule, f.severity, f.message)
                       for name, f in c.findings]
    assert len(got) - 1 == len(c.findings) == c.errors + c.warnings
    for r in wb["Findings"].iter_rows(min_row=2, max_row=len(got), min_col=6, max_col=6):
        assert fill(r[0]) == RAG_FILLS["R" if r[0].value == "error" else "A"][0]


def test_same_input_same_cells(c: Consolidated, workdir: Path) -> None:
    def cells(wb: Workbook) -> dict[str, list[tuple[Any, ...]]]:
        return {ws.title: rows(ws) for ws in wb}

    def fills(wb: Workbook) -> dict[str, list[tuple[Any, ...]]]:
        return {ws.title: [tuple(fill(x) for x in r) for r in ws.iter_rows()] for ws in wb}

    first, second = report_workbook(c), report_workbook(c)
    assert cells(first) == cells(second) and fills(first) == fills(second)
    a = load_workbook(write_report_xlsx(c, workdir / "a.xlsx"))
    b = load_workbook(write_report_xlsx(c, workdir / "b.xlsx"))
    assert cells(a) == cells(b) and fills(a) == fills(b)
    assert a.properties.created == b.properties.created == datetime(2026, 11, 1)
    assert a.properties.modified == datetime(2026, 11, 1)  # not the clock at save time
    assert report_html(c) == report_html(c)


def test_atomic_write_leaves_no_temporary_files(c: Consolidated, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "folder" / "report.xlsx"
    assert write_report_xlsx(c, target) == target
    assert write_report_html(c, target.with_suffix(".html")) == target.with_suffix(".html")
    write_report_xlsx(c, target)  # replacing an existing report
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html", "report.xlsx"]


# -- what schools typed stays data -------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile(areas: list[AreaResult]) -> Consolidated:
    hostile_areas = relabel(areas, "Peebles High", HOSTILE_SCHOOL, HOSTILE_MESSAGE)
    return consolidate(hostile_areas, MONTH, history=HISTORY)


def test_formula_like_text_stays_text_in_the_xlsx(hostile: Consolidated, workdir: Path) -> None:
    path = write_report_xlsx(hostile, workdir / "hostile.xlsx")
    wb = load_workbook(path)
    places = []
    for ws in wb:
        for r in ws.iter_rows():
            for cell in r:
                if cell.value in (HOSTILE_SCHOOL, HOSTILE_MESSAGE):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    places.append(ws.title)
    # the school on every per-school sheet, the message and the school's tab name in Findings
    assert set(places) == {"Board", "Evidence", "By school", "Heat map", "Trend", "Not updated", "Findings"}
    assert places.count("Findings") == 2
    with zipfile.ZipFile(path) as z:
        sheets = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
    assert len(sheets) == len(SHEETS)
    for name, xml in sheets.items():
        assert "<f>" not in xml and "<f " not in xml, name  # the report holds no formula at all
    # openpyxl writes text inline: the school's "formula" sits in a text element of a string cell
    assert any('t="inlineStr"><is><t>=HYPERLINK(' in xml for xml in sheets.values())


def test_html_escapes_what_schools_typed(hostile: Consolidated) -> None:
    page = report_html(hostile)
    assert "<script>" not in page and "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&quot;http://evil.example/x&quot;,&quot;Click&quot;)" in page
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)


def test_control_characters_do_not_break_either_writer(areas: list[AreaResult], workdir: Path) -> None:
    c = consolidate(relabel(areas, "Kelso High", "Kelso\x07 High", "note\x00 with\x1b controls"), MONTH)
    ws = load_workbook(write_report_xlsx(c, workdir / "controls.xlsx"))["Findings"]
    assert table(ws)[-1][1::5] == ("Kelso High", "note with controls")
    page = report_html(c)
    assert "<td>Kelso High</td>" in page and "note with controls" in page
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", page)


def test_summary_when_nothing_is_rated_yet(c: Consolidated) -> None:
    kelso_unrated = Group({"school": "Kelso High"}, unrated=4)
    none = RollupResult("score", ["school"], [kelso_unrated], Group({}, unrated=4))
    text = summary_text(replace(c, by_school=none))
    assert text.startswith("None of the 9 schools has a rating yet.")
    assert "4 not yet rated; there is no overall rating yet." in text
    assert "the overall rating is Green." in summary_text(c)
    kelso = Group({"school": "Kelso High"}, G=4, rag="G")
    partly = RollupResult("score", ["school"], [kelso], Group({}, G=4, rag="G"))
    assert summary_text(replace(c, by_school=partly)).startswith(
        "1 of 9 schools is Green overall. 8 schools have no ratings yet.")


# -- HTML --------------------------------------------------------------------------------------

def test_html_has_every_section_title_toc_and_footer(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>TOM monthly report — November 2026</title>" in page
    assert '<meta name="viewport"' in page
    for sid, name in SECTIONS:
        assert f'<section id="{sid}">' in page
        assert f'<a href="#{sid}">{name}</a>' in page
    assert [sid for sid, _ in SECTIONS] == ["board", "overview", "exceptions", "overdue", "opt-outs",
                                            "evidence", "by-school", "by-theme", "by-lead", "by-tier",
                                            "heat-map",
                                            "trend", "not-updated", "findings"]
    assert "<footer>Generated by tomsync for November 2026</footer>" in page
    assert "@media print" in page and "<style>" in page


def test_html_is_self_contained(page: str) -> None:
    lower = page.lower()
    assert "<script" not in lower and "<link" not in lower and "<img" not in lower and "@import" not in lower
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"url\(", page)
    # an evidence link a school typed is shown as text in a cell, never followed
    outside_cells = re.sub(r"<td( class=\"link\")?>[^<]*</td>", "", page)
    assert "http://" not in outside_cells and "https://" not in outside_cells


def test_html_numbers_and_colours_match(page: str, c: Consolidated) -> None:
    assert summary_text(c) in section(page, "overview")
    for sid, result in (("by-school", c.by_school), ("by-theme", c.by_theme), ("by-lead", c.by_lead)):
        body = section(page, sid)
        for label, red, amber, green, unrated, total, _rag in expected_group_rows(result):
            nums = "".join(f'<td class="num">{n}</td>' for n in (red, amber, green, unrated, total))
            assert f"<td>{label}</td>{nums}" in body, (sid, label)
        assert body.count("<tr") == len(result.groups) + 2  # header, groups, All
    for k, (bg, fg) in RAG_FILLS.items():
        assert f".rag-{k}{{background:#{bg};color:#{fg};}}" in page
    heat = section(page, "heat-map")
    for school, themes in c.heatmap.items():
        for rag in themes.values():
            if rag:
                assert f'<td class="rag rag-{rag}" title=' in heat
        assert f"<td>{school}</td>" in heat
    # the letter is in the cell, not only the colour
    assert re.search(r'<td class="rag rag-G" title="Green">G</td>', heat)
    trend = section(page, "trend")
    assert "<th scope=\"col\">Sep 2026</th>" in trend and "<th scope=\"col\">Nov 2026</th>" in trend
    assert "<td>Peebles High</td><td>25/10/2026</td>" in section(page, "not-updated")
    findings = section(page, "findings")
    assert findings.count("<tr") == len(c.findings) + 1
    assert findings.count('class="sev-error"') == c.errors


# -- shapes other than the one-area demo -------------------------------------------------------

def test_two_areas(workdir: Path) -> None:
    scot = build_demo_workbook(load_spec("scottish-tom"), workdir / "scot.xlsx", MONTH, TODAY)
    gats = build_demo_workbook(load_spec("gatsby-plan"), workdir / "gatsby.xlsx", MONTH, TODAY)
    areas = read_areas([("scot.xlsx", scot), ("gatsby.xlsx", gats)], MONTH, TODAY)
    c = consolidate(areas, MONTH)
    wb = load_workbook(write_report_xlsx(c, workdir / "two.xlsx"))
    assert table(wb["By school"])[1:] == expected_group_rows(c.by_school)
    assert table(wb["By theme"])[1:] == expected_group_rows(c.by_theme)
    labels = [r[0] for r in table(wb["By school"])[1:-1]]
    assert any(s.startswith("Scottish Borders: ") for s in labels)
    assert any(s.startswith("Riverside Careers Hub: ") for s in labels)
    assert [r[0] for r in rows(wb["Overview"], 19, 20)] == ["Scottish Borders", "Riverside Careers Hub"]
    assert table(wb["Trend"])[0] == ("School", "Nov 2026", "Change")
    assert table(wb["Findings"])[1:] == [(n, f.sheet, f.cell or None, f.row_id, f.rule, f.severity, f.message)
                                         for n, f in c.findings]
    assert "Riverside Careers Hub" in report_html(c)


def test_nothing_to_report(workdir: Path) -> None:
    c = consolidate([], MONTH)
    wb = load_workbook(write_report_xlsx(c, workdir / "empty.xlsx"))
    assert wb.sheetnames == list(SHEETS)
    assert wb["Overview"]["A4"].value.startswith("No schools were found")
    assert table(wb["By school"]) == [("School", *GROUP_HEADERS), ("All", 0, 0, 0, 0, 0, None)]
    assert rows(wb["Findings"], 2, 2) == [("No findings: every workbook passed validation.",) + (None,) * 6]
    page = report_html(c)
    assert all(f'<section id="{sid}">' in page for sid, _ in SECTIONS)


def test_unreadable_workbook_is_reported(workdir: Path) -> None:
    bad = workdir / "broken.xlsx"
    bad.write_bytes(b"not a workbook")
    c = consolidate(read_areas([("broken.xlsx", bad)], MONTH, TODAY), MONTH)
    wb = load_workbook(write_report_xlsx(c, workdir / "broken-report.xlsx"))
    status = rows(wb["Overview"], 19, 19)[0]
    assert status[1] == "broken.xlsx" and str(status[4]).startswith("could not be read")
    assert "1 workbook could not be read: broken.xlsx." in wb["Overview"]["A4"].value
    assert table(wb["Findings"])[1][4:6] == ("unreadable", "error")
