"""The `tomsync` command on real files: exit statuses, one-line errors, JSON/CSV shapes, build and demo."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.protection import hash_password
from rich.console import Console
from typer.testing import CliRunner, Result

from tests.workbook_templates.helpers import build, copy_to, fill, set_cells
from tomsync import cli
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec
from workbook_templates.template import PASSWORD_ENV, build_workbook

SCHOOLS = [s.sheet for s in load_spec("scottish-tom").schools]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.app, list(args), env=env)


def assert_one_line_error(result: Result, *expected: str) -> str:
    """Exit 2, nothing on stdout, one message on stderr starting 'tomsync: ', no traceback.

    The message is returned unwrapped: rich wraps long lines at 80 columns (a bug, tested on its own in
    test_long_error_messages_stay_on_one_line), so the text is checked whatever the wrapping.
    """
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    assert lines[0].startswith("tomsync: ")
    assert not any(line.startswith("tomsync: ") for line in lines[1:]), result.stderr  # one message
    message = " ".join(line.strip() for line in lines)
    for text in expected:
        assert text in message, message
    return message


def assert_single_line(result: Result) -> None:
    assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def clean_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("scottish-tom", tmp_path_factory.mktemp("cli") / "scottish-tom.xlsx")


@pytest.fixture
def book(clean_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy in the current directory, so messages naming it stay short."""
    monkeypatch.chdir(tmp_path)
    return Path(copy_to(clean_book, tmp_path).name)


RATED = {
    "Berwickshire High": {"H2": "Complete", "I2": "G", "I3": "G", "I4": "G", "I5": "A"},
    "Earlston High": {"I2": "G", "I3": "A", "I4": "R", "J4": "Employer withdrew; replacement sought."},
    "Eyemouth High": {"I2": "R", "J2": "Meeting moved.", "I3": "R", "J3": "No update yet.", "I4": "A"},
}


@pytest.fixture
def rated(book: Path) -> Path:
    return fill(book, RATED)


# -- files that cannot be read ------------------------------------------------------------------------

def _empty(path: Path, real: Path) -> None:
    path.write_bytes(b"")


def _text(path: Path, real: Path) -> None:
    path.write_text("ID,Activity,RAG\nM01,Agree the TOM,G\n")


def _truncated(path: Path, real: Path) -> None:
    data = real.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _plain(path: Path, real: Path) -> None:
    wb = Workbook()
    wb.active["A1"] = "just a spreadsheet"
    wb.save(path)


def _master_but_not_tomsync(path: Path, real: Path) -> None:
    wb = Workbook()
    wb.active.title = "Master"
    wb.save(path)


def _old_xls(path: Path, real: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)


def _zip_not_excel(path: Path, real: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")


BAD_FILES = {
    "empty": (_empty, "the file is empty"),
    "text": (_text, "not an .xlsx workbook"),
    "truncated": (_truncated, "corrupt or truncated"),
    "plain": (_plain, "no Master tab"),
    "not-tomsync": (_master_but_not_tomsync, "not a tomsync workbook"),
    "old-xls": (_old_xls, "encrypted"),
    "zip": (_zip_not_excel, "no xl/workbook.xml"),
}


@pytest.fixture(params=list(BAD_FILES))
def bad_file(request: pytest.FixtureRequest, clean_book: Path, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    make, reason = BAD_FILES[request.param]
    monkeypatch.chdir(tmp_path)
    name = f"{request.param}.xlsx"
    make(tmp_path / name, clean_book)
    yield name, reason


def test_validate_refuses_a_bad_file_with_one_line(bad_file: tuple[str, str]) -> None:
    name, reason = bad_file
    assert_one_line_error(run("validate", name), name, reason)
    assert_one_line_error(run("validate", name, "--json"), name, reason)


def test_rollup_refuses_a_bad_file_with_one_line(bad_file: tuple[str, str]) -> None:
    name, reason = bad_file
    before = Path(name).read_bytes()
    assert_one_line_error(run("rollup", name), name, reason)
    assert_one_line_error(run("rollup", name, "--write"), name, reason)
    assert Path(name).read_bytes() == before  # --write did not touch it


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run("validate", "nowhere.xlsx"), "nowhere.xlsx", "no such file")
    assert_one_line_error(run("rollup", "nowhere.xlsx"), "nowhere.xlsx", "no such file")


@pytest.mark.parametrize("make", [_truncated])
def test_the_real_command_prints_no_traceback(make: Any, clean_book: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    make(bad, clean_book)
    for command in ("validate", "rollup"):
        proc = subprocess.run([sys.executable, "-m", "tomsync.cli", command, "bad.xlsx"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "COLUMNS": "200"})
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert len(proc.stderr.splitlines()) == 1 and "bad.xlsx" in proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("make", [_empty, _text, _plain])
def test_short_error_messages_are_exactly_one_line(make: Any, clean_book: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path / "f.xlsx", clean_book)
    for command in ("validate", "rollup"):
        result = run(command, "f.xlsx")
        assert_one_line_error(result, "f.xlsx")
        assert_single_line(result)


@pytest.mark.parametrize("case", ["long-path", "old-xls", "not-tomsync", "bad-spec"])
def test_long_error_messages_stay_on_one_line(case: str, clean_book: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if case == "long-path":
        deep = tmp_path / "Careers Hub shared documents" / "Target Operating Model 2026-27" / "returned"
        deep.mkdir(parents=True)
        bad = deep / "Berwickshire High TOM (copy).xlsx"
        bad.write_text("not a workbook")
        result = run("validate", str(bad))
    elif case == "old-xls":  # even a short relative name: the reason itself is long
        _old_xls(tmp_path / "t.xlsx", clean_book)
        result = run("validate", "t.xlsx")
    elif case == "not-tomsync":
        _master_but_not_tomsync(tmp_path / "m.xlsx", clean_book)
        result = run("rollup", "m.xlsx")
    else:
        Path("s.toml").write_text("this is = = not toml")
        result = run("template", "build", "s.toml", "-o", "X.xlsx")
    assert_one_line_error(result)
    assert_single_line(result)


# -- validate ----------------------------------------------------------------------------------------

def test_validate_a_clean_workbook_exits_0(book: Path) -> None:
    result = run("validate", str(book))
    assert result.exit_code == 0, result.output
    assert f"{book}: 0 error(s), 0 warning(s)" in result.stdout
    assert result.stderr == ""


def test_validate_with_only_warnings_exits_0(book: Path) -> None:
    set_cells(book, "Hawick High", {"J3": "Ring 07700 900123"})
    result = run("validate", str(book))
    assert result.exit_code == 0
    assert "personal-data" in result.stdout and "0 error(s), 1 warning(s)" in result.stdout


def test_validate_with_month_reports_stale_tabs_as_warnings(book: Path) -> None:
    result = run("validate", str(book), "--month", "2026-11", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["errors"], report["warnings"]) == (0, len(SCHOOLS))
    assert {f["rule"] for f in report["findings"]} == {"stale"}


def test_validate_with_errors_exits_1_and_lists_them(book: Path) -> None:
    set_cells(book, "Kelso High", {"H7": "Complete", "I5": "R"})
    result = run("validate", str(book))
    assert result.exit_code == 1
    for text in ("Kelso High", "rag-missing", "red-without-note", "M06", "M04", "2 error(s), 0 warning(s)"):
        assert text in result.stdout


def test_validate_json_shape(book: Path) -> None:
    set_cells(book, "Kelso High", {"H7": "Complete", "J3": "Ring 07700 900123"})
    result = run("validate", str(book), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert set(report) == {"file", "errors", "warnings", "findings"}
    assert report["file"] == str(book)
    assert (report["errors"], report["warnings"]) == (1, 1)
    for finding in report["findings"]:
        assert set(finding) == {"sheet", "cell", "row_id", "rule", "severity", "message"}
    (missing,) = [f for f in report["findings"] if f["rule"] == "rag-missing"]
    assert (missing["sheet"], missing["cell"], missing["row_id"], missing["severity"]) == (
        "Kelso High", "I7", "M06", "error")
    (personal,) = [f for f in report["findings"] if f["severity"] == "warning"]
    assert (personal["cell"], personal["rule"]) == ("J3", "personal-data")
    assert report["errors"] == sum(f["severity"] == "error" for f in report["findings"])
    assert report["warnings"] == sum(f["severity"] == "warning" for f in report["findings"])


def test_validate_json_of_a_clean_workbook(book: Path) -> None:
    result = run("validate", str(book), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"file": str(book), "errors": 0, "warnings": 0, "findings": []}


@pytest.mark.parametrize("month", ["2026-13", "November", "2026/11", ""])
def test_validate_refuses_a_bad_month(book: Path, month: str) -> None:
    assert_one_line_error(run("validate", str(book), "--month", month), "month must be YYYY-MM")


def test_validate_refuses_a_two_digit_year(book: Path) -> None:
    assert_one_line_error(run("validate", str(book), "--month", "26-11"), "month must be YYYY-MM")


# -- rollup ------------------------------------------------------------------------------------------

GROUP_KEYS = {"key", "R", "A", "G", "unrated", "rag"}


def test_rollup_json_shape(rated: Path) -> None:
    result = run("rollup", str(rated), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"rule", "by", "groups"} <= set(report) <= {"rule", "by", "groups", "overall"}
    assert (report["rule"], report["by"]) == ("score", ["school"])
    assert all(set(g) == GROUP_KEYS for g in report["groups"])
    assert report["groups"][:3] == [
        {"key": {"school": "Berwickshire High"}, "R": 0, "A": 1, "G": 3, "unrated": 8, "rag": "G"},
        {"key": {"school": "Earlston High"}, "R": 1, "A": 1, "G": 1, "unrated": 9, "rag": "A"},
        {"key": {"school": "Eyemouth High"}, "R": 2, "A": 1, "G": 0, "unrated": 9, "rag": "R"},
    ]
    assert [g["key"]["school"] for g in report["groups"]] == SCHOOLS
    assert report["groups"][3]["rag"] == ""


def test_rollup_by_school_and_theme(rated: Path) -> None:
    result = run("rollup", str(rated), "--json", "--by", "school,theme")
    report = json.loads(result.stdout)
    assert report["by"] == ["school", "theme"]
    assert len(report["groups"]) == len(SCHOOLS) * 7
    assert report["groups"][0] == {"key": {"school": "Berwickshire High", "theme": "Planning and alignment"},
                                   "R": 0, "A": 0, "G": 2, "unrated": 0, "rag": "G"}


def test_rollup_by_lead_with_another_rule(rated: Path) -> None:
    report = json.loads(run("rollup", str(rated), "--json", "--by", "lead", "--rule", "worst").stdout)
    assert report["rule"] == "worst"
    assert [(g["key"]["lead"], g["rag"]) for g in report["groups"]] == [
        ("DYW", "R"), ("SDS", "A"), ("Joint", "R")]


def test_rollup_csv(rated: Path) -> None:
    result = run("rollup", str(rated), "--csv", "--by", "theme")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["theme", "R", "A", "G", "unrated", "rag"]
    assert rows[1] == ["Planning and alignment", "2", "1", "3", "12", "A"]  # G G G A R R of 18: 3.5/6
    assert len(rows) == 1 + 7


def test_rollup_table_for_people(rated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "out", Console(width=200))
    result = run("rollup", str(rated))
    assert result.exit_code == 0
    assert "Roll-up by school (rule: score)" in result.stdout
    assert "Berwickshire High" in result.stdout and "All" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["--by", "region"], "--by takes school, theme, lead"),
    (["--by", ","], "--by takes school, theme, lead"),
    (["--rule", "best"], "--rule must be one of score, worst, majority"),
])
def test_rollup_refuses_bad_options(book: Path, args: list[str], message: str) -> None:
    assert_one_line_error(run("rollup", str(book), *args), message)


# -- template build ----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,schools", [("scottish-tom", 9), ("gatsby-plan", 5)])
def test_template_build_writes_a_clean_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                spec: str, schools: int) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("template", "build", spec, "-o", "X.xlsx")
    assert result.exit_code == 0, result.output
    assert f"wrote X.xlsx ({schools} school tabs, 12 master rows)" in result.stdout
    assert read_workbook(tmp_path / "X.xlsx").spec == load_spec(spec)
    assert run("validate", "X.xlsx").exit_code == 0
    assert os.listdir(tmp_path) == ["X.xlsx"]


def test_template_build_adds_no_xlwings_conf_sheet_any_more(tmp_path: Path) -> None:
    assert run("template", "build", "scottish-tom", "-o", str(tmp_path / "X.xlsx")).exit_code == 0
    wb = load_workbook(tmp_path / "X.xlsx")
    assert wb.sheetnames == build_workbook(load_spec("scottish-tom")).sheetnames  # the classic route went
    assert "xlwings.conf" not in wb.sheetnames


def test_template_build_file_follows_the_umask(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    assert run("template", "build", "scottish-tom", "-o", str(tmp_path / "X.xlsx")).exit_code == 0
    assert stat.S_IMODE((tmp_path / "X.xlsx").stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600


def test_template_build_into_a_new_folder(tmp_path: Path) -> None:
    out = tmp_path / "area" / "2026" / "tom.xlsx"
    assert run("template", "build", "gatsby-plan", "--output", str(out)).exit_code == 0
    assert out.exists()


def test_template_build_from_a_spec_file(tmp_path: Path) -> None:
    spec_file = tmp_path / "borders.toml"
    spec_file.write_text(load_spec("scottish-tom").to_toml().replace('area = "Scottish Borders"',
                                                                     'area = "Tweeddale"'))
    result = run("template", "build", str(spec_file), "-o", str(tmp_path / "t.xlsx"))
    assert result.exit_code == 0
    assert read_workbook(tmp_path / "t.xlsx").spec.area == "Tweeddale"


def test_template_build_with_a_password_option_and_from_the_environment(tmp_path: Path) -> None:
    assert run("template", "build", "scottish-tom", "-o", str(tmp_path / "a.xlsx"),
               "--password", "opt-pw-123").exit_code == 0
    assert load_workbook(tmp_path / "a.xlsx")["Master"].protection.password == hash_password("opt-pw-123")
    assert run("template", "build", "scottish-tom", "-o", str(tmp_path / "b.xlsx"),
               env={PASSWORD_ENV: "env-pw-456"}).exit_code == 0
    wb = load_workbook(tmp_path / "b.xlsx")
    assert wb["Hawick High"].protection.password == hash_password("env-pw-456")


def test_template_build_with_a_missing_spec_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run("template", "build", "no-such-spec.toml", "-o", "X.xlsx"),
                          "no-such-spec.toml", "no such spec file")
    assert not (tmp_path / "X.xlsx").exists()


def test_template_build_with_a_spec_mistake_names_the_key(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = load_spec("scottish-tom").to_toml().replace('kind = "rag"', 'kind = "traffic-light"')
    Path("bad.toml").write_text(text)
    line = assert_one_line_error(run("template", "build", "bad.toml", "-o", "X.xlsx"), "bad.toml")
    assert "unknown kind 'traffic-light'" in line and "('RAG')" in line
    assert not (tmp_path / "X.xlsx").exists()


def test_template_build_with_a_non_toml_spec_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("s.toml").write_text("this is = = not toml")
    assert_one_line_error(run("template", "build", "s.toml", "-o", "X.xlsx"), "s.toml", "not valid TOML")


def test_template_build_onto_a_folder_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    assert_one_line_error(run("template", "build", "scottish-tom", "-o", "out"), "out")


# -- demo --------------------------------------------------------------------------------------------

DEMO_TODAY = date(2026, 11, 20)
DEMO_RULES = ("red-without-note", "rag-missing", "personal-data", "formula-injection", "master-text-changed",
              "duplicate-id", "future-date", "stale")


class _DemoDate(date):
    @classmethod
    def today(cls) -> date:  # type: ignore[override]
        return cls(DEMO_TODAY.year, DEMO_TODAY.month, DEMO_TODAY.day)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """One demo run, on a fixed date inside the session, printed wide enough to read every rule."""
    import tomsync.demo.run

    directory = tmp_path_factory.mktemp("demo") / "tom-demo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tomsync.demo.run, "date", _DemoDate)
        mp.setattr(cli, "out", Console(width=250))
        result = run("demo", str(directory))
    return directory, result


def _demo_workbooks(directory: Path) -> list[Path]:
    """The TOM workbooks the demo left (not its reports, archives or sync state)."""
    found = []
    for path in sorted(directory.rglob("*.xlsx")):
        if any(part in ("archive", "reports", ".tomsync") for part in path.relative_to(directory).parts):
            continue
        found.append(path)
    return found


def test_demo_runs_and_leaves_a_tom_workbook(demo: tuple[Path, Result]) -> None:
    directory, result = demo
    assert result.exit_code == 0, result.output
    books = _demo_workbooks(directory)
    assert books, list(directory.rglob("*"))
    for path in books:
        assert read_workbook(path).spec.name == "scottish-tom"


def test_demo_output_shows_the_deliberate_mistakes(demo: tuple[Path, Result]) -> None:
    _, result = demo
    for rule in DEMO_RULES:
        assert rule in result.stdout, rule
    for school in ("Hawick High", "Kelso High", "Eyemouth High", "Selkirk High", "Jedburgh Grammar",
                   "Peebles High", "Galashiels Academy"):
        assert school in result.stdout
    assert "Traceback" not in result.output


def test_demo_workbook_fails_validation_with_those_rules(demo: tuple[Path, Result]) -> None:
    directory, _ = demo
    book = _demo_workbooks(directory)[0]
    result = run("validate", str(book), "--json", "--month", "2026-11")
    assert result.exit_code == 1
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert set(DEMO_RULES) - {"future-date"} <= rules  # future-date depends on the real today


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mine").mkdir()
    Path("mine", "precious.txt").write_text("keep me")
    assert_one_line_error(run("demo", "mine"), "mine", "not empty")
    assert os.listdir("mine") == ["precious.txt"]
    assert Path("mine", "precious.txt").read_text() == "keep me"


def test_demo_refusal_is_a_single_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mine").mkdir()
    Path("mine", "precious.txt").write_text("keep me")
    result = run("demo", "mine")
    assert_one_line_error(result, "not empty")
    assert_single_line(result)
