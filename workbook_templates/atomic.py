"""Atomic file replacement: a workbook is never left half-written, whatever stops the process.

Portable to Windows on Python 3.11+: the mode is set on the temporary file by path (``os.chmod``), on
POSIX only: the call through the open descriptor exists on Windows only from Python 3.13, and Windows
files have no POSIX modes to keep. On
Windows a file open in Excel cannot be replaced (a sharing violation), and antivirus or OneDrive hold
files for a moment: the replace is retried a few times, then `FileInUse` names the file; the
temporary file is removed and the original is left as it was.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbook_templates.winfiles import FileInUse, refuse_if_open

# Seconds between attempts to replace a file another program holds (about 2 s in all).
RETRY_DELAYS = (0.1, 0.2, 0.4, 0.6, 0.8)
SHARING_VIOLATIONS = (5, 32, 33)  # Windows: access denied, sharing violation, lock violation
sleep: Callable[[float], None] = time.sleep  # tests replace it


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def is_sharing_violation(exc: OSError) -> bool:
    """Whether replacing failed because another program holds the file (Windows), not for good."""
    if not isinstance(exc, PermissionError):
        return False
    return getattr(exc, "winerror", None) in SHARING_VIOLATIONS or os.name == "nt"


def replace_retrying(tmp: str | os.PathLike[str], path: Path) -> None:
    """``os.replace`` that waits out a brief hold on ``path``; `FileInUse` when it does not end."""
    for delay in (*RETRY_DELAYS, None):
        try:
            os.replace(tmp, path)
            return
        except PermissionError as exc:
            if not is_sharing_violation(exc):
                raise
            if delay is None:
                raise FileInUse(path) from exc
            sleep(delay)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Refuses (`FileInUse`) a file Excel has open, before writing anything."""
    path = Path(path)
    refuse_if_open(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777  # keep the replaced file's permissions
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK  # as a plain open() would create it (mkstemp alone gives 0600)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if os.name != "nt":
            os.chmod(tmp, mode)
        replace_retrying(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_workbook_atomic(wb: Any, path: str | os.PathLike[str]) -> None:
    """Save an openpyxl workbook over ``path`` by writing it whole first, then renaming it into place."""
    refuse_if_open(path)  # before the (slow) save, not after
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(Path(path), buf.getvalue())
