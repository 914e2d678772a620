"""The monthly cycle end to end over three months (in-memory library; the CLI test uses a folder)."""

import json
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.cycle import archived_month, report_names, run_cycle
from sync.memory import MemoryLibrary
from tomsync.cli import app
from tomsync.demo.run import run_demo, staff_update
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec

MONTHS = ["2026-09", "2026-10", "2026-11"]


@pytest.fixture(scope="module")
def three_months(tmp_path_factory):
    root = tmp_path_factory.mktemp("cycle")
    library = MemoryLibrary()
    spec = load_spec("scottish-tom")
    results = []
    for month in MONTHS:
        end = date(int(month[:4]), int(month[5:]), 28)
        staff_update(library, spec, "borders.xlsx", month, end, seed=7)
        results.append(run_cycle(root / "work", library, month, end))
    return root, library, results


def test_each_month_leaves_snapshot_summary_and_reports_in_the_library(three_months):
    root, library, results = three_months
    names = {f.name for f in library.list()}
    for month in MONTHS:
        assert f"archive/{month}/borders.xlsx" in names
        assert f"archive/{month}/rollup.json" in names
        xlsx, html = report_names(month)
        assert xlsx in names and html in names
    assert all(not r.conflicts for r in results)


def test_the_snapshot_is_the_month_s_workbook(three_months):
    root, library, _ = three_months
    snap = library.files["archive/2026-11/borders.xlsx"]
    assert snap == library.files["borders.xlsx"]
    assert snap != library.files["archive/2026-09/borders.xlsx"]


def test_trend_draws_on_earlier_months(three_months):
    root, _, results = three_months
    c = results[-1].consolidated
    assert c.months == MONTHS
    summary = json.loads((root / "work" / "archive" / "2026-10" / "rollup.json").read_text())
    for school, trend in c.trend.items():
        assert trend["2026-10"] == summary["schools"][school]
        this_month = next(g.rag for g in c.by_school.groups if g.key["school"] == school)
        assert trend["2026-11"] == this_month


def test_the_report_lists_the_school_that_did_not_update(three_months):
    root, _, results = three_months
    c = results[-1].consolidated
    assert [s for s, _ in c.not_updated] == ["Peebles High"]  # the demo's stale school
    html = (root / "work" / report_names("2026-11")[1]).read_text()
    assert "Peebles High" in html
    wb = load_workbook(root / "work" / report_names("2026-11")[0])
    assert "Not updated" in wb.sheetnames
    with zipfile.ZipFile(root / "work" / report_names("2026-11")[0]) as zf:
        assert any(n.startswith("xl/charts/") for n in zf.namelist())


def test_rerunning_a_month_changes_and_downloads_nothing(three_months):
    root, library, _ = three_months
    before = {f.name: f.etag for f in library.list()}
    library.downloads = library.uploads = 0
    again = run_cycle(root / "work", library, "2026-11", date(2026, 11, 28))
    assert again.unchanged
    assert library.downloads == 0 and library.uploads == 0
    assert {f.name: f.etag for f in library.list()} == before


def test_a_change_in_the_library_is_picked_up_by_a_rerun(tmp_path):
    library = MemoryLibrary()
    spec = load_spec("scottish-tom")
    staff_update(library, spec, "borders.xlsx", "2026-11", date(2026, 11, 20), seed=1)
    first = run_cycle(tmp_path / "work", library, "2026-11", date(2026, 11, 28))
    data, remote = library.download("borders.xlsx")
    path = tmp_path / "edit.xlsx"
    path.write_bytes(data)
    wb = load_workbook(path)
    wb["Hawick High"]["I2"] = "R"
    wb["Hawick High"]["J2"] = "Off track: staff absence"
    wb.save(path)
    library.upload("borders.xlsx", path.read_bytes(), remote.etag)
    second = run_cycle(tmp_path / "work", library, "2026-11", date(2026, 11, 28))
    assert not second.unchanged
    assert second.pulled.downloads == 1

    def hawick(c):
        return next(g for g in c.by_school.groups if g.key["school"] == "Hawick High")

    (tmp_path / "before.xlsx").write_bytes(data)
    before_rows = read_workbook(tmp_path / "before.xlsx").schools["Hawick High"].rows
    m01_was_red = next(r for r in before_rows if r.get("ID") == "M01").get("RAG") == "R"
    assert hawick(second.consolidated).R == hawick(first.consolidated).R + (0 if m01_was_red else 1)
    assert library.files["archive/2026-11/borders.xlsx"] == path.read_bytes()


def test_several_area_workbooks_give_one_consolidated_view(tmp_path):
    library = MemoryLibrary()
    staff_update(library, load_spec("scottish-tom"), "borders.xlsx", "2026-11", date(2026, 11, 20), 1)
    staff_update(library, load_spec("gatsby-plan"), "england/riverside.xlsx", "2026-11",
                 date(2026, 11, 20), 1)
    result = run_cycle(tmp_path / "work", library, "2026-11", date(2026, 11, 28))
    c = result.consolidated
    labels = [g.key["school"] for g in c.by_school.groups]
    assert "Scottish Borders: Hawick High" in labels
    assert "Riverside Careers Hub: Riverside School" in labels
    assert len(labels) == 9 + 5
    assert {a.name for a in c.areas} == {"borders.xlsx", "england/riverside.xlsx"}
    assert "archive/2026-11/england/riverside.xlsx" in {f.name for f in library.list()}
    frame = c.to_frame()  # one row per school row of both areas, told apart by the area column
    assert set(frame["area"]) == {"Scottish Borders", "Riverside Careers Hub"}
    assert set(frame["month"]) == {"2026-11"}
    assert frame[frame["area"] == "Riverside Careers Hub"]["school"].nunique() == 5
    archived = archived_month(tmp_path / "work", "2026-11")
    assert {a.name for a in archived.areas} == {"borders.xlsx", "england/riverside.xlsx"}
    assert archived.to_frame().equals(frame)


def test_the_consolidated_month_as_a_tidy_frame(three_months):
    root, _, results = three_months
    frame = results[-1].consolidated.to_frame()
    data = read_workbook(root / "work" / "archive" / MONTHS[-1] / "borders.xlsx")
    assert len(frame) == sum(len(t.rows) for t in data.schools.values())
    assert set(frame["month"]) == {MONTHS[-1]}
    assert {"id", "theme", "lead", "status", "rag", "due", "last_updated"} <= set(frame.columns)
    rated = frame.dropna(subset=["rag"])
    assert set(rated["rag"]) <= {"R", "A", "G"} and len(rated) > 0


def test_cli_export_writes_the_archived_month(three_months, tmp_path):
    root, _, results = three_months
    runner = CliRunner()
    csv_out, xlsx_out = tmp_path / "tom.csv", tmp_path / "tom.xlsx"
    for out in (csv_out, xlsx_out):
        done = runner.invoke(app, ["export", "--month", MONTHS[1], "-o", str(out), "--workdir",
                                   str(root / "work")])
        assert done.exit_code == 0, done.output
        assert f"archived for {MONTHS[1]}" in done.output
    expected = len(archived_month(root / "work", MONTHS[1]).to_frame())
    lines = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("month,area,school,school_id,sheet,row,id,theme,lead,status,rag")
    assert len(lines) == expected + 1
    assert all(line.startswith(MONTHS[1] + ",Scottish Borders,") for line in lines[1:])
    ws = load_workbook(xlsx_out)["TOM"]
    assert ws.max_row == expected + 1 and ws["A2"].value == MONTHS[1]
    never = runner.invoke(app, ["export", "--month", "2025-01", "-o", str(csv_out), "--workdir",
                                str(root / "work")])
    assert never.exit_code == 2 and "no workbooks archived for 2025-01" in never.output
    wrong = runner.invoke(app, ["export", "--month", MONTHS[1], "-o", str(tmp_path / "t.json")])
    assert wrong.exit_code == 2 and ".csv or .xlsx" in wrong.output


def test_cli_cycle_and_demo(tmp_path):
    runner = CliRunner()
    demo = runner.invoke(app, ["demo", str(tmp_path / "demo")])
    assert demo.exit_code == 0, demo.output
    assert "Not updated this month: Peebles High" in demo.output
    work = tmp_path / "demo" / "work"
    reports = sorted((work / "reports").iterdir())
    assert len(reports) == 3
    month = reports[-1].name
    again = runner.invoke(app, ["cycle", "--month", month, "--library", str(tmp_path / "demo" / "library"),
                                "--workdir", str(work)])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    bad = runner.invoke(app, ["cycle", "--month", "2026-13", "--library", str(tmp_path)])
    assert bad.exit_code == 2
    none = runner.invoke(app, ["cycle", "--month", "2026-11", "--workdir", str(tmp_path / "empty")])
    assert none.exit_code == 2
    assert "no library given" in none.output


def test_demo_refuses_a_foreign_non_empty_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(ValueError, match="not empty"):
        run_demo(tmp_path, today=date(2026, 11, 27))
    assert (tmp_path / "mine.txt").read_text() == "precious"
