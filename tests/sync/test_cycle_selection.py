"""Which workbooks the cycle consolidates is explicit (issue 9): a stale copy is never added in, and
every file the cycle skips is named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sync.cycle import Selection, drop_copies, run_cycle, select_workbooks
from sync.memory import MemoryLibrary
from tomsync.cli import app
from tomsync.demo.run import staff_update
from workbook_templates.spec import load_spec

MONTH, TODAY = "2026-11", date(2026, 11, 28)


@pytest.fixture
def library_with_a_copy() -> MemoryLibrary:
    library = MemoryLibrary()
    staff_update(library, load_spec("scottish-tom"), "borders.xlsx", MONTH, date(2026, 11, 20), 1)
    library.put("borders - Copy.xlsx", library.files["borders.xlsx"])  # Explorer's copy, left behind
    library.put("old/borders.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old workbook")
    library.put("schools.csv", b"school,rag\nHawick,G\n")
    return library


def hawick(result):
    return next(g for g in result.consolidated.by_school.groups if g.key["school"] == "Hawick High")


def test_a_copy_of_an_area_is_named_and_not_added_in(tmp_path: Path, library_with_a_copy) -> None:
    alone = MemoryLibrary.with_files({"borders.xlsx": library_with_a_copy.files["borders.xlsx"]})
    expected = hawick(run_cycle(tmp_path / "alone", alone, MONTH, TODAY))
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "~$plan.xlsx").write_bytes(b"owner file")  # left by Excel
    result = run_cycle(tmp_path / "work", library_with_a_copy, MONTH, TODAY)
    got = hawick(result)
    assert (got.R, got.A, got.G, got.unrated, got.rag) == (expected.R, expected.A, expected.G,
                                                           expected.unrated, expected.rag)
    c = result.consolidated
    assert [a.name for a in c.areas] == ["borders.xlsx"]
    labels = [s for s, _ in c.not_updated]
    assert len(labels) == len(set(labels))  # no school listed twice, and no "Area: School" labels
    assert all(": " not in s for s in labels)
    skipped = dict(result.skipped)
    assert skipped["borders - Copy.xlsx"].startswith("the same area as borders.xlsx (same spec and master)")
    assert skipped["old/borders.xls"].startswith("an old .xls workbook")
    assert skipped["schools.csv"] == "a CSV file, not a TOM workbook"
    assert skipped["~$plan.xlsx"].startswith("an Excel owner file")
    assert c.skipped == result.skipped
    assert "archive/2026-11/borders - Copy.xlsx" not in library_with_a_copy.files


def test_the_report_names_the_skipped_files(tmp_path: Path, library_with_a_copy) -> None:
    from sync.report import summary_text

    result = run_cycle(tmp_path / "work", library_with_a_copy, MONTH, TODAY)
    text = summary_text(result.consolidated)
    assert "3 files not consolidated: old/borders.xls (an old .xls workbook" in text
    assert "borders - Copy.xlsx (the same area as" in text


def test_the_listed_workbook_wins_over_the_original_name(tmp_path: Path, library_with_a_copy) -> None:
    result = run_cycle(tmp_path / "work", library_with_a_copy, MONTH, TODAY,
                       selection=Selection(("borders - Copy.xlsx",)))
    assert [a.name for a in result.consolidated.areas] == ["borders - Copy.xlsx"]
    assert dict(result.skipped)["borders.xlsx"] == "not listed in [cycle] workbooks"


def test_selection_from_the_config() -> None:
    names = ["borders.xlsx", "borders (1).xlsx", "archive/2026-10/borders.xlsx", "reports/x.html",
             "area/fife.xlsx", "notes.txt", "borders.theirs.xlsx"]
    assert select_workbooks(names) == (
        ["area/fife.xlsx", "borders (1).xlsx", "borders.xlsx"], [("notes.txt", "not a workbook")])
    chosen, skipped = select_workbooks(names, Selection.from_settings({"pattern": "area/*.xlsx"}))
    assert chosen == ["area/fife.xlsx"]
    assert ("borders.xlsx", "does not match [cycle] pattern 'area/*.xlsx'") in skipped
    chosen, skipped = select_workbooks(names, Selection.from_settings({"workbooks": ["borders.xlsx",
                                                                                    "gone.xlsx"]}))
    assert chosen == ["borders.xlsx"]
    assert skipped[0] == ("gone.xlsx", "listed in [cycle] workbooks but not in the library")
    with pytest.raises(ValueError, match=r"\[cycle\] workbook: unknown key"):
        Selection.from_settings({"workbook": ["a.xlsx"]})
    with pytest.raises(ValueError, match="not both"):
        Selection.from_settings({"workbooks": ["a.xlsx"], "pattern": "*.xlsx"})


def test_copy_names_lose_to_the_original(library_with_a_copy) -> None:
    from sync.consolidate import AreaResult

    def area(name: str) -> AreaResult:
        return AreaResult(name, "A", "T", [], [], [], [], [], {}, identity="same")

    for copy in ("borders - Copy.xlsx", "borders (1).xlsx", "Copy of borders.xlsx", "borders-LAPTOP-7.xlsx"):
        kept, dropped = drop_copies([area(copy), area("borders.xlsx")])
        assert [a.name for a in kept] == ["borders.xlsx"] and dropped[0][0] == copy


def test_the_cli_names_skipped_files_and_reads_the_config(tmp_path: Path, library_with_a_copy) -> None:
    folder = tmp_path / "library"
    for name, data in library_with_a_copy.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    work = tmp_path / "work"
    work.mkdir()
    (work / "tomsync.toml").write_text(f'[library]\nfolder = "{folder.as_posix()}"\n\n'
                                       '[cycle]\nworkbooks = ["borders.xlsx"]\n')
    result = CliRunner().invoke(app, ["cycle", "--month", MONTH, "-C", str(work)])
    assert result.exit_code == 0, result.output
    assert "tomsync: skipped borders - Copy.xlsx: not listed in [cycle] workbooks" in result.stderr
    assert "tomsync: skipped old/borders.xls: an old .xls workbook" in result.stderr
    (work / "tomsync.toml").write_text(f'[library]\nfolder = "{folder.as_posix()}"\n\n'
                                       '[limits]\nmax_rows = -1\n')
    result = CliRunner().invoke(app, ["cycle", "--month", MONTH, "-C", str(work)])
    assert result.exit_code == 2
    assert "limit max_rows must be more than 0" in result.stderr


def test_a_workbook_over_the_limits_is_named_and_the_cycle_carries_on(tmp_path: Path,
                                                                       scottish_bomb: bytes) -> None:
    library = MemoryLibrary()
    staff_update(library, load_spec("scottish-tom"), "borders.xlsx", MONTH, date(2026, 11, 20), 1)
    library.put("fife.xlsx", scottish_bomb)
    result = run_cycle(tmp_path / "work", library, MONTH, TODAY)
    assert [name for name, _ in result.unreadable] == ["fife.xlsx"]
    assert "inflates" in result.unreadable[0][1] and "over the limit" in result.unreadable[0][1]
    assert "Scottish Borders: Hawick High" in [g.key["school"] for g in result.consolidated.by_school.groups]


@pytest.fixture
def scottish_bomb(tmp_path: Path, template_bytes: bytes) -> bytes:
    from tests.workbook_templates.test_limits import bomb

    (tmp_path / "t.xlsx").write_bytes(template_bytes)
    return bomb(tmp_path / "t.xlsx", tmp_path / "bomb.xlsx", megabytes=20).read_bytes()


def test_after_a_new_session_the_month_is_read_from_its_own_years_workbook(tmp_path: Path) -> None:
    """`tomsync session new borders.xlsx -o borders-2027-28.xlsx` in a working copy leaves both files
    there; a month of 2026/27 (a late cycle, a reminder) reads the old one only, not the area twice."""
    from sync.remind import find_reminders

    library = MemoryLibrary()
    staff_update(library, load_spec("scottish-tom"), "borders.xlsx", MONTH, date(2026, 11, 20), 1)
    work = tmp_path / "work"
    before = run_cycle(work, library, MONTH, TODAY)
    reminded = sorted(r.school.id for r in find_reminders(work, MONTH, TODAY)[0])
    run = CliRunner().invoke(app, ["session", "new", str(work / "borders.xlsx"), "--label", "2027/28",
                                   "-o", str(work / "borders-2027-28.xlsx")])
    assert run.exit_code == 0, run.output
    assert (work / "borders-2027-28.xlsx").is_file() and (work / "borders.xlsx").is_file()

    again = run_cycle(work, library, MONTH, TODAY)
    assert again.consolidated is not None and before.consolidated is not None
    assert again.consolidated.by_school.as_dict() == before.consolidated.by_school.as_dict()
    assert [n for n, why in again.skipped if "session 2027/28 does not include 2026-11" in why] == \
        ["borders-2027-28.xlsx"]
    reminders, _ = find_reminders(work, MONTH, TODAY)
    assert sorted(r.school.id for r in reminders) == reminded
    assert {r.workbook for r in reminders} == {"borders.xlsx"}
    august = [r.workbook for r in find_reminders(work, "2027-08", date(2027, 8, 30))[0]]
    assert august and set(august) == {"borders-2027-28.xlsx"}  # the new year reads the new workbook
