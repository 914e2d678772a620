"""Atomic file replacement: a workbook is never left half-written, whatever stops the process."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777  # keep the replaced file's permissions
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK  # as a plain open() would create it (mkstemp alone gives 0600)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_workbook_atomic(wb: Any, path: str | os.PathLike[str]) -> None:
    """Save an openpyxl workbook over ``path`` by writing it whole first, then renaming it into place."""
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(Path(path), buf.getvalue())
