"""Temporary files an interrupted run left behind, removed by the next run.

`workbook_templates.atomic` writes every file as ``.NAME.XXXXXXXX.tmp`` beside its target and renames
it into place; a run killed between the two leaves the temporary file (harmless: never read, never
synced, hidden). Only files in exactly that shape are removed, and only once they have been left
untouched for a while, because another process (the ribbon while the command line runs, a colleague's
push into a shared folder library) may be writing one right now.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

log = logging.getLogger("tomsync.sync")
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")
MIN_AGE_S = 120.0  # an atomic write takes well under a second; two minutes idle is abandoned


def remove_leftovers(root: Path, min_age: float = MIN_AGE_S, now: float | None = None) -> list[Path]:
    """Remove abandoned ``.NAME.XXXXXXXX.tmp`` files under ``root`` (recursively); returns them."""
    cutoff = (time.time() if now is None else now) - min_age
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if not TEMP_NAME.match(name):
                continue
            path = Path(folder) / name
            try:
                if path.stat().st_mtime > cutoff:
                    continue
                path.unlink()
            except OSError:  # gone meanwhile, or held by another program (Windows): next time
                continue
            removed.append(path)
    if removed:
        log.info("removed %d temporary file(s) an interrupted run left under %s", len(removed), root)
    return removed
