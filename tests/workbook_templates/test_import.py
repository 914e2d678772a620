"""`tomsync import` and `tomsync spec infer` on hand-made workbooks in three styles (handmade_books)."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.workbook_templates import handmade_books as books
from tests.workbook_templates.helpers import sheet_part, zip_parts
from tomsync import cli
from workbook_templates.handmade import rag_of_colour, read_handmade
from workbook_templates.importer import REPORT_SHEET, UNMATCHED_SHEET, known_headers, plan_import
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec, loads_spec, parse_spec, shipped_spec_path
from workbook_templates.template import write_template
from workbook_templates.textvalues import read_choice, read_date, read_rag
from workbook_templates.validate import validate

SPEC = load_spec("scottish-tom")
TODAY = date(2026, 11, 20)
HAS_SOFFICE = shutil.which("soffice") is not None or shutil.which("libreoffice") is not None

STYLES: list[tuple[str, Callable[[Path], books.Expected]]] = [
    ("merged_and_coloured", books.merged_and_coloured),
    pytest.param("libreoffice_words", books.libreoffice_words,  # type: ignore[list-item]
                 marks=pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) is not installed")),
    ("school_column", books.school_column),
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, books.Expected]]:
    """Each style built once (LibreOffice takes seconds), imported by the CLI into NEW.xlsx."""
    return {}


def _build(made: dict[str, tuple[Path, books.Expected]], tmp: Path, name: str,
           maker: Callable[[Path], books.Expected]) -> tuple[Path, books.Expected]:
    if name not in made:
        folder = tmp / name
        folder.mkdir()
        path = folder / f"{name}.xlsx"
        made[name] = (path, maker(path))
    return made[name]


def run(*args: str) -> object:
    return CliRunner().invoke(cli.app, list(args))


def _rows(path: Path, sheet: str) -> dict[str, dict[str, object]]:
    """A school tab's rows by ID, as the reader types them."""
    data = read_workbook(path)
    return {str(r.get("ID")): r.values for r in data.schools[sheet].rows}


@pytest.mark.parametrize(("name", "maker"), STYLES)
def test_import_maps_each_style_and_the_new_workbook_validates(
        name: str, maker: Callable[[Path], books.Expected], made: dict[str, tuple[Path, books.Expected]],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    old, expected = _build(made, tmp_path_factory.mktemp("hand"), name, maker)
    new = old.with_name("new.xlsx")
    result = run("import", str(old), "--spec", "scottish-tom", "-o", str(new))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    plan = plan_import(read_handmade(old, known_headers(SPEC)), SPEC, str(old))
    counts = plan.counts()
    got = [counts[k] for k in ("master_rows", "own_rows", "unmatched_rows", "unmatched_cells")]
    assert got == [expected.master_rows, expected.own_rows, expected.unmatched_rows, expected.unmatched_cells]
    mapped = {t.sheet.split(" [")[-1].rstrip("]"): t.school.id for t in plan.tabs if t.school}
    assert mapped == expected.schools
    assert all(0 < r.score <= 100 for r in plan.rows if r.kind != "unmatched")
    assert f"{counts['master_rows']} row(s) on master rows" in result.output  # type: ignore[attr-defined]

    data = read_workbook(new)  # the normal template: readable, fingerprint intact
    found = validate(data, today=TODAY)
    assert not [f for f in found if f.rule in ("master-tampered", "master-row-missing", "master-text-changed",
                                               "school-tab-missing", "column-missing", "vocabulary",
                                               "not-a-date", "formula")]
    wb = load_workbook(new)
    assert {UNMATCHED_SHEET, REPORT_SHEET} <= set(wb.sheetnames)
    left = [row for row in wb[UNMATCHED_SHEET].iter_rows(min_row=4, values_only=True) if any(row)]
    assert len(left) == len(plan.leftovers)  # every cell not placed is kept, none dropped
    unmatched_rows = {(x.sheet, x.cell[1:].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for x in plan.leftovers
                      if x.why.startswith("row")}
    assert len({(s, r) for s, r in unmatched_rows}) >= expected.unmatched_rows
    report = new.with_name("new-import-report.md").read_text(encoding="utf-8")
    assert f"{expected.master_rows} row(s) mapped to master rows" in report
    for tab, sid in expected.schools.items():
        school = next(s for s in SPEC.schools if s.id == sid)
        assert f"| {tab} | {school.name} |" in report or f"[{tab}] | {school.name} |" in report


def test_merged_headers_colour_fills_spacers_and_dates_in_notes(
        made: dict[str, tuple[Path, books.Expected]], tmp_path_factory: pytest.TempPathFactory) -> None:
    old, _ = _build(made, tmp_path_factory.mktemp("hand"), "merged_and_coloured", books.merged_and_coloured)
    tables = {t.sheet: t for t in read_handmade(old, known_headers(SPEC))}
    hawick = tables["Hawick HS"]
    assert hawick.header_row == 4  # under a title, a blank row and a header merged over two rows
    assert hawick.headers[:6] == ["Ref", "Minimum expectation", "Owner", "Status", "RAG status", "Comments"]
    new = old.with_name("merged-new.xlsx")
    assert run("import", str(old), "--spec", "scottish-tom", "-o", str(new)).exit_code == 0  # type: ignore[attr-defined]
    assert not [f for f in validate(read_workbook(new), today=TODAY) if f.severity == "error"]
    rows = _rows(new, "Hawick High")
    assert [rows[i]["RAG"] for i in ("M01", "M03", "M04", "M09")] == ["G", "A", "R", "G"]  # the fills
    assert rows["M01"]["Status"] == "Complete" and rows["M04"]["Status"] == "In progress"
    assert rows["M01"]["Progress notes"] == "12/09/2025"  # a date typed in the notes stays readable text
    assert rows["M01"]["Last updated"] == date(2025, 9, 12)  # ... and is the row's Last updated
    assert rows["M03"]["Last updated"] == date(2026, 3, 3)  # "03/03/26 - two employers booked"
    assert rows["M09"]["Evidence link"] == "https://example.sharepoint.com/guidance"
    own = rows["HAW-01"]
    assert own["Activity"] == "Careers fair for S3 (Hawick HS)"
    assert own["Theme"] == "Employer engagement"  # from the section heading above it
    assert own["Lead"] == "School"
    assert "Galashiels Academy" in read_workbook(new).schools  # "Gala Academy"
    left = [row for row in load_workbook(new)[UNMATCHED_SHEET].iter_rows(min_row=4, values_only=True)]
    note = "Remember to ask the PT Guidance about the fair"
    assert ("Hawick HS", "F14", "Comments", note) in [r[:4] for r in left]
    assert any(r[0] == "Old 2019 plan" and r[3] == "Employer breakfast" for r in left)
    assert ("Kelso", "H9", None, "see the October minutes", "a column with no header") in left
    assert not any(r[0] in ("Lists", "Instructions") for r in left)  # not school data: left in the old file


@pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_words_text_dates_and_formula_text(
        made: dict[str, tuple[Path, books.Expected]], tmp_path_factory: pytest.TempPathFactory) -> None:
    old, _ = _build(made, tmp_path_factory.mktemp("hand"), "libreoffice_words", books.libreoffice_words)
    new = old.with_name("lo-new.xlsx")
    assert run("import", str(old), "--spec", "scottish-tom", "-o", str(new)).exit_code == 0  # type: ignore[attr-defined]
    rows = _rows(new, "Peebles High")
    assert rows["M01"]["Last updated"] == date(2026, 3, 3)  # "3rd March 2026"
    assert rows["M02"]["Last updated"] == date(2026, 3, 3)  # "03/03/26", day first
    assert rows["M05"]["Last updated"] == date(2026, 3, 1)  # "March 2026": its first day
    assert (rows["M01"]["RAG"], rows["M02"]["RAG"], rows["M05"]["RAG"]) == ("G", "A", "R")
    assert rows["M06"]["Status"] == "In progress" and rows["M06"]["RAG"] is None  # "Ongoing"; "Good" unread
    assert rows["PEE-01"]["Status"] == "Complete"  # "Done"
    plan = plan_import(read_handmade(old, known_headers(SPEC)), SPEC, str(old))
    mock = next(r for r in plan.rows if r.target == "PEE-01")  # near a master row: worth a look
    assert "closest master row M11" in mock.note and mock.score < 90
    # "=Updated most months" is text in the new workbook, not a formula
    ws = load_workbook(new)["Peebles High"]
    cell = ws["J3"]
    assert cell.value == "=Updated most months" and cell.data_type == "s"
    assert "<f>" not in zip_parts(new)[sheet_part(new, "Peebles High")].decode()
    kept = load_workbook(new)[UNMATCHED_SHEET].iter_rows(min_row=4, values_only=True)
    left = {(r[0], r[3], r[4]) for r in kept}
    assert ("Peebles High School", "Good", "'Good' is not a rating (R, A, G)") in left
    assert ("Selkirk", "TBC", "'TBC' is not a date with a year") in left
    # validate names what the import could not read: the unread rating and the own rows' Theme
    errors = {(f.rule, f.row_id) for f in validate(read_workbook(new), today=TODAY) if f.severity == "error"}
    assert errors == {("rag-missing", "M06"), ("required", "PEE-01"), ("required", "SEL-01")}


def test_school_column_style(made: dict[str, tuple[Path, books.Expected]],
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    old, _ = _build(made, tmp_path_factory.mktemp("hand"), "school_column", books.school_column)
    plan = plan_import(read_handmade(old, known_headers(SPEC)), SPEC, str(old))
    by_text = [r for r in plan.rows if r.kind == "master"]
    assert all(r.note.startswith("by activity text") and 75 <= r.score < 100 for r in by_text)
    assert [r.note for r in plan.rows if r.kind == "unmatched"] == [
        "school 'Coldstream Primary' is no school of the spec"]
    new = old.with_name("sc-new.xlsx")
    assert run("import", str(old), "--spec", "scottish-tom", "-o", str(new)).exit_code == 0  # type: ignore[attr-defined]
    rows = _rows(new, "Eyemouth High")
    assert rows["M03"]["Status"] == "In progress" and rows["M03"]["RAG"] == "A"
    assert rows["M11"]["Status"] == "Not started"  # "Work placements planned with local employers"
    assert rows["EYE-01"]["Activity"] == "S6 leavers' lunch with employers"


def test_import_refuses_to_overwrite_and_names_an_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "old.xlsx"
    bad.write_bytes(b"not a workbook")
    result = run("import", str(bad), "--spec", "scottish-tom", "-o", str(tmp_path / "new.xlsx"))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    out = tmp_path / "exists.xlsx"
    out.write_bytes(b"")
    assert run("import", str(bad), "--spec", "scottish-tom", "-o", str(out)).exit_code == 2  # type: ignore[attr-defined]


# -- spec infer ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "maker"), STYLES)
def test_spec_infer_drafts_a_spec_that_builds(
        name: str, maker: Callable[[Path], books.Expected], made: dict[str, tuple[Path, books.Expected]],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    old, expected = _build(made, tmp_path_factory.mktemp("hand"), name, maker)
    toml = old.with_name("my-area.toml")
    result = run("spec", "infer", str(old), "-o", str(toml))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    text = toml.read_text(encoding="utf-8")
    assert "# guessed: schools:" in text and "# guessed: session:" in text
    spec = loads_spec(text, str(toml))
    names = {s.name for s in spec.schools}
    assert set(expected.schools) <= names
    assert spec.column("rag") is not None and spec.column("activity") is not None
    assert spec.master, "rows shared by the schools become master rows"
    built = write_template(spec, old.with_name("from-draft.xlsx"))
    data = read_workbook(built)
    assert not [f for f in validate(data, today=TODAY) if f.severity == "error"]
    raw = tomllib.loads(text)
    status = next(c for c in raw["columns"] if c.get("role") == "status")
    assert status["kind"] == "choice"
    if name == "school_column":  # the Status dropdown's list, in its order
        assert status["choices"][:3] == ["Not started", "Ongoing", "Done"]
    if name == "merged_and_coloured":  # colour-only ratings make a rag column; the odd tab is left out
        assert spec.column("rag").header == "RAG status"  # type: ignore[union-attr]
        assert "Old 2019 plan" not in names and "Lists" not in names and "left out" in text
        assert len(spec.master) == 4
        assert "On hold" in status["choices"]  # the dropdown's range on the hidden Lists tab


def test_spec_infer_of_an_empty_workbook_is_one_line(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    result = run("spec", "infer", str(path), "-o", str(tmp_path / "x.toml"))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert not (tmp_path / "x.toml").exists()


# -- reading what people typed ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("3rd March 2026", date(2026, 3, 3)), ("03/03/26", date(2026, 3, 3)), ("March 2026", date(2026, 3, 1)),
    ("12/09/2025", date(2025, 9, 12)), ("Sept 2026", date(2026, 9, 1)), ("TBC", None), ("3", None),
    ("week 3", None), ("2026", None), ("2026 plan agreed", None), (46084, date(2026, 3, 3)), (12, None),
])
def test_read_date_is_day_first_and_needs_a_year(text: object, expected: date | None) -> None:
    assert read_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Green", "G"), ("amber", "A"), ("RED", "R"), ("g", "G"), ("Green - on track", "G"), ("Good", None),
    ("Blue", None),
])
def test_read_rag_words(text: str, expected: str | None) -> None:
    assert read_rag(text, ("R", "A", "G")) == expected


def test_an_own_row_near_a_master_row_is_less_sure() -> None:
    from workbook_templates.importer import own_confidence

    assert own_confidence(40) == 100 and own_confidence(59.9) == 100
    assert 5 <= own_confidence(95) < own_confidence(70) < 100


def test_rag_colours_and_status_words() -> None:
    colours = ("FFFF0000", "FFFFC000", "FF00B050", "FFFFFF00", "FFFFFFFF", "FF808080")
    assert [rag_of_colour(c) for c in colours] == ["R", "A", "G", "A", None, None]
    status = ("Not started", "In progress", "Complete", "Not applicable")
    assert read_choice("Done", status, status=True)[0] == "Complete"
    assert read_choice("N/A", status, status=True)[0] == "Not applicable"
    assert read_choice("in progress", status, status=True) == ("In progress", 100)
    assert read_choice("Maybe", status, status=True) == (None, 0)


def test_rows_past_the_free_rows_and_a_second_tab_of_one_school_are_kept(tmp_path: Path) -> None:
    from openpyxl import Workbook

    data = tomllib.loads(shipped_spec_path("scottish-tom").read_text(encoding="utf-8"))
    data["layout"]["free_rows"] = 1
    spec = parse_spec(data)
    wb = Workbook()
    wb.active.title = "Hawick HS"
    wb.active.append(["Activity", "Owner", "RAG"])
    wb.active.append(["Careers fair", "School", "Green"])
    wb.active.append(["College taster day", "School", "Amber"])
    other = wb.create_sheet("Hawick")
    other.append(["Activity", "Owner", "RAG"])
    other.append(["Employer breakfast", "DYW", "Red"])
    path = tmp_path / "old.xlsx"
    wb.save(path)
    plan = plan_import(read_handmade(path, known_headers(spec)), spec, str(path))
    tabs = {t.sheet: t for t in plan.tabs}
    winner = "Hawick HS" if tabs["Hawick HS"].school else "Hawick"  # both are equally like Hawick High
    loser = "Hawick" if winner == "Hawick HS" else "Hawick HS"
    assert tabs[winner].school is not None and tabs[winner].school.id == "HAW"
    assert tabs[loser].school is None and tabs[loser].why == "its school was taken by a tab more like it"
    own = [r for r in plan.rows if r.kind == "own"]
    assert [(r.sheet, r.target) for r in own] == [(winner, "HAW-01")]  # one free row
    unmatched = [r for r in plan.rows if r.kind == "unmatched"]
    assert len(own) + len(unmatched) == 3  # nothing dropped
    full = "no free row left on Hawick High (layout.free_rows = 1)"
    assert sum(1 for r in unmatched if r.note == full) == (1 if winner == "Hawick HS" else 0)
    written = set(plan.writes["Hawick High"].values())
    kept = {x.value for x in plan.leftovers}
    for activity in ("Careers fair", "College taster day", "Employer breakfast"):
        assert (activity in written) != (activity in kept)  # placed once, or kept once


@pytest.mark.parametrize(("name", "maker"), STYLES)
def test_infer_then_import_into_the_drafted_spec(
        name: str, maker: Callable[[Path], books.Expected], made: dict[str, tuple[Path, books.Expected]],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """An area with its own columns: draft its spec, then import into it. Every header, tab and row
    then finds its own (confidence 100) and the new workbook has no errors."""
    old, _ = _build(made, tmp_path_factory.mktemp("hand"), name, maker)
    toml = old.with_name("own-spec.toml")
    new = old.with_name("own-new.xlsx")
    assert run("spec", "infer", str(old), "-o", str(toml)).exit_code == 0  # type: ignore[attr-defined]
    result = run("import", str(old), "--spec", str(toml), "-o", str(new))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    spec = load_spec(toml)
    plan = plan_import(read_handmade(old, known_headers(spec)), spec, str(old))
    placed = [r for r in plan.rows if r.kind != "unmatched"]
    assert placed and all(r.score == 100 for r in placed)
    assert all(m.score == 100 for maps in plan.columns.values() for m in maps if m.target is not None)
    assert not [f for f in validate(read_workbook(new), today=TODAY) if f.severity == "error"]
