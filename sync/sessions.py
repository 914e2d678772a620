"""Where last session's workbook goes when a new session starts: the library's archive.

Decision: when the old workbook is in a synced working copy (a folder with `.tomsync/`), `tomsync
session new` copies it to ``archive/<session>/<its path>`` in that working copy ("2026/27" ->
``archive/2026-27/borders.xlsx``), and the next `tomsync push` puts it in the library beside the
monthly archives. The cycle never reads ``archive/`` (its own output folder), so last year's workbook
is kept, readable and never counted again. Outside a working copy nothing is archived (the command
says so): the old file itself is the archive.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from sync.state import STATE_DIR
from workbook_templates.atomic import atomic_write_bytes


def working_copy(path: Path) -> Path | None:
    """The synced working copy holding ``path`` (the nearest folder above it with `.tomsync/`)."""
    for folder in Path(os.path.abspath(path)).parents:
        if (folder / STATE_DIR).is_dir():
            return folder
    return None


def session_folder(label: str) -> str:
    """A session label as a folder name: "2026/27" -> "2026-27"."""
    return re.sub(r"[^\w.-]+", "-", label).strip("-") or "session"


def archive_session(path: Path, label: str) -> Path | None:
    """Copy the workbook at ``path`` into its working copy's ``archive/<session>/``; None when it is
    not in a working copy. An archive copy already there is never replaced."""
    work = working_copy(path)
    if work is None:
        return None
    relative = Path(os.path.abspath(path)).relative_to(work)
    target = work / "archive" / session_folder(label) / relative
    if target.exists():
        raise FileExistsError(f"{target}: last session's archive copy is already there; nothing replaced")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, path.read_bytes())
    shutil.copystat(path, target)
    return target
