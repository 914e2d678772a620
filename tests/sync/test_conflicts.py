"""What a person does after a conflict, and the guards around pushing and the cycle."""

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.cycle import ClosedMonth, run_cycle
from sync.folder import FolderLibrary
from sync.memory import MemoryLibrary
from sync.workflow import UnresolvedConflict, pull, push, resolve
from tomsync.cli import app
from tomsync.demo.run import staff_update
from workbook_templates.spec import load_spec, loads_spec
from workbook_templates.template import write_template

NAME = "borders.xlsx"


def edit(path: Path, sheet: str, **cells) -> None:
    wb = load_workbook(path)
    for ref, value in cells.items():
        wb[sheet][ref] = value
    wb.save(path)


def value(where: Path | bytes, sheet: str, ref: str):
    """A cell of a working-copy file, or of a library version given as bytes."""
    return book(where)[sheet][ref].value


def book(where: Path | bytes):
    return load_workbook(io.BytesIO(where) if isinstance(where, bytes) else where)


def staff(tmp_path, lib):
    a, b = tmp_path / "alice", tmp_path / "bob"
    pull(a, lib)
    pull(b, lib)
    return lib, a, b


@pytest.fixture
def two_staff(tmp_path, template_bytes):
    return staff(tmp_path, MemoryLibrary.with_files({NAME: template_bytes}))


@pytest.fixture
def two_staff_folder(tmp_path, template_bytes):
    """For the command line, which takes a folder as the library."""
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / NAME).write_bytes(template_bytes)
    return staff(tmp_path, FolderLibrary(tmp_path / "library"))


def make_conflict(lib, a, b):
    edit(a / NAME, "Hawick High", J4="Alice's note", J6="Alice elsewhere")
    push(a, lib)
    edit(b / NAME, "Hawick High", J4="Bob's note", J7="Bob elsewhere")
    report = push(b, lib)
    assert not report.ok
    return report


def test_resolving_in_the_conflict_copy_then_pushing_keeps_everyone_s_work(two_staff):
    lib, a, b = two_staff
    make_conflict(lib, a, b)
    copy = b / "borders.conflicts.xlsx"
    # the copy to resolve in: the library's version, plus Bob's edits that did not clash
    assert value(copy, "Hawick High", "J4") == "Alice's note"
    assert value(copy, "Hawick High", "J6") == "Alice elsewhere"
    assert value(copy, "Hawick High", "J7") == "Bob elsewhere"
    assert "Conflicts" in load_workbook(copy).sheetnames
    edit(copy, "Hawick High", J4="Agreed: Alice and Bob")  # the person decides
    assert "resolved" in resolve(b, NAME)
    assert not copy.exists() and not (b / "borders.theirs.xlsx").exists()
    report = push(b, lib)
    assert report.ok and report.uploads == 1
    remote = lib.files[NAME]
    assert value(remote, "Hawick High", "J4") == "Agreed: Alice and Bob"
    assert value(remote, "Hawick High", "J6") == "Alice elsewhere"
    assert value(remote, "Hawick High", "J7") == "Bob elsewhere"
    assert "Conflicts" not in book(remote).sheetnames
    assert book(remote)["Hawick High"].protection.sheet


def test_an_unresolved_conflict_blocks_push_with_a_hint(two_staff):
    lib, a, b = two_staff
    make_conflict(lib, a, b)
    before = lib.files[NAME]
    edit(b / NAME, "Hawick High", J4="Bob tries again")
    report = push(b, lib)
    assert not report.ok and report.uploads == 0
    assert "tomsync resolve borders.xlsx" in report.conflicts[0].reason
    assert lib.files[NAME] == before


def test_resolve_taking_the_library_version(two_staff):
    lib, a, b = two_staff
    make_conflict(lib, a, b)
    resolve(b, NAME, take="theirs")
    assert (b / NAME).read_bytes() == lib.files[NAME]
    assert push(b, lib).ok
    with pytest.raises(UnresolvedConflict):
        resolve(b, NAME)


def test_cli_resolve_and_the_hint(two_staff_folder):
    lib, a, b = two_staff_folder
    edit(a / NAME, "Hawick High", J4="A")
    push(a, lib)
    edit(b / NAME, "Hawick High", J4="B")
    runner = CliRunner()
    pushed = runner.invoke(app, ["push", "--workdir", str(b), "--library", str(lib.root)])
    assert pushed.exit_code == 3
    assert "tomsync resolve borders.xlsx" in " ".join(pushed.output.split())
    resolved = runner.invoke(app, ["resolve", NAME, "--workdir", str(b), "--take", "theirs"])
    assert resolved.exit_code == 0, resolved.output
    again = runner.invoke(app, ["push", "--workdir", str(b), "--library", str(lib.root)])
    assert again.exit_code == 0
    nothing = runner.invoke(app, ["resolve", NAME, "--workdir", str(b)])
    assert nothing.exit_code == 2


def test_rows_are_matched_by_the_spec_s_id_column_whatever_its_header(tmp_path):
    text = (load_spec("scottish-tom").to_toml().replace('header = "ID"', 'header = "Ref"')
            .replace('\nID = "', '\nRef = "'))
    spec = loads_spec(text)
    write_template(spec, tmp_path / NAME)
    lib = MemoryLibrary.with_files({NAME: (tmp_path / NAME).read_bytes()})
    a, b = tmp_path / "a", tmp_path / "b"
    pull(a, lib)
    pull(b, lib)
    row = len(spec.master) + 2
    edit(a / NAME, "Kelso High", **{f"A{row}": "KEL-01", f"C{row}": "Alice's activity"})
    edit(b / NAME, "Kelso High", **{f"A{row}": "KEL-02", f"C{row}": "Bob's activity"})
    push(a, lib)
    report = push(b, lib)
    assert report.ok, [c.conflicts for c in report.conflicts]
    ws = book(lib.files[NAME])["Kelso High"]
    ids = {ws.cell(row=r, column=1).value for r in range(row, row + 3)}
    assert {"KEL-01", "KEL-02"} <= ids


def test_a_truncated_workbook_is_never_pushed(two_staff_folder):
    lib, a, _ = two_staff_folder
    before = (lib.root / NAME).read_bytes()
    data = (a / NAME).read_bytes()
    (a / NAME).write_bytes(data[:2000])
    report = push(a, lib)  # issue 9: refused and named, and the push goes on (no exception)
    assert [n for n, _ in report.refused] == [NAME] and report.refused[0][1].startswith("not pushed: ")
    assert (lib.root / NAME).read_bytes() == before
    result = CliRunner().invoke(app, ["push", "--workdir", str(a), "--library", str(lib.root)])
    assert result.exit_code == 2 and "not pushed" in result.output


def test_template_build_will_not_overwrite_without_force(tmp_path):
    out = tmp_path / "t.xlsx"
    runner = CliRunner()
    assert runner.invoke(app, ["template", "build", "scottish-tom", "-o", str(out)]).exit_code == 0
    out.write_bytes(b"filled in by staff")
    refused = runner.invoke(app, ["template", "build", "scottish-tom", "-o", str(out)])
    assert refused.exit_code == 2 and out.read_bytes() == b"filled in by staff"
    assert runner.invoke(app, ["template", "build", "scottish-tom", "-o", str(out), "--force"]).exit_code == 0


# -- the cycle's guards ----------------------------------------------------------------------------

def end(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 28)


def test_cycle_stops_after_a_pull_conflict_and_writes_nothing(tmp_path):
    lib = MemoryLibrary()
    staff_update(lib, load_spec("scottish-tom"), NAME, "2026-11", end("2026-11"), 1)
    work = tmp_path / "pm"
    pull(work, lib)
    edit(work / NAME, "Kelso High", J2="programme manager's note")
    data, remote = lib.download(NAME)
    (tmp_path / "staff.xlsx").write_bytes(data)
    edit(tmp_path / "staff.xlsx", "Kelso High", J2="staff note")
    lib.upload(NAME, (tmp_path / "staff.xlsx").read_bytes(), remote.etag)
    result = run_cycle(work, lib, "2026-11", end("2026-11"))
    assert result.conflicts and result.consolidated is None
    assert not (work / "archive").exists() and not (work / "reports").exists()
    assert not any(f.name.startswith(("archive/", "reports/")) for f in lib.list())


def test_redoing_a_month_that_later_months_build_on_needs_force(tmp_path):
    lib = MemoryLibrary()
    spec = load_spec("scottish-tom")
    work = tmp_path / "pm"
    for month in ("2026-09", "2026-10"):
        staff_update(lib, spec, NAME, month, end(month), 1)
        run_cycle(work, lib, month, end(month))
    september = lib.files["archive/2026-09/rollup.json"]
    with pytest.raises(ClosedMonth, match="--force"):
        run_cycle(work, lib, "2026-09", end("2026-10"))
    assert lib.files["archive/2026-09/rollup.json"] == september
    redone = run_cycle(work, lib, "2026-09", end("2026-10"), force=True)
    assert redone.consolidated is not None


def test_unreadable_area_workbook_is_named_and_exit_1(tmp_path):
    lib = FolderLibrary(tmp_path / "library")
    (tmp_path / "library").mkdir()
    staff_update(lib, load_spec("scottish-tom"), NAME, "2026-11", end("2026-11"), 1)
    lib.upload("broken.xlsx", b"PK\x03\x04 not really a workbook", None)
    result = CliRunner().invoke(app, ["cycle", "--month", "2026-11", "--library", str(lib.root),
                                      "--workdir", str(tmp_path / "pm")])
    assert result.exit_code == 1, result.output
    assert "broken.xlsx could not be read" in result.stderr


def test_each_school_is_rated_by_its_own_area_s_rule_and_trends_survive_a_new_area(tmp_path):
    lib = MemoryLibrary()
    worst = loads_spec(load_spec("scottish-tom").to_toml().replace('rule = "score"', 'rule = "worst"')
                       .replace('area = "Scottish Borders"', 'area = "Worst Area"'))
    work = tmp_path / "pm"
    staff_update(lib, worst, "worst.xlsx", "2026-10", end("2026-10"), 1)
    october = run_cycle(work, lib, "2026-10", end("2026-10"))
    hawick_october = next(g.rag for g in october.consolidated.by_school.groups
                          if g.key["school"] == "Hawick High")
    staff_update(lib, load_spec("scottish-tom"), NAME, "2026-11", end("2026-11"), 1)
    staff_update(lib, worst, "worst.xlsx", "2026-11", end("2026-11"), 1)
    november = run_cycle(work, lib, "2026-11", end("2026-11")).consolidated
    label = "Worst Area: Hawick High"
    assert november.trend[label]["2026-10"] == hawick_october  # the trend survived the relabelling
    group = next(g for g in november.by_school.groups if g.key["school"] == label)
    expected = "R" if group.R else "A" if group.A else "G" if group.G else ""  # the worst rating
    assert group.rag == expected
