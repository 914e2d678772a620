"""A merging push, the conflict copy and resolve keep everything of the workbook they do not change:
cached formula results, the chart, the threaded comment, labels, custom XML and VBA parts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.memory import MemoryLibrary
from sync.merge import CONFLICTS_SHEET, merge_workbooks
from sync.workflow import pull, push, resolve
from tests.lossless import (
    FORMULA_TAB,
    RATINGS,
    assert_kept,
    changed_cells,
    defined_names,
    rag_column,
    rich_workbook,
    sheet_part,
    zip_parts,
)
from workbook_templates.package import Package

NAME = "borders.xlsx"
TAB = "Kelso High"


@pytest.fixture
def rich_bytes(demo: Path, tmp_path: Path) -> bytes:
    return rich_workbook(demo, tmp_path / "rich.xlsx").read_bytes()


def type_in(path: Path, sheet: str, **cells: object) -> None:
    """A person's edit, saved the way Excel saves it: nothing else in the file changes."""
    pkg = Package.open(path)
    for ref, value in cells.items():
        pkg.set_value(sheet, ref, value)
    pkg.save()


def test_merge_patches_theirs_and_keeps_every_other_part(rich_bytes: bytes, tmp_path: Path) -> None:
    ours_path, theirs_path = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    ours_path.write_bytes(rich_bytes)
    theirs_path.write_bytes(rich_bytes)
    type_in(ours_path, TAB, J5="Employer talk booked")
    type_in(theirs_path, FORMULA_TAB, J4="Agreed with SDS")
    result = merge_workbooks(rich_bytes, ours_path.read_bytes(), theirs_path.read_bytes())
    assert result.ok and result.merged is not None and result.warnings == []
    part = sheet_part(rich_bytes, TAB)
    assert assert_kept(theirs_path.read_bytes(), result.merged, {part}) == {part}
    assert changed_cells(zip_parts(theirs_path)[part], zip_parts(result.merged)[part]) == {"J5"}
    assert rag_column(result.merged) == RATINGS
    assert defined_names(result.merged) == defined_names(rich_bytes)
    merged = Package(result.merged)
    assert merged.value(TAB, "J5") == "Employer talk booked"
    assert merged.value(FORMULA_TAB, "J4") == "Agreed with SDS"
    assert merged.formula(FORMULA_TAB, "I2") is not None  # formulas stay formulas


def test_a_sheet_only_we_added_goes_in_at_its_place_and_local_names_follow(rich_bytes: bytes,
                                                                          tmp_path: Path) -> None:
    ours = Package(rich_bytes)
    ours.add_sheet("Notes", index=1)
    ours.set_value("Notes", "A1", "Planning notes")
    result = merge_workbooks(rich_bytes, ours.to_bytes(), rich_bytes)
    assert result.ok and result.merged is not None
    merged = Package(result.merged)
    assert merged.sheet_names()[:3] == ["Guide", "Notes", "Summary"]
    assert merged.value("Notes", "A1") == "Planning notes"
    assert defined_names(result.merged) == defined_names(rich_bytes)  # print titles still on their tab
    assert rag_column(result.merged) == RATINGS
    load_workbook(io.BytesIO(result.merged))


def test_push_merge_conflict_copy_and_resolve_keep_the_workbook_whole(rich_bytes: bytes,
                                                                       tmp_path: Path) -> None:
    lib = MemoryLibrary.with_files({NAME: rich_bytes})
    a, b = tmp_path / "alice", tmp_path / "bob"
    pull(a, lib)
    pull(b, lib)
    type_in(a / NAME, TAB, J4="Alice's note", J6="Alice elsewhere")
    assert push(a, lib).ok
    alices = lib.download(NAME)[0]
    type_in(b / NAME, TAB, J4="Bob's note", J7="Bob elsewhere")
    report = push(b, lib)
    assert not report.ok  # J4 clashes
    copy = b / "borders.conflicts.xlsx"
    part = sheet_part(rich_bytes, TAB)
    assert_kept(alices, copy, {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                               "xl/styles.xml", "xl/worksheets/"})
    assert changed_cells(zip_parts(alices)[part], zip_parts(copy)[part]) == {"J7"}
    pkg = Package.open(copy)
    assert pkg.sheet_names()[-1] == CONFLICTS_SHEET and pkg.value(CONFLICTS_SHEET, "B2") == "J4"
    assert rag_column(copy) == RATINGS
    load_workbook(copy)

    type_in(copy, TAB, J4="Agreed: Alice and Bob")  # the person decides, in Excel
    before = copy.read_bytes()
    assert "resolved" in resolve(b, NAME)
    work = b / NAME
    assert CONFLICTS_SHEET not in Package.open(work).sheet_names()
    assert_kept(before, work, {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                               "xl/worksheets/"})
    assert zip_parts(work)[part] == zip_parts(before)[part]
    assert rag_column(work) == RATINGS and defined_names(work) == defined_names(rich_bytes)
    load_workbook(work)

    assert push(b, lib).ok
    final = lib.download(NAME)[0]
    assert Package(final).value(TAB, "J4") == "Agreed: Alice and Bob"
    assert Package(final).value(TAB, "J6") == "Alice elsewhere"
    assert Package(final).value(TAB, "J7") == "Bob elsewhere"
    assert rag_column(final) == RATINGS
    assert_kept(rich_bytes, final, {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                    "xl/styles.xml", part, "xl/worksheets/"})


def test_resolve_leaves_a_read_only_working_copy_alone(rich_bytes: bytes, tmp_path: Path) -> None:
    import os
    import stat

    from workbook_templates.package import ReadOnlyFile

    lib = MemoryLibrary.with_files({NAME: rich_bytes})
    a, b = tmp_path / "alice", tmp_path / "bob"
    pull(a, lib)
    pull(b, lib)
    type_in(a / NAME, TAB, J4="Alice's note")
    assert push(a, lib).ok
    type_in(b / NAME, TAB, J4="Bob's note")
    assert not push(b, lib).ok
    before = (b / NAME).read_bytes()
    os.chmod(b / NAME, stat.S_IREAD)
    try:
        with pytest.raises(ReadOnlyFile, match="read-only"):
            resolve(b, NAME)
        assert (b / NAME).read_bytes() == before and (b / "borders.conflicts.xlsx").exists()
    finally:
        os.chmod(b / NAME, stat.S_IREAD | stat.S_IWRITE)
    assert "resolved" in resolve(b, NAME)
