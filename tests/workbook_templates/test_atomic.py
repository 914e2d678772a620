"""Atomic saves as a Windows user meets them: no os.fchmod, a workbook open in Excel, a brief hold."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.windows import SimulatedWindowsFiles
from workbook_templates import atomic
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.winfiles import CLOSE_IT, FileInUse


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-offs asked for, instead of sleeping them."""
    asked: list[float] = []
    monkeypatch.setattr(atomic, "sleep", asked.append)
    return asked


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_saves_without_os_fchmod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8: Python 3.11/3.12 on Windows have no os.fchmod; every save used it."""
    monkeypatch.delattr(os, "fchmod", raising=False)
    path = tmp_path / "Àrd-sgoil TOM.xlsx"
    atomic_write_bytes(path, b"first")
    atomic_write_bytes(path, b"second")
    assert path.read_bytes() == b"second"
    assert leftovers(tmp_path) == []


def test_keeps_the_replaced_files_permissions_on_posix(tmp_path: Path) -> None:
    if os.name == "nt":
        pytest.skip("Windows files have no POSIX modes")
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"old")
    path.chmod(0o640)
    atomic_write_bytes(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_file_held_open_is_retried_then_named(tmp_path: Path, windows_files: SimulatedWindowsFiles,
                                                waits: list[float]) -> None:
    path = tmp_path / "borders.xlsx"
    path.write_bytes(b"what the user has open")
    with windows_files.hold(path), pytest.raises(FileInUse) as caught:
        atomic_write_bytes(path, b"ours")
    assert waits == list(atomic.RETRY_DELAYS)  # a few tries, about 2 s in all, then give up
    assert str(caught.value) == f"{path} is open in Excel or another program: {CLOSE_IT}"
    assert isinstance(caught.value, OSError)
    assert path.read_bytes() == b"what the user has open"
    assert leftovers(tmp_path) == []


def test_a_brief_hold_is_waited_out(tmp_path: Path, windows_files: SimulatedWindowsFiles,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Antivirus or OneDrive hold a file for a moment after it changes: the save still happens."""
    path = tmp_path / "borders.xlsx"
    path.write_bytes(b"old")
    hold = windows_files.hold(path)
    hold.__enter__()
    asked: list[float] = []

    def wait(seconds: float) -> None:
        asked.append(seconds)
        if len(asked) == 2:
            hold.__exit__(None, None, None)

    monkeypatch.setattr(atomic, "sleep", wait)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and len(asked) == 2
    assert leftovers(tmp_path) == []


def test_a_workbook_open_in_excel_is_not_touched(tmp_path: Path, waits: list[float]) -> None:
    path = tmp_path / "Borders TOM.xlsx"
    path.write_bytes(b"open in Excel")
    (tmp_path / "~$Borders TOM.xlsx").write_bytes(b"owner")
    with pytest.raises(FileInUse, match="close it in Excel and run again"):
        atomic_write_bytes(path, b"ours")
    assert path.read_bytes() == b"open in Excel"
    assert leftovers(tmp_path) == [] and waits == []  # refused at once: Excel holds it until closed


def test_a_permission_problem_that_is_not_a_hold_is_not_retried(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    """On POSIX a refused rename is a folder permission, not a program holding the file."""
    if os.name == "nt":
        pytest.skip("on Windows every PermissionError on replace is treated as a hold")

    def refused(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", refused)
    with pytest.raises(PermissionError) as caught:
        atomic_write_bytes(tmp_path / "x.xlsx", b"data")
    assert not isinstance(caught.value, FileInUse) and waits == []
    assert leftovers(tmp_path) == []
