"""Windows file rules: names Windows refuses, names that differ only in case, Excel's owner files."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

import pytest

from workbook_templates.winfiles import (
    UnsafeName,
    case_collisions,
    is_open_in_excel,
    is_owner_file,
    owner_files,
    refuse_if_open,
    refuse_unsafe_names,
    relative_name_problem,
    windows_name_problem,
)


@pytest.mark.parametrize("name", [
    "Borders TOM.xlsx", "Àrd-sgoil Ghàidhlig.xlsx", "Sgoil → 2026 ✓.xlsx", "NAME - Copy.xlsx",
    "NAME (1).xlsx", "CONSOLE.xlsx", "com10.xlsx", "a.b.c.xlsx", ".tomsync",
])
def test_names_windows_accepts(name: str) -> None:
    assert windows_name_problem(name) is None


@pytest.mark.parametrize("name, words", [
    ("a:b.xlsx", ":"), ("what?.xlsx", "?"), ('say "hi".xlsx', '"'), ("a<b>.xlsx", "< >"), ("a|b.xlsx", "|"),
    ("star*.xlsx", "*"), ("back\\slash.xlsx", "\\"), ("tab\there.xlsx", "control character"),
    ("trailing.", "ends with a dot"), ("trailing ", "ends with a space"),
    ("CON", "reserved device name CON"), ("con.xlsx", "reserved device name CON"),
    ("NUL.tar.gz", "NUL"), ("COM1.xlsx", "COM1"), ("lpt9", "LPT9"), ("AUX .xlsx", "AUX"),
    ("x" * 256 + ".xlsx", "longer than 255"), ("", "not a file name"),
])
def test_names_windows_refuses_say_why(name: str, words: str) -> None:
    problem = windows_name_problem(name)
    assert problem is not None and words in problem


def test_library_names_are_checked_part_by_part_and_as_a_whole_path() -> None:
    assert relative_name_problem("2026/Borders.xlsx") is None
    assert "AUX" in (relative_name_problem("AUX/Borders.xlsx") or "")
    root = PureWindowsPath(r"\\council-fs01\share\Careers\TOM 2025")
    assert relative_name_problem("Borders.xlsx", root) is None
    long = "/".join(["a long folder name for the area"] * 8) + "/Borders.xlsx"
    assert "more than Windows' 259" in (relative_name_problem(long, root) or "")


def test_case_collisions_are_grouped() -> None:
    names = ["Borders.xlsx", "borders.xlsx", "Fife.xlsx", "2026/A.xlsx", "2026/a.XLSX", "2026/b.xlsx"]
    assert case_collisions(names) == [["2026/A.xlsx", "2026/a.XLSX"], ["Borders.xlsx", "borders.xlsx"]]


def test_refusal_lists_every_problem_in_one_line() -> None:
    with pytest.raises(UnsafeName) as caught:
        refuse_unsafe_names(["CON.xlsx", "Borders.xlsx", "BORDERS.xlsx", "ok.xlsx"])
    message = str(caught.value)
    assert "\n" not in message and "CON.xlsx" in message
    assert "BORDERS.xlsx and Borders.xlsx differ only in case" in message
    assert caught.value.problems and isinstance(caught.value, OSError)
    refuse_unsafe_names(["ok.xlsx", "2026/ok.xlsx"])  # nothing to say


def test_owner_files_keep_the_paths_flavour() -> None:
    """Drive letters, UNC shares, spaces and Gaelic names, as the paths Windows users have."""
    unc = PureWindowsPath(r"\\server\share\TOM 2025\Àrd-sgoil.xlsx")
    assert owner_files(unc)[0] == PureWindowsPath(r"\\server\share\TOM 2025\~$Àrd-sgoil.xlsx")
    folder = PureWindowsPath(r"C:\Users\Mòrag\OneDrive - Council\TOM")
    owners = [folder / "~$Borders TOM.xlsx", folder / "~$rders TOM.xlsx"]
    assert owner_files(folder / "Borders TOM.xlsx") == owners
    assert owner_files(folder / "~$Borders TOM.xlsx") == []
    assert is_owner_file("~$Borders.xlsx") and is_owner_file("2026/~$Borders.xlsx")
    assert is_owner_file(r"2026\~$Borders.xlsx") and not is_owner_file("Borders.xlsx")


def test_a_workbook_with_an_owner_file_beside_it_is_open(tmp_path: Path) -> None:
    folder = tmp_path / "TOM 2025" / "Àrd-sgoil"
    folder.mkdir(parents=True)
    book = folder / "Borders TOM.xlsx"
    book.write_bytes(b"x")
    assert not is_open_in_excel(book)
    refuse_if_open(book)
    (folder / "~$Borders TOM.xlsx").write_bytes(b"owner")
    assert is_open_in_excel(book)
    with pytest.raises(OSError, match="delete ~\\$Borders TOM.xlsx"):
        refuse_if_open(book)
