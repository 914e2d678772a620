"""Session options for the whole suite: ``--windows`` runs every test as if on Windows (issue 8).

``pytest --windows`` blocks ``import fcntl`` before any project module is imported (and drops the ones
already imported), deletes the POSIX-only calls Windows lacks (os.fchmod, os.getuid, signal.SIGKILL...)
and gives files Windows semantics: a file open in Excel (an owner file ``~$NAME`` beside it, or one a
test holds with the ``windows_files`` fixture) cannot be replaced or deleted (PermissionError, winerror
32), and names Windows refuses cannot be created. See tests/windows.py for what and why.

This file must not import project modules at the top: under --windows they are imported only after
fcntl is blocked.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import windows

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
