"""Temporary files from an interrupted run are cleaned by the next run; fresh ones are left alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sync.folder import FolderLibrary
from sync.leftovers import remove_leftovers
from sync.workflow import pull


def leftover(folder: Path, name: str, age: float = 600.0) -> Path:
    """A temporary file as workbook_templates.atomic names it, last touched ``age`` seconds ago."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".{name}.k3j_9x0q.tmp"
    path.write_bytes(b"half a workbook")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_the_next_pull_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    library_dir, work = tmp_path / "library", tmp_path / "work"
    library_dir.mkdir()
    (library_dir / "a.json").write_bytes(b"{}")
    pull(work, FolderLibrary(library_dir))
    left = [leftover(work, "a.json"), leftover(work / ".tomsync", "state.json"),
            leftover(work / ".tomsync" / "base", "a.json"), leftover(library_dir, "b.xlsx")]
    fresh = leftover(work, "c.xlsx", age=5)  # another process may be writing it right now
    keep = work / ".notes.tmp"  # not in atomic's shape
    keep.write_bytes(b"mine")

    pull(work, FolderLibrary(library_dir))

    assert [p.exists() for p in left] == [False] * 4
    assert fresh.exists() and keep.exists()
    assert (work / "a.json").read_bytes() == b"{}"


def test_remove_leftovers_reports_what_it_removed(tmp_path: Path) -> None:
    old = leftover(tmp_path / "x", "borders.xlsx")
    assert remove_leftovers(tmp_path) == [old]
    assert remove_leftovers(tmp_path / "missing") == []
