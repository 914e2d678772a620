"""Session options for the whole suite: ``--windows`` runs every test as if on Windows (issue 8).

``pytest --windows`` blocks ``import fcntl`` before any project module is imported (and drops the ones
already imported), deletes the POSIX-only calls Windows lacks (os.fchmod, os.getuid, signal.SIGKILL...)
and gives files Windows semantics: a file open in Excel (an owner file ``~$NAME`` beside it, or one a
test holds with the ``windows_files`` fixture) cannot be replaced or deleted (PermissionError, winerror
32), and names Windows refuses cannot be created. See tests/windows.py for what and why.

This file must not import project modules at the top: under --windows they are imported only after
fcntl is blocked.

It also holds the fixtures shared across the packages' tests: demo workbooks (realistic data with
the demo's deliberate mistakes), built once per session, copied per test. XLWINGS_LICENSE_KEY is set
to the noncommercial key before anything imports xlwings, as a school or council running the add-in
would set it (PolyForm Noncommercial 1.0.0).
"""


from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests import windows

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

TODAY = date(2026, 11, 20)  # inside the scottish-tom session (2026-08 .. 2027-06)
MONTH = "2026-11"
PASSWORD = "Tom-Protect!93xq"

_SESSION: dict[str, object] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--windows", action="store_true", default=False,
                     help="run the suite as on Windows: no fcntl/os.fchmod/os.getuid/SIGKILL, open files "
                          "cannot be replaced, Windows file names")


@pytest.hookimpl(trylast=True)  # after pytest's own configure, so its temporary folder exists
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--windows"):
        return
    windows.block_fcntl()
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None:
        factory.getbasetemp()  # pytest checks the folder's owner with os.getuid on POSIX: do it first
    mp = pytest.MonkeyPatch()
    windows.remove_posix_apis(mp)
    files = windows.SimulatedWindowsFiles()
    files.install(mp)
    _SESSION.update(mp=mp, files=files)


def pytest_unconfigure(config: pytest.Config) -> None:
    mp = _SESSION.pop("mp", None)
    if isinstance(mp, pytest.MonkeyPatch):
        mp.undo()


def pytest_report_header(config: pytest.Config) -> str | None:
    return "simulating Windows (--windows)" if config.getoption("--windows") else None


@pytest.fixture
def as_windows(request: pytest.FixtureRequest) -> bool:
    """Whether this run simulates Windows (tests that only make sense on POSIX skip on it)."""
    return bool(request.config.getoption("--windows"))


@pytest.fixture
def windows_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[windows.SimulatedWindowsFiles]:
    """Windows file semantics for this test (the session's own under --windows): ``hold(path)`` keeps a
    file open as Excel or antivirus would; owner files ``~$NAME`` beside a file make it open too."""
    files = _SESSION.get("files")
    if isinstance(files, windows.SimulatedWindowsFiles):
        yield files
        return
    files = windows.SimulatedWindowsFiles()
    files.install(monkeypatch)
    yield files


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pristine scottish-tom demo workbook (protected with PASSWORD). Never edit it: copy it."""
    from tomsync.demo.data import build_demo_workbook  # imported late: see the module docstring
    from workbook_templates.spec import load_spec

    path = tmp_path_factory.mktemp("demo") / "scottish-tom.xlsx"
    return build_demo_workbook(load_spec("scottish-tom"), path, MONTH, TODAY, password=PASSWORD)


@pytest.fixture(scope="session")
def demo_gatsby_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tomsync.demo.data import build_demo_workbook
    from workbook_templates.spec import load_spec

    path = tmp_path_factory.mktemp("gatsby") / "gatsby-plan.xlsx"
    return build_demo_workbook(load_spec("gatsby-plan"), path, MONTH, TODAY, password=PASSWORD)


@pytest.fixture
def demo(demo_master: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo workbook for one test to change."""
    dest = tmp_path / demo_master.name
    shutil.copyfile(demo_master, dest)
    return dest


@pytest.fixture
def demo_gatsby(demo_gatsby_master: Path, tmp_path: Path) -> Path:
    """A fresh copy of the gatsby-plan demo workbook (a termly plan)."""
    dest = tmp_path / demo_gatsby_master.name
    shutil.copyfile(demo_gatsby_master, dest)
    return dest
