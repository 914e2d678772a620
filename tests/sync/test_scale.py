"""A hub's scale on a folder library: 3,500 workbooks, a no-change pull well under 3 seconds, and
state.json rewritten once per run, not once per file (which made it quadratic: 141 s measured)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import sync.state
from sync.folder import FolderLibrary
from sync.workflow import pull

FILES = 3500


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hub")
    library = root / "library"
    for i in range(FILES):
        folder = library / f"area{i % 35:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"school{i:04}.xlsx").write_bytes(os.urandom(4000))
    work = root / "work"
    assert pull(work, FolderLibrary(library)).downloads == FILES
    pull(work, FolderLibrary(library))  # fills the working copy's hash cache
    return library, work


def test_a_no_change_pull_of_3500_files_takes_under_3_seconds(
    hub: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    library, work = hub
    writes: list[Path] = []
    real = sync.state.atomic_write_bytes
    monkeypatch.setattr(sync.state, "atomic_write_bytes", lambda p, d: (writes.append(p), real(p, d)))
    started = time.perf_counter()
    report = pull(work, FolderLibrary(library))
    took = time.perf_counter() - started
    assert report.downloads == 0 and len(report.done) == FILES
    assert writes == []  # nothing changed: state.json not rewritten
    assert took < 3.0, f"no-change pull of {FILES} files took {took:.1f} s"


def test_one_changed_file_among_3500_is_one_download_and_one_state_write(
    hub: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    library, work = hub
    (library / "area07" / "school0007.xlsx").write_bytes(os.urandom(4000))
    writes: list[Path] = []
    real = sync.state.atomic_write_bytes
    monkeypatch.setattr(sync.state, "atomic_write_bytes", lambda p, d: (writes.append(p), real(p, d)))
    report = pull(work, FolderLibrary(library))
    assert report.downloads == 1
    assert [p.name for p in writes] == ["school0007.xlsx", "state.json"]  # the base, then state once
