"""The month-end report on the demo's three months (October to December 2026): what the board reads.
(The demo's programme manager adds the WAGJLL rows W01-W03 before October: their Reds count too.)

Checked against exact rows of the demo (tomsync.demo): Kelso's two Reds, Jedburgh's opt-outs and its
M01 slip, Eyemouth's overdue M01, evidence counts recounted from the archived workbook, and the HTML
printed by headless Chromium (skipped when Chromium is absent).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from sync.consolidate import Consolidated
from tomsync.demo.run import DemoResult, run_demo

TODAY = date(2026, 12, 2)
TIMETABLE = "Not started: timetable clash; escalated to the depute head, new date being agreed."


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"), today=TODAY)


@pytest.fixture(scope="module")
def c(demo: DemoResult) -> Consolidated:
    assert demo.months == ["2026-10", "2026-11", "2026-12"]
    result = demo.cycles[-1].consolidated
    assert result is not None
    return result


@pytest.fixture(scope="module")
def wb(demo: DemoResult) -> Workbook:
    return load_workbook(demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.xlsx")


@pytest.fixture(scope="module")
def page(demo: DemoResult) -> str:
    return (demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.html").read_text(encoding="utf-8")


def sheet_rows(wb: Workbook, name: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in wb[name].iter_rows(min_row=2, values_only=True)]


def test_rows_are_archived_beside_the_rollup(demo: DemoResult) -> None:
    for month in demo.months:
        saved = json.loads((demo.workdir / "archive" / month / "rows.json").read_text(encoding="utf-8"))
        assert saved["month"] == month
        kelso = {r["id"] for r in saved["rows"] if r["school"] == "Kelso High"}
        assert {"M01", "M12", "KEL-01"} <= kelso


def test_exceptions_list_kelsos_two_reds_with_their_notes(wb: Workbook, page: str) -> None:
    reds = [r for r in sheet_rows(wb, "Exceptions") if r[1] == "Kelso High" and r[5] == "R"]
    assert [r[2] for r in reds if r[2].startswith("W")] == ["W03"]  # the demo's WAGJLL rows are reported too
    rows = [r for r in reds if r[2].startswith("M")]  # the two minimum expectations
    assert [(r[0], r[2], r[7], r[9]) for r in rows] == [
        ("New Red", "M06", TIMETABLE, "Dec 2026"), ("New Red", "M07", TIMETABLE, "Dec 2026")]
    assert rows[0][3] == "Foundation Apprenticeship operational calendar shared with pupils and parents"
    assert rows[0][4] == "DYW" and rows[0][6] == "not rated (Not started)"
    assert page.count('<tr class="new"><td>New Red</td><td>Kelso High</td><td>M06</td>') == 1
    assert TIMETABLE in page


def test_a_long_red_says_since_when(wb: Workbook) -> None:
    hawick = [r for r in sheet_rows(wb, "Exceptions") if r[1] == "Hawick High" and r[2] == "M04"]
    assert [(r[0], r[5], r[9]) for r in hawick] == [("Red", "R", "Oct 2026")]


def test_jedburghs_m01_slip_and_opted_out_reds_are_exceptions(wb: Workbook) -> None:
    jed = {r[2]: r for r in sheet_rows(wb, "Exceptions") if r[1] == "Jedburgh Grammar"}
    assert (jed["M01"][0], jed["M01"][5], jed["M01"][6]) == ("Slipped", "A", "G (In progress)")
    assert (jed["M08"][0], jed["M08"][6]) == ("Now not applicable", "R (In progress)")
    assert {"M09", "M10"} <= set(jed)


def test_jedburghs_opt_outs_are_listed_and_are_errors(wb: Workbook, c: Consolidated) -> None:
    outs = [(r[0], r[1], r[4]) for r in sheet_rows(wb, "Opt-outs")]
    no = "No: an error (a minimum expectation)"
    assert outs == [("Eyemouth High", "M08", no), ("Hawick High", "M10", no), ("Jedburgh Grammar", "M08", no),
                    ("Jedburgh Grammar", "M09", no), ("Jedburgh Grammar", "M10", no)]
    found = {(f.sheet, f.row_id): f.severity for _, f in c.findings if f.rule == "opt-out"}
    assert found[("Jedburgh Grammar", "M08")] == found[("Jedburgh Grammar", "M10")] == "error"
    assert len(found) == 5


def test_eyemouths_m01_is_overdue(wb: Workbook, c: Consolidated) -> None:
    overdue = {(r[0], r[1]): r for r in sheet_rows(wb, "Overdue")}
    row = overdue[("Eyemouth High", "M01")]
    assert row[4] == "In progress" and row[6] == "due by 31/08/2026 ('31 August') and still In progress"
    assert ("Galashiels Academy", "M10") in overdue  # "by end of September", In progress, rated G
    assert any(f.rule == "overdue" and (f.sheet, f.row_id) == ("Eyemouth High", "M01") for _, f in c.findings)


def test_evidence_counts_match_the_rows(wb: Workbook, demo: DemoResult) -> None:
    book = load_workbook(demo.workdir / "archive" / "2026-12" / "scottish-borders-tom.xlsx", read_only=True)
    expected = {}
    for name, (complete, missing, _pct) in {r[0]: r[1:] for r in sheet_rows(wb, "Evidence")}.items():
        if name == "All":
            continue
        rows = [r for r in book[str(name)].iter_rows(min_row=2, values_only=True) if r[0]]
        done = [r for r in rows if r[7] == "Complete"]
        expected[name] = (len(done), sum(1 for r in done if not r[10]))
        assert (complete, missing) == expected[name], name
    total = next(r for r in sheet_rows(wb, "Evidence") if r[0] == "All")
    assert total[1:3] == (sum(v[0] for v in expected.values()), sum(v[1] for v in expected.values()))
    assert total[2] == 6  # the six Complete rows without a link


def test_red_caps_hold_kelso_at_amber(c: Consolidated, wb: Workbook) -> None:
    kelso = next(g for g in c.by_school.groups if g.key["school"] == "Kelso High")
    assert kelso.R == 3 and kelso.rag == "A" and "Kelso High" in c.capped  # 2 minimum Reds, 1 WAGJLL
    board = {r[0]: r for r in sheet_rows(wb, "Board") if r and r[0] == "Kelso High"}
    assert board["Kelso High"][3] == "A" and board["Kelso High"][4] == "R 3 · A 0 · G 11"


def test_board_sheet_fits_one_page_and_says_it_all(wb: Workbook, c: Consolidated) -> None:
    ws = wb["Board"]
    assert ws.page_setup.fitToHeight == 1 and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.orientation == "landscape"
    text = ws["A2"].value
    assert text.startswith("December 2026: of 9 schools,") and "9 Red rows (7 new)" in text
    assert "5 master opt-outs (5 not allowed)" in text and "1 school not updated" in text
    figures = {r[0]: r[1] for r in sheet_rows(wb, "Board") if r[0]}
    assert figures["Overdue rows"] == len([f for _, f in c.findings if f.rule == "overdue"])
    assert ws["B4"].alignment.horizontal == "right"  # headers sit over their numbers


def _pdf(html: Path, out: Path) -> int:
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None or shutil.which("pdftotext") is None:
        pytest.skip("headless Chromium or pdftotext is not installed")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", html.as_uri()], check=True, capture_output=True, timeout=120)
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _page_text(pdf: Path, n: int) -> list[str]:
    out = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_printed_board_is_one_page_and_no_page_holds_only_a_heading(demo: DemoResult, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pages = _pdf(demo.workdir / "reports" / "2026-12" / "tom-report-2026-12.html", pdf)
    first = _page_text(pdf, 1)
    assert first[0] == "TOM monthly report — December 2026" and "Board summary" in first
    assert any(line.startswith("Selkirk High") for line in first)  # the last school of the trend
    assert "Overview" not in first  # the board ends on page 1; the Overview starts page 2
    assert _page_text(pdf, 2)[0] == "Overview"
    for n in range(1, pages + 1):
        assert len(_page_text(pdf, n)) > 3, f"page {n} is nearly empty"


def test_report_school_writes_one_page_per_school(demo: DemoResult, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tomsync.cli import app

    result = CliRunner().invoke(app, ["report", "school", "kelso", "--month", "2026-12",
                                      "--workdir", str(demo.workdir)])
    assert result.exit_code == 0, result.output
    html = demo.workdir / "reports" / "2026-12" / "school-kelso-high-2026-12.html"
    text = html.read_text(encoding="utf-8")
    assert "Kelso High, December 2026: overall A (R 3 · A 0 · G 11, 3 not rated)" in text
    assert text.count(TIMETABLE) >= 2 and "Jedburgh" not in text
    book = load_workbook(html.with_suffix(".xlsx"))
    ws = book["School"]
    assert ws["A1"].value == "Kelso High — TOM report, December 2026"
    assert ws.page_setup.fitToHeight == 1 and ws.page_setup.orientation == "landscape"
    ids = [r[0] for r in ws.iter_rows(min_row=8, values_only=True) if r[0]]
    assert ids[:2] == ["M01", "M02"] and "KEL-01" in ids
    missing = CliRunner().invoke(app, ["report", "school", "Nowhere", "--month", "2026-12",
                                       "--workdir", str(demo.workdir)])
    assert missing.exit_code == 2
    if shutil.which("chromium") and shutil.which("pdfinfo"):
        assert _pdf(html, tmp_path / "kelso.pdf") == 1


def test_by_tier_names_each_tier_in_words_and_its_rows_add_up(wb: Workbook, c: Consolidated) -> None:
    """The demo's three WAGJLL rows on 9 schools: the page says what each tier is, and the rows of
    the tiers add up to the All line (the rollup itself keeps the spec's values)."""
    rows = sheet_rows(wb, "By tier")
    names = [r[0] for r in rows if r[0]]
    assert names == ["Minimum expectations", "WAGJLL (what a good job looks like)", "Schools' own rows",
                     "All"]
    by = {r[0]: r for r in rows if r[0]}
    assert sum(by[n][5] for n in names[:3]) == by["All"][5]  # type: ignore[misc]
    assert by["WAGJLL (what a good job looks like)"][5] == 3 * 9
    assert c.by_tier is not None and [g.key["tier"] for g in c.by_tier.groups] == ["minimum", "wagjll", "own"]
