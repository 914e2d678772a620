"""`tomsync template upgrade / spec`, `master add|edit|retire|history` and `session new` on real files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w
from typer.testing import CliRunner, Result

from tests.workbook_templates.helpers import build
from tomsync import cli
from workbook_templates.reader import read_workbook
from workbook_templates.spec import canonical


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args), env={"TOMSYNC_USER": "Pat Programme"})


def said(r: Result) -> str:
    """stdout and stderr as one line (rich wraps at the terminal width)."""
    return " ".join((r.stdout + " " + r.stderr).split())


def test_master_add_edit_retire_history(tmp_path: Path) -> None:
    book = str(build("scottish-tom", tmp_path / "b.xlsx"))
    r = run("master", "add", book, "--set", "ID=M13", "--set", "Theme=Employer engagement",
            "--set", "Activity=College taster days", "--set", "Lead=Joint", "--tier", "wagjll")
    assert r.exit_code == 0, r.output
    assert "added master row M13" in said(r) and "master version 2" in said(r)
    assert run("master", "edit", book, "M03", "--set", "Target=Three sessions").exit_code == 0
    assert run("master", "retire", book, "M05", "--note", "merged into M04").exit_code == 0
    r = run("master", "retire", book, "M99")
    assert r.exit_code == 2 and "no master row 'M99'" in said(r)
    r = run("master", "history", book)
    assert r.exit_code == 0 and "Pat Programme" in said(r) and "retired master row M05" in said(r)
    assert run("validate", book).exit_code == 0
    r = run("rollup", book, "--by", "tier", "--json")
    assert r.exit_code == 0 and '"wagjll"' in r.stdout


def test_template_spec_then_upgrade_with_a_new_lead_and_school(tmp_path: Path) -> None:
    book = str(build("scottish-tom", tmp_path / "b.xlsx"))
    toml = tmp_path / "area.toml"
    assert run("template", "spec", book, "-o", str(toml)).exit_code == 0
    area = tomllib.loads(toml.read_text(encoding="utf-8"))  # the programme manager edits the spec
    next(c for c in area["columns"] if c["header"] == "Lead")["choices"].append("College")
    area["schools"].append({"id": "BCL", "name": "Borders College"})
    toml.write_text(tomli_w.dumps(area), encoding="utf-8")
    r = run("template", "upgrade", book, "--spec", str(toml), "--dry-run")
    assert r.exit_code == 0, said(r)
    assert "added school BCL" in said(r)
    assert read_workbook(book).spec.schools[-1].id == "SEL"  # a dry run writes nothing
    r = run("template", "upgrade", book, "--spec", str(toml))
    assert r.exit_code == 0, r.output
    spec = read_workbook(book).spec
    assert spec.schools[-1].sheet == "Borders College" and "College" in spec.column("lead").choices  # type: ignore[union-attr]
    assert "nothing to change" in said(run("template", "upgrade", book, "--spec", str(toml)))


def test_session_new_in_a_working_copy_archives_the_old_workbook(tmp_path: Path) -> None:
    work, plain = tmp_path / "work", tmp_path / "plain"
    (work / ".tomsync").mkdir(parents=True)
    plain.mkdir()
    book = build("scottish-tom", work / "borders.xlsx")
    r = run("session", "new", str(book), "--label", "2027/28", "-o", str(book))
    assert r.exit_code == 0, r.output
    assert (work / "archive" / "2026-27" / "borders.xlsx").is_file()
    assert read_workbook(book).spec.session == "2027/28"
    assert read_workbook(work / "archive" / "2026-27" / "borders.xlsx").spec.session == "2026/27"
    outside = build("scottish-tom", plain / "b.xlsx")
    r = run("session", "new", str(outside), "--label", "2027/28", "-o", str(outside))
    assert r.exit_code == 2 and "nothing archived it" in said(r)
    assert canonical(read_workbook(outside).spec.session) == "2026/27"


def test_a_workbook_open_in_excel_is_not_upgraded(tmp_path: Path) -> None:
    book = build("scottish-tom", tmp_path / "b.xlsx")
    (tmp_path / "~$b.xlsx").write_bytes(b"owner")
    before = book.read_bytes()
    r = run("master", "retire", str(book), "M05")
    assert r.exit_code == 2 and "open in Excel" in said(r) and "Traceback" not in r.output
    assert book.read_bytes() == before


def test_master_changes_that_would_be_lost_or_refused_say_what_to_do(tmp_path: Path) -> None:
    """A typo, a school's column, an ID already there, a partner not yet a choice: each is refused
    with one line saying what to do, and the workbook is left as it was."""
    book = str(build("scottish-tom", tmp_path / "b.xlsx"))
    before = Path(book).read_bytes()
    cases = [
        (["edit", book, "M03", "--set", "Activty=x"], "'Activty' is not a master column (no such column)"),
        (["edit", book, "M03", "--set", "Status=Complete"],
         "'Status' is not a master column (the schools fill it on their tabs)"),
        (["add", book, "--set", "ID=M01", "--set", "Activity=x"],
         "master row M01 is there already: 'tomsync master edit FILE M01 --set ...'"),
        (["add", book, "--set", "ID=M14", "--set", "Theme=Employer engagement", "--set", "Activity=Open day",
          "--set", "Lead=College"], "add it to the Lead choices first: 'tomsync template spec FILE"),
    ]
    for args, message in cases:
        r = run("master", *args)
        assert r.exit_code == 2 and message in said(r), (args, said(r))
    assert Path(book).read_bytes() == before
    r = run("master", "edit", book, "M03", "--set", "Lead=joint")  # a choice in another case is fine
    assert r.exit_code == 0, said(r)
    assert read_workbook(book).spec.master_by_id["M03"]["Lead"] == "Joint"  # spelt as the choices are
