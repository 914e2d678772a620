"""The stash: every working-copy version sync replaces is kept first, so no pull can lose work.

Before a pull's download or a merge writes over a working-copy file whose bytes differ from what is
being written, the old bytes go to `.tomsync/stash/<name>/<UTC timestamp>-<sha8><suffix>` (the
timestamp is `YYYYMMDDTHHMMSSZ`, `sha8` the first 8 hex digits of the bytes' SHA-256). Copies older
than 60 days are pruned, but the newest 5 of each file are always kept, however old, so a file
that rarely changes keeps its history. `tomsync restore NAME` brings one back (stashing the current
file first, so a restore can itself be undone).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from sync.state import STATE_DIR, sha256
from workbook_templates.atomic import atomic_write_bytes

log = logging.getLogger("tomsync.sync.stash")
STASH_DIR = "stash"
MAX_AGE = timedelta(days=60)
KEEP_NEWEST = 5
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class NothingStashed(LookupError):
    """No stashed copy of the file (or none at the timestamp asked for)."""


@dataclass(frozen=True)
class Stashed:
    """One kept copy of ``name``: when it was replaced, and the start of its hash."""

    name: str
    when: datetime
    sha8: str
    path: Path

    @property
    def stamp(self) -> str:
        return self.when.strftime(STAMP_FORMAT)


def stash_folder(workdir: Path, name: str) -> Path:
    return workdir / STATE_DIR / STASH_DIR / PurePosixPath(name)


def stashed(workdir: str | os.PathLike[str], name: str) -> list[Stashed]:
    """Every kept copy of ``name``, newest first."""
    folder = stash_folder(Path(workdir), name)
    out = []
    for path in folder.glob("*-*") if folder.is_dir() else []:
        stamp, _, rest = path.name.partition("-")
        try:
            when = datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            continue  # not ours
        out.append(Stashed(name, when, rest[:8], path))
    return sorted(out, key=lambda s: (s.when, s.path.name), reverse=True)


def prune(workdir: str | os.PathLike[str], name: str, now: datetime | None = None,
          max_age: timedelta = MAX_AGE, keep: int = KEEP_NEWEST) -> list[Stashed]:
    """Remove ``name``'s copies older than ``max_age``, never the newest ``keep``; returns the removed."""
    now = now or datetime.now(UTC)
    removed = [s for s in stashed(workdir, name)[keep:] if now - s.when > max_age]
    for s in removed:
        s.path.unlink(missing_ok=True)
        log.info("%s: pruned the stashed copy %s", name, s.path.name)
    return removed


def stash(workdir: str | os.PathLike[str], name: str, replacement: bytes | None = None,
          now: datetime | None = None) -> Stashed | None:
    """Keep the working copy's current ``name`` before it is replaced by ``replacement``. Nothing is
    kept when the file does not exist or already holds exactly ``replacement``."""
    work = Path(workdir)
    try:
        data = (work / name).read_bytes()
    except FileNotFoundError:
        return None
    if replacement is not None and data == replacement:
        return None
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    digest = sha256(data)
    suffix = PurePosixPath(name).suffix
    path = stash_folder(work, name) / f"{now.strftime(STAMP_FORMAT)}-{digest[:8]}{suffix}"
    if not path.exists():
        atomic_write_bytes(path, data)
    prune(work, name, now)
    return Stashed(name, now, digest[:8], path)


def restore(workdir: str | os.PathLike[str], name: str, at: str | None = None,
            now: datetime | None = None) -> Stashed:
    """Bring back the newest kept copy of ``name``, or the one whose stamp (or stamp-sha8) is ``at``.
    The current file is stashed first (so the restore can be undone); the copy is written atomically."""
    work = Path(workdir)
    kept = stashed(work, name)
    if not kept:
        raise NothingStashed(f"{name}: no stashed copies in {stash_folder(work, name)}")
    if at is None:
        chosen = kept[0]
    else:
        matches = [s for s in kept if at in (s.stamp, f"{s.stamp}-{s.sha8}")]
        listed = ", ".join(f"{s.stamp}-{s.sha8}" for s in kept)
        if not matches:
            raise NothingStashed(f"{name}: no stashed copy at {at}; kept: {listed}")
        if len(matches) > 1:
            raise NothingStashed(f"{name}: more than one copy at {at}; "
                                 f"give the stamp with its -sha8 ({listed})")
        chosen = matches[0]
    data = chosen.path.read_bytes()
    stash(work, name, data, now)
    atomic_write_bytes(work / name, data)
    log.info("%s: restored the copy stashed at %s (%s)", name, chosen.stamp, chosen.sha8)
    return chosen
