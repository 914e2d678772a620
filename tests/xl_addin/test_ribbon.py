"""The ribbon macros end to end on real .xlsx files, through the openpyxl surface (as the CLI runs them)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.xl_addin.conftest import MONTH, TODAY
from workbook_templates.reader import WorkbookReadError, read_workbook
from workbook_templates.rollup import rollup_workbook
from workbook_templates.template import RAG_FILLS
from workbook_templates.validate import validate
from xl_addin import ribbon
from xl_addin.grids import workbook_data
from xl_addin.ribbon import (
    ERROR_FILL,
    ISSUE_HEADERS,
    ISSUES,
    SYNC_NOT_CONFIGURED,
    WARNING_FILL,
    annotate_file,
    new_month,
    pull,
    push,
    roll_up,
    roll_up_file,
    validate_workbook,
    write_summary,
)
from xl_addin.surface import OpenpyxlSurface

# The demo's deliberate mistakes (workbook_templates.demo._mistake) and where validation puts them.
MISTAKES = {
    ("Hawick High", "J5"): ("red-without-note", ERROR_FILL),
    ("Kelso High", "I5"): ("rag-missing", ERROR_FILL),
    ("Eyemouth High", "J5"): ("personal-data", WARNING_FILL),
    ("Selkirk High", "J5"): ("formula-injection", WARNING_FILL),
    ("Jedburgh Grammar", "C2"): ("master-text-changed", ERROR_FILL),
    ("Peebles High", "A15"): ("duplicate-id", ERROR_FILL),
    ("Galashiels Academy", "L14"): ("future-date", ERROR_FILL),
    ("Peebles High", "L14"): ("stale", WARNING_FILL),  # the school that did not update this month
}


def rgb(cell: object) -> str | None:
    fill = cell.fill  # type: ignore[attr-defined]
    if fill is None or fill.fill_type is None:
        return None
    return str(fill.fgColor.rgb)[-6:]


def filled_cells(path: Path, colours: set[str]) -> set[tuple[str, str]]:
    wb = load_workbook(path)
    out = set()
    for ws in wb.worksheets:
        if ws.title == ISSUES:
            continue
        for row in ws.iter_rows():
            for c in row:
                if rgb(c) in colours:
                    out.add((ws.title, c.coordinate))
    return out


def formats(path: Path) -> dict[str, tuple[int, int, bool, str | None]]:
    """Per sheet: conditional formatting rules, data validations, protection and its password hash."""
    wb = load_workbook(path)
    return {ws.title: (sum(len(r.rules) for r in ws.conditional_formatting),
                       len(ws.data_validations.dataValidation), bool(ws.protection.sheet),
                       ws.protection.password) for ws in wb.worksheets if ws.title != ISSUES}


# -- Validate -------------------------------------------------------------------------------------

def test_validate_through_the_surface_finds_what_the_reader_finds(demo: Path, gatsby: Path) -> None:
    for path in (demo, gatsby):
        assert validate(workbook_data(OpenpyxlSurface(path)), MONTH, TODAY) == \
            validate(read_workbook(path), MONTH, TODAY)
        assert rollup_workbook(workbook_data(OpenpyxlSurface(path)), ["theme"]).as_dict() == \
            rollup_workbook(read_workbook(path), ["theme"]).as_dict()


def test_validate_lists_every_finding_on_the_issues_tab_with_links(demo: Path) -> None:
    findings = annotate_file(demo, MONTH, TODAY)
    assert findings == validate(read_workbook(demo), MONTH, TODAY)
    assert {(f.sheet, f.cell): f.rule for f in findings} == {k: v[0] for k, v in MISTAKES.items()}
    ws = load_workbook(demo)[ISSUES]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ISSUE_HEADERS
    assert [list(r) for r in rows[1:]] == [[f.sheet, f.cell, f.row_id, f.rule, f.severity, f.message]
                                           for f in findings]
    for i, f in enumerate(findings, start=2):
        link = ws[f"B{i}"].hyperlink
        assert link is not None and link.location == f"'{f.sheet}'!{f.cell}"
        assert not link.target  # an internal location, not a file or web address


def test_validate_marks_exactly_the_cells_of_the_mistakes(demo: Path) -> None:
    annotate_file(demo, MONTH, TODAY)
    wb = load_workbook(demo)
    for (sheet, cell), (_rule, colour) in MISTAKES.items():
        c = wb[sheet][cell]
        assert rgb(c) == colour, (sheet, cell)
        assert c.comment is not None and c.comment.text.startswith("tomsync: ")
    assert filled_cells(demo, {ERROR_FILL, WARNING_FILL}) == set(MISTAKES)
    note = wb["Hawick High"]["J5"].comment.text
    assert "rated R with no Progress notes" in note


def test_rerun_clears_old_marks_and_restores_the_template_fill(demo: Path) -> None:
    annotate_file(demo, MONTH, TODAY)
    wb = load_workbook(demo)
    wb["Hawick High"]["J5"] = "Off track: staff absence; catch-up agreed for December."
    wb["Jedburgh Grammar"]["C2"] = read_workbook(demo).spec.master[0]["Activity"]
    wb.save(demo)
    findings = annotate_file(demo, MONTH, TODAY)
    assert ("Hawick High", "J5") not in {(f.sheet, f.cell) for f in findings}
    wb = load_workbook(demo)
    assert rgb(wb["Hawick High"]["J5"]) is None and wb["Hawick High"]["J5"].comment is None
    assert rgb(wb["Jedburgh Grammar"]["C2"]) == "F2F2F2"  # the grey of locked master wording
    assert wb["Jedburgh Grammar"]["C2"].comment is None
    assert rgb(wb["Kelso High"]["I5"]) == ERROR_FILL  # still wrong, still marked
    assert filled_cells(demo, {ERROR_FILL, WARNING_FILL}) == set(MISTAKES) - {
        ("Hawick High", "J5"), ("Jedburgh Grammar", "C2")}
    assert wb[ISSUES].max_row == len(findings) + 1


def test_rerunning_changes_nothing_but_the_issues_tab(demo: Path) -> None:
    annotate_file(demo, MONTH, TODAY)
    first = filled_cells(demo, {ERROR_FILL, WARNING_FILL, "F2F2F2", "1F4E79"})
    annotate_file(demo, MONTH, TODAY)
    assert filled_cells(demo, {ERROR_FILL, WARNING_FILL, "F2F2F2", "1F4E79"}) == first
    assert load_workbook(demo).sheetnames.count(ISSUES) == 1


def test_a_mark_on_a_header_cell_gets_the_header_blue_back(demo: Path) -> None:
    wb = load_workbook(demo)
    for r in range(2, 60):
        wb["Kelso High"][f"L{r}"] = None  # nobody ever updated the tab: stale, at the header cell
    wb.save(demo)
    findings = annotate_file(demo, MONTH, TODAY)
    assert any(f.sheet == "Kelso High" and f.cell == "L1" and f.rule == "stale" for f in findings)
    assert rgb(load_workbook(demo)["Kelso High"]["L1"]) == WARNING_FILL
    annotate_file(demo, None, TODAY)  # no month (and no cycle): no stale check, the mark goes
    assert rgb(load_workbook(demo)["Kelso High"]["L1"]) == "1F4E79"


def test_validate_keeps_conditional_formatting_validation_and_protection(demo: Path) -> None:
    before = formats(demo)
    annotate_file(demo, MONTH, TODAY)
    annotate_file(demo, MONTH, TODAY)
    assert formats(demo) == before
    assert load_workbook(demo)["Hawick High"].protection.password == before["Hawick High"][3]
    assert before["Hawick High"][0] > 0 and before["Hawick High"][1] > 0 and before["Hawick High"][2]


def test_validate_button_message_and_cycle(demo: Path) -> None:
    message = validate_workbook(OpenpyxlSurface(demo), today=TODAY)
    assert message == "scottish-tom.xlsx: 5 error(s), 2 warning(s): see the Issues tab"  # no cycle: no stale
    new_month(OpenpyxlSurface(demo), MONTH)
    assert validate_workbook(OpenpyxlSurface(demo), today=TODAY).endswith("5 error(s), 3 warning(s): see the "
                                                                          "Issues tab")


def test_validate_refuses_a_workbook_that_is_not_a_tom(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(WorkbookReadError, match="no Master tab"):
        annotate_file(path)
    (tmp_path / "text.xlsx").write_text("not a workbook")
    with pytest.raises(WorkbookReadError, match="not an .xlsx"):
        annotate_file(tmp_path / "text.xlsx")
    with pytest.raises(WorkbookReadError, match="no such file"):
        annotate_file(tmp_path / "missing.xlsx")


# -- Roll up --------------------------------------------------------------------------------------

def summary_block(path: Path) -> list[tuple[object, str | None, bool | None]]:
    ws = load_workbook(path)["Summary"]
    return [(c.value, rgb(c), c.font.b) for row in ws.iter_rows(min_row=1, max_row=60, min_col=8, max_col=15)
            for c in row]


def test_roll_up_writes_the_rolled_up_tables(demo: Path) -> None:
    data = read_workbook(demo)
    results = [rollup_workbook(data, ["school"]), rollup_workbook(data, ["theme"])]
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    surface = OpenpyxlSurface(demo)
    write_summary(surface, results, when)
    surface.save()
    ws = load_workbook(demo)["Summary"]
    assert ws["H1"].value == "Rolled-up RAG (rule: score)" and ws["H1"].font.b
    assert ws["H2"].value == "Refreshed 2026-11-20 09:30 UTC by tomsync"
    assert [c.value for c in ws[4][7:13]] == ["School", "R", "A", "G", "Unrated", "RAG"]
    for offset, g in enumerate(results[0].groups, start=5):
        assert [c.value for c in ws[offset][7:13]] == [g.key["school"], g.R, g.A, g.G, g.unrated, g.rag]
        if g.rag:
            assert rgb(ws.cell(row=offset, column=13)) == RAG_FILLS[g.rag][0]
    all_row = 5 + len(results[0].groups)
    overall = results[0].overall
    assert [c.value for c in ws[all_row][7:13]] == ["All", overall.R, overall.A, overall.G, overall.unrated,
                                                     overall.rag]


def test_roll_up_refreshes_summary_and_keeps_the_rest(demo: Path) -> None:
    before = formats(demo)
    native = [[c.value for c in row] for row in load_workbook(demo)["Summary"]["A1:F30"]]
    message = roll_up(OpenpyxlSurface(demo))
    assert message.startswith("scottish-tom.xlsx: Summary refreshed (school, theme, lead); overall ")
    ws = load_workbook(demo)["Summary"]
    assert ws["H1"].value == "Rolled-up RAG (rule: score)"
    heads = [ws.cell(row=r, column=8).value for r in range(1, ws.max_row + 1)]
    assert {"School", "Theme", "Lead"} <= set(heads)
    assert heads.count("All") == 3
    assert [[c.value for c in row] for row in ws["A1:F30"]] == native  # the native formulas stay
    assert formats(demo) == before  # protection (with its password hash) and validation kept


def test_roll_up_twice_leaves_no_stale_rows(demo: Path) -> None:
    roll_up(OpenpyxlSurface(demo))
    roll_up(OpenpyxlSurface(demo), by=["school"])
    ws = load_workbook(demo)["Summary"]
    heads = [ws.cell(row=r, column=8).value for r in range(1, ws.max_row + 1)]
    assert "Theme" not in heads and heads.count("All") == 1
    fills = {rgb(ws.cell(row=r, column=13)) for r in range(heads.index("All") + 3, ws.max_row + 1)}
    assert fills <= {None}


def test_roll_up_file_is_the_cli_shell(demo: Path) -> None:
    data = read_workbook(demo)
    roll_up_file(demo, [rollup_workbook(data, ["lead"], "worst")])
    ws = load_workbook(demo)["Summary"]
    assert ws["H1"].value == "Rolled-up RAG (rule: worst)" and ws["H4"].value == "Lead"


# -- New month ------------------------------------------------------------------------------------

def cycle(path: Path) -> object:
    return next(r[1] for r in load_workbook(path)["_tom"].iter_rows(values_only=True) if r[0] == "cycle")


def test_new_month_stamps_the_cycle(demo: Path) -> None:
    message = new_month(OpenpyxlSurface(demo), today=TODAY)
    assert message == ("scottish-tom.xlsx: cycle set to 2026-11; Validate now flags tabs not updated in "
                       "November 2026")
    assert cycle(demo) == "2026-11"
    assert read_workbook(demo).meta["cycle"] == "2026-11"
    assert new_month(OpenpyxlSurface(demo), "2026-12").startswith("scottish-tom.xlsx: cycle set to 2026-12 "
                                                                  "(was 2026-11)")
    assert cycle(demo) == "2026-12"
    wb = load_workbook(demo)
    assert wb["_tom"].sheet_state == "veryHidden" and wb["_tom"].protection.sheet


def test_new_month_refuses_a_bad_month(demo: Path) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        new_month(OpenpyxlSurface(demo), "November")


# -- Pull and Push --------------------------------------------------------------------------------

def test_pull_and_push_without_config_say_so(demo: Path) -> None:
    assert pull(OpenpyxlSurface(demo)) == SYNC_NOT_CONFIGURED
    assert push(OpenpyxlSurface(demo)) == SYNC_NOT_CONFIGURED
    assert "tomsync.toml" in SYNC_NOT_CONFIGURED and "README" in SYNC_NOT_CONFIGURED


def test_pull_and_push_through_a_folder_library(demo: Path, tmp_path: Path) -> None:
    library, work = tmp_path / "library", tmp_path / "work"
    library.mkdir()
    work.mkdir()
    book = work / demo.name
    shutil.move(demo, book)
    shutil.copyfile(book, library / "other-area.xlsx")
    (work / "tomsync.toml").write_text('[library]\nfolder = "../library"\n')
    assert pull(OpenpyxlSurface(book)) == "Pull: 1 file(s) changed"
    assert (work / "other-area.xlsx").is_file()
    assert push(OpenpyxlSurface(book)) == "Push: 1 file(s) changed"
    assert (library / demo.name).read_bytes() == book.read_bytes()
    assert pull(OpenpyxlSurface(book), workdir=work) == "Pull: 0 file(s) changed"


def test_a_broken_config_is_reported_in_one_line(demo: Path, tmp_path: Path) -> None:
    (tmp_path / "tomsync.toml").write_text("[library]\nfolder = 3\n")
    message = pull(OpenpyxlSurface(demo))
    assert message.startswith("Pull: ") and "\n" not in message


def test_a_sync_layer_that_cannot_import_is_reported_as_itself(demo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8: on Windows `import fcntl` failed inside sync and the buttons said "not configured"."""
    (tmp_path / "tomsync.toml").write_text('[library]\nfolder = "."\n')
    monkeypatch.setitem(__import__("sys").modules, "sync.workflow", None)  # import fails
    for button, name in ((pull, "Pull"), (push, "Push")):
        message = button(OpenpyxlSurface(demo))
        assert message != SYNC_NOT_CONFIGURED and "not configured" not in message
        assert message.startswith(f"{name} failed: ModuleNotFoundError: ") and "sync.workflow" in message
        assert "\n" not in message


def test_an_unexpected_error_names_its_class(demo: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tomsync.toml").write_text('[library]\nfolder = "."\n')

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("sheet")

    monkeypatch.setattr("sync.workflow.pull", broken)
    assert pull(OpenpyxlSurface(demo)) == "Pull failed: KeyError: 'sheet'"


def test_macros_table_names_every_button() -> None:
    assert set(ribbon.MACROS) == {"validate", "roll_up", "new_month", "pull", "push"}
