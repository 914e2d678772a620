"""A master change on a workbook in the library: pull, change, push; a school's edit meanwhile is merged
or, when it touches a retired row, is a conflict that loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.memory import MemoryLibrary
from sync.sessions import archive_session
from sync.workflow import pull, push
from workbook_templates.master_edit import add_row, retire_row
from workbook_templates.package import Package
from workbook_templates.reader import read_workbook
from workbook_templates.spec import canonical
from workbook_templates.upgrade import upgrade_file
from workbook_templates.validate import validate

NAME = "borders.xlsx"
M13 = {"ID": "M13", "Theme": "Employer engagement", "Activity": "College taster days", "Lead": "Joint"}


@pytest.fixture
def setup(tmp_path: Path, template_bytes: bytes) -> tuple[MemoryLibrary, Path, Path]:
    lib = MemoryLibrary.with_files({NAME: template_bytes})
    pm, school = tmp_path / "pm", tmp_path / "school"
    pm.mkdir()
    school.mkdir()
    assert pull(pm, lib).downloads == 1
    assert pull(school, lib).downloads == 1
    return lib, pm, school


def note(path: Path, sheet: str, rid: str) -> object:
    row = next(r for r in read_workbook(path).schools[sheet].rows if canonical(r.get("ID")) == rid)
    return row.get("Progress notes")


def school_writes(path: Path, sheet: str, ref: str, value: str) -> None:
    pkg = Package.open(path)
    pkg.set_value(sheet, ref, value)
    pkg.save()


def test_pull_change_push_reaches_every_school(setup: tuple[MemoryLibrary, Path, Path]) -> None:
    lib, pm, school = setup
    school_writes(school / NAME, "Hawick High", "J3", "Monthly update done")
    assert push(school, lib).uploads == 1
    assert pull(pm, lib).downloads == 1
    upgrade_file(pm / NAME, add_row(read_workbook(pm / NAME).spec, M13), "Pat")
    report = push(pm, lib)
    assert report.uploads == 1 and report.ok
    assert pull(school, lib).downloads == 1
    data = read_workbook(school / NAME)
    assert "M13" in data.spec.master_by_id
    assert note(school / NAME, "Hawick High", "M02") == "Monthly update done"
    assert not [f for f in validate(data) if f.rule.startswith("master")]


def test_a_school_edit_meanwhile_is_merged_into_the_change(setup: tuple[MemoryLibrary, Path, Path]) -> None:
    lib, pm, school = setup
    upgrade_file(pm / NAME, add_row(read_workbook(pm / NAME).spec, M13), "Pat")
    school_writes(school / NAME, "Kelso High", "J3", "Kelso's note, typed meanwhile")
    assert push(school, lib).uploads == 1
    report = push(pm, lib)  # the library moved on: merged, not overwritten
    assert report.ok and report.uploads == 1
    assert pull(school, lib).downloads == 1
    data = read_workbook(school / NAME)
    assert note(school / NAME, "Kelso High", "M02") == "Kelso's note, typed meanwhile"
    for s in data.spec.schools:
        assert "M13" in {canonical(r.get("ID")) for r in data.schools[s.sheet].rows}
    assert not [f for f in validate(data) if f.rule.startswith("master")]


def test_retiring_a_row_a_school_just_updated_is_a_conflict(setup: tuple[MemoryLibrary, Path, Path]) -> None:
    lib, pm, school = setup
    school_writes(school / NAME, "Hawick High", "J6", "16+ meeting attended on the 3rd")
    assert push(school, lib).uploads == 1
    before = lib.files[NAME]
    upgrade_file(pm / NAME, retire_row(read_workbook(pm / NAME).spec, "M05"), "Pat")
    report = push(pm, lib)
    assert report.conflicts, "the school's note on a row the change retires needs a person"
    assert pull(school, lib).downloads == 0  # the library still holds the school's version
    assert note(school / NAME, "Hawick High", "M05") == "16+ meeting attended on the 3rd"
    assert lib.files[NAME] == before


def test_new_session_archives_last_years_workbook_in_the_library(setup: tuple[MemoryLibrary, Path, Path]
                                                                  ) -> None:
    lib, pm, _ = setup
    archived = archive_session(pm / NAME, "2026/27")
    assert archived == pm / "archive" / "2026-27" / NAME
    report = push(pm, lib)
    assert report.ok and "archive/2026-27/borders.xlsx" in {f.name for f in lib.list()}


def test_a_row_added_by_the_upgrade_keeps_its_master_formats_through_a_merge(
        setup: tuple[MemoryLibrary, Path, Path]) -> None:
    lib, pm, school = setup
    upgrade_file(pm / NAME, add_row(read_workbook(pm / NAME).spec, M13), "Pat")
    school_writes(school / NAME, "Kelso High", "J3", "Kelso's note, typed meanwhile")
    assert push(school, lib).uploads == 1
    report = push(pm, lib)  # merged onto the school's version
    assert report.ok and report.uploads == 1
    assert pull(school, lib).downloads == 1
    data = read_workbook(school / NAME)
    pkg = Package.open(school / NAME)
    for s in data.spec.schools:  # the edited tab and the others: locked grey wording, as M01's row
        rows = {canonical(r.get("ID")): r.row for r in data.schools[s.sheet].rows}
        sheet = pkg.sheet(s.sheet)
        for letter in "ABCDEFGHIJKLM":
            assert sheet.cell(f"{letter}{rows['M13']}").get("s") == sheet.cell(f"{letter}{rows['M01']}").get(
                "s"), (s.sheet, letter)
        assert sheet.rows[rows["M13"]].get("ht") is not None  # the height the upgrade gave the row
    assert note(school / NAME, "Kelso High", "M02") == "Kelso's note, typed meanwhile"


def test_formats_are_not_carried_when_the_remote_styles_mean_something_else(
        tmp_path: Path, template_bytes: bytes) -> None:
    from sync.merge import merge_workbooks

    ours = tmp_path / "ours.xlsx"
    ours.write_bytes(template_bytes)
    upgrade_file(ours, add_row(read_workbook(ours).spec, M13), "Pat")
    theirs = Package(template_bytes)  # e.g. saved by a program that rewrote the fonts
    styles = theirs.read("xl/styles.xml").decode()
    theirs.write_part("xl/styles.xml", styles.replace('<sz val="11"/>', '<sz val="12"/>', 1).encode())
    theirs.set_value("Kelso High", "J3", "Kelso's note")
    remote = theirs.to_bytes()
    result = merge_workbooks(template_bytes, ours.read_bytes(), remote)
    assert result.merged is not None
    merged = Package(result.merged)
    before = Package(remote)
    rows = {canonical(r.get("ID")): r.row for r in read_workbook(ours).schools["Kelso High"].rows}
    assert merged.value("Kelso High", f"C{rows['M13']}") == M13["Activity"]  # the values still come
    for letter in "ABCDEFGHIJKLM":  # the formats stay the remote's (an index would mean another style)
        ref = f"{letter}{rows['M13']}"
        assert merged.sheet("Kelso High").cell(ref).get("s") == before.sheet("Kelso High").cell(ref).get("s")
