"""pull / push with real workbooks: two colleagues, one (in-memory) library, no lost edit."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.memory import MemoryLibrary
from sync.reconcile import Kind
from sync.state import Archive
from sync.workflow import pull, push

NAME = "borders.xlsx"


@pytest.fixture
def setup(tmp_path, template_bytes):
    lib = MemoryLibrary.with_files({NAME: template_bytes})
    a, b = tmp_path / "alice", tmp_path / "bob"
    a.mkdir()
    b.mkdir()
    assert pull(a, lib).downloads == 1
    assert pull(b, lib).downloads == 1
    return lib, a, b


def edit(path: Path, sheet: str, cell: str, value) -> None:
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def cell(where: Path | bytes, sheet: str, ref: str):
    """A cell of a working-copy file, or of a library version given as bytes."""
    source = io.BytesIO(where) if isinstance(where, bytes) else where
    return load_workbook(source)[sheet][ref].value


def test_pull_twice_downloads_nothing_the_second_time(setup):
    lib, a, _ = setup
    report = pull(a, lib)
    assert report.downloads == 0
    assert [act.kind for act, _ in report.done] == [Kind.NOTHING]


def test_push_then_pull_carries_the_edit(setup):
    lib, a, b = setup
    edit(a / NAME, "Hawick High", "J3", "Alice's note")
    report = push(a, lib)
    assert report.uploads == 1 and report.ok
    report = pull(b, lib)
    assert report.downloads == 1
    assert cell(b / NAME, "Hawick High", "J3") == "Alice's note"


def test_disjoint_edits_merge_on_push_and_keep_protection(setup):
    lib, a, b = setup
    edit(a / NAME, "Hawick High", "J3", "from Alice")
    edit(b / NAME, "Kelso High", "I4", "G")
    push(a, lib)
    report = push(b, lib)  # the library moved on since Bob pulled: merge, then push the merge
    assert report.ok and report.uploads == 1
    remote = lib.files[NAME]
    assert cell(remote, "Hawick High", "J3") == "from Alice"
    assert cell(remote, "Kelso High", "I4") == "G"
    wb = load_workbook(io.BytesIO(remote))
    assert wb["Kelso High"].protection.sheet and wb["Kelso High"].protection.password
    assert wb["Kelso High"].data_validations.dataValidation  # dropdowns survive
    assert (b / NAME).read_bytes() == remote  # Bob's copy is the merge


def test_pull_over_unpushed_edits_merges_instead_of_overwriting(setup):
    lib, a, b = setup
    edit(a / NAME, "Hawick High", "J3", "from Alice")
    push(a, lib)
    edit(b / NAME, "Kelso High", "J3", "Bob, not pushed yet")
    report = pull(b, lib)
    assert report.ok
    assert cell(b / NAME, "Hawick High", "J3") == "from Alice"
    assert cell(b / NAME, "Kelso High", "J3") == "Bob, not pushed yet"
    report = push(b, lib)  # the merged local edit goes up with If-Match on what was pulled
    assert report.uploads == 1
    assert cell(lib.files[NAME], "Kelso High", "J3") == "Bob, not pushed yet"


def test_same_cell_both_ways_is_a_conflict_nothing_pushed_both_kept(setup):
    lib, a, b = setup
    edit(a / NAME, "Hawick High", "J4", "Alice says")
    edit(b / NAME, "Hawick High", "J4", "Bob says")
    push(a, lib)
    library_before = lib.files[NAME]
    bob_before = (b / NAME).read_bytes()
    report = push(b, lib)
    assert not report.ok and report.uploads == 0
    (conflict,) = report.conflicts
    (c,) = conflict.conflicts
    assert (c.sheet, c.cell, c.row_id, c.ours, c.theirs) == ("Hawick High", "J4", "M03", "Bob says",
                                                              "Alice says")
    assert lib.files[NAME] == library_before  # nothing pushed
    assert (b / NAME).read_bytes() == bob_before  # our working copy untouched
    assert cell(b / "borders.theirs.xlsx", "Hawick High", "J4") == "Alice says"
    copy = load_workbook(b / "borders.conflicts.xlsx")
    assert "Conflicts" in copy.sheetnames
    rows = [[v for v in r] for r in copy["Conflicts"].iter_rows(values_only=True)]
    assert any("J4" in [str(v) for v in r] and "Bob says" in [str(v) for v in r] for r in rows)
    # the copies are never pushed themselves
    assert not any(f.name.endswith((".theirs.xlsx", ".conflicts.xlsx")) for f in lib.list())


def test_new_local_workbook_is_created_and_a_foreign_create_is_not_overwritten(setup, template_bytes):
    lib, a, b = setup
    (a / "new.xlsx").write_bytes(template_bytes)
    assert push(a, lib).uploads == 1
    (b / "new.xlsx").write_bytes(template_bytes)
    edit(b / "new.xlsx", "Hawick High", "J3", "a different file of the same name")
    report = push(b, lib)
    assert not report.ok
    assert lib.files["new.xlsx"] == template_bytes


def test_archive_records_the_base_for_merging(setup):
    lib, a, _ = setup
    archive = Archive(a)
    state = archive.get(NAME)
    assert state is not None
    assert archive.base_bytes(NAME) == lib.files[NAME]
    assert state.etag == lib.list()[0].etag


def test_a_file_deleted_in_the_library_is_kept_here_and_not_recreated_unless_edited(setup):
    lib, a, _ = setup
    ours = (a / NAME).read_bytes()
    lib.delete(NAME)
    report = pull(a, lib)
    (only,) = report.done
    assert only[0].kind is Kind.NOTHING and "removed from the library" in only[1]
    assert (a / NAME).read_bytes() == ours  # never deleted here
    assert push(a, lib).uploads == 0 and NAME not in lib.files  # unchanged: not recreated
    edit(a / NAME, "Hawick High", "J3", "still working on it")
    assert push(a, lib).uploads == 1 and NAME in lib.files  # edited: it comes back


def test_a_file_deleted_here_is_restored_by_pull_and_never_deleted_remotely(setup):
    lib, a, _ = setup
    (a / NAME).unlink()
    assert push(a, lib).uploads == 0 and NAME in lib.files
    report = pull(a, lib)
    assert report.downloads == 1 and (a / NAME).read_bytes() == lib.files[NAME]
    assert report.stashed == []  # nothing was replaced


def test_a_push_refused_at_the_last_moment_merges_and_pushes_again(setup):
    lib, a, _ = setup
    edit(a / NAME, "Hawick High", "J3", "from Alice")
    lib.refuse_next_upload(NAME)  # as if a colleague pushed between our listing and our upload
    report = push(a, lib)
    assert report.ok and report.uploads == 1
    assert cell(lib.files[NAME], "Hawick High", "J3") == "from Alice"
