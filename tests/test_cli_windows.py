"""The command line as a Windows user meets it: cp1252 consoles, workbooks open in Excel, names Windows
refuses, and exit statuses that keep their meaning whatever goes wrong (issue 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.test_cli import assert_one_line_error
from tests.workbook_templates.helpers import build, copy_to, set_cells
from tomsync import cli, entry

ODD_NAME = "Borders → 2026 ✓ 😀.xlsx"  # characters cp1252 cannot encode; all allowed in Windows names


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


@pytest.fixture(scope="module")
def clean_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("scottish-tom", tmp_path_factory.mktemp("cliwin") / "scottish-tom.xlsx")


@pytest.fixture
def book(clean_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path(copy_to(clean_book, tmp_path, "Borders TOM.xlsx").name)


def tomsync_cp1252(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """The real process, its output redirected through cp1252 as on a Windows console or into a file."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "tomsync.cli", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=120)


# -- console encoding -----------------------------------------------------------------------------------

def test_a_cp1252_console_gets_replacement_characters_not_a_crash(clean_book: Path, tmp_path: Path) -> None:
    copy_to(clean_book, tmp_path, ODD_NAME)
    proc = tomsync_cp1252("validate", ODD_NAME, cwd=tmp_path)
    stdout, stderr = proc.stdout.decode("cp1252"), proc.stderr.decode("cp1252")
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr
    assert "Borders ? 2026 ? ?.xlsx: 0 error(s), 0 warning(s)" in stdout


def test_a_cp1252_console_error_line(tmp_path: Path) -> None:
    proc = tomsync_cp1252("validate", "nowhere → 😀.xlsx", cwd=tmp_path)
    stderr = proc.stderr.decode("cp1252")
    assert proc.returncode == 2 and "Traceback" not in stderr
    assert stderr.startswith("tomsync: nowhere ") and stderr.rstrip().endswith("no such file")


def test_the_demo_prints_on_a_cp1252_console(tmp_path: Path) -> None:
    """Tables, RAG cells and the progress display: rich falls back to ASCII boxes there."""
    proc = tomsync_cp1252("demo", "demo", cwd=tmp_path)
    stderr = proc.stderr.decode("cp1252")
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "Not updated this month" in proc.stdout.decode("cp1252")


def test_safe_stream_replaces_what_the_encoding_cannot_show(tmp_path: Path) -> None:
    import io

    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    entry.safe_stream(stream)
    stream.write("Àrd-sgoil → ✓\n")
    stream.flush()
    assert stream.buffer.getvalue().decode("cp1252") == "Àrd-sgoil ? ?\n"  # type: ignore[attr-defined]
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    entry.safe_stream(utf8)
    assert utf8.errors == "strict"  # left alone: it can show everything


# -- exit statuses ----------------------------------------------------------------------------------------

def test_an_unexpected_error_is_exit_4_in_one_line(book: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 9: a bug has its own exit status (4), never 1 (validation errors) nor 2 (could not run)."""
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "validate", broken)
    monkeypatch.delenv("TOMSYNC_DEBUG", raising=False)
    assert entry.run(cli.app, ["validate", str(book)]) == 4
    err = capsys.readouterr().err
    assert err == ("tomsync: internal error: RuntimeError: boom second line (please send "
                   ".tomsync/tomsync.log; run with --debug for details)\n")
    for args in (["-v", "validate", str(book)], ["--debug", "validate", str(book)]):
        assert entry.run(cli.app, args) == 4
        err = capsys.readouterr().err
        assert "Traceback" in err and err.rstrip().endswith(
            "tomsync: internal error: RuntimeError: boom second line (please send .tomsync/tomsync.log)")
    monkeypatch.setenv("TOMSYNC_DEBUG", "1")
    assert entry.run(cli.app, ["validate", str(book)]) == 4
    assert "Traceback" in capsys.readouterr().err


def test_main_never_exits_1_for_a_broken_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 8: `import fcntl` failing inside sync was an uncaught error: a traceback and exit 1
    (now the internal-error status, 4)."""
    (tmp_path / "library").mkdir()
    monkeypatch.setitem(sys.modules, "sync.workflow", None)
    monkeypatch.setattr(sys, "argv", ["tomsync", "pull", "-C", str(tmp_path), "--library",
                                      str(tmp_path / "library")])
    with pytest.raises(SystemExit) as caught:
        cli.main()
    assert caught.value.code == 4
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("tomsync: internal error: ModuleNotFoundError: ")
    assert "Traceback" not in "\n".join(err)


def test_exit_statuses_through_main(book: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.run(cli.app, ["validate", str(book)]) == 0
    set_cells(book, "Kelso High", {"H7": "Complete", "I5": "R"})
    assert entry.run(cli.app, ["validate", str(book)]) == 1  # validation errors, and only they
    assert entry.run(cli.app, ["validate", "missing.xlsx"]) == 2
    assert entry.run(cli.app, ["validate", "--no-such-option"]) == 2
    assert entry.run(cli.app, []) == 2  # the help, as before
    assert "Usage" in capsys.readouterr().err


# -- open in Excel, names Windows refuses -------------------------------------------------------------------

@pytest.mark.parametrize("args", [["validate", "--annotate"], ["rollup", "--write"]])
def test_a_workbook_open_in_excel_is_not_rewritten(book: Path, args: list[str]) -> None:
    (book.parent / f"~${book.name}").write_bytes(b"owner")
    before = book.read_bytes()
    result = run(*args[:1], str(book), *args[1:])
    if args[0] == "rollup":  # the roll-up itself is printed before the write is refused
        assert result.exit_code == 2 and "close it in Excel and run again" in result.stderr
        assert len(result.stderr.splitlines()) == 1
    else:
        assert_one_line_error(result, str(book), "is open in Excel", "close it in Excel and run again")
    assert book.read_bytes() == before


def test_template_build_over_an_open_workbook(book: Path) -> None:
    (book.parent / f"~${book.name}").write_bytes(b"owner")
    before = book.read_bytes()
    result = run("template", "build", "scottish-tom", "-o", str(book), "--force")
    assert_one_line_error(result, str(book), "close it in Excel and run again")
    assert book.read_bytes() == before


@pytest.mark.parametrize("name, words", [("CON.xlsx", "reserved device name CON"),
                                         ("Q1: Borders.xlsx", "contains :")])
def test_template_build_refuses_names_windows_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      name: str, words: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("template", "build", "scottish-tom", "-o", name)
    assert_one_line_error(result, name, words)
    assert list(tmp_path.iterdir()) == []


def test_pull_refuses_a_library_with_names_differing_in_case(clean_book: Path, tmp_path: Path,
                                                             as_windows: bool) -> None:
    if as_windows:
        pytest.skip("a Windows folder cannot hold two names differing only in case")
    library, work = tmp_path / "library", tmp_path / "work"
    library.mkdir()
    work.mkdir()
    copy_to(clean_book, library, "Borders.xlsx")
    copy_to(clean_book, library, "borders.xlsx")
    result = run("pull", "-C", str(work), "--library", str(library))
    assert result.exit_code == 2 and "Traceback" not in result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("tomsync: ")]
    assert "Borders.xlsx and borders.xlsx differ only in case" in line and "nothing was pulled" in line
    assert [p.name for p in work.iterdir() if p.name != ".tomsync"] == []  # only the log folder
