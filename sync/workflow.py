"""`tomsync pull` and `tomsync push`: Unison's three steps in order, for one working copy.

Detect what changed on each side (`sync.update`), decide per file (`sync.reconcile`, pure), carry
the decisions out (`sync.propagate`). A file with an unresolved conflict is skipped until `tomsync
resolve` (`sync.conflicts`) finishes it. The names other code imports from here (pull, push,
resolve, SyncReport, UnresolvedConflict, local_files) stay here.

The archive journals each record as it happens (a transfer, a new conflict), so an interrupted run
never forgets a completed transfer, and `state.json` is written once, at the end of the run (not at
all when nothing changed), which keeps a run over a large library linear.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from sync.conflicts import FileConflict, UnresolvedConflict, conflict_paths, resolve, still_open
from sync.leftovers import remove_leftovers
from sync.library import Library
from sync.preflight import check_pull_names, refuse_open_targets
from sync.propagate import Propagator, SyncReport
from sync.reconcile import Action, Kind, reconcile
from sync.state import Archive
from sync.transfers import DEFAULT_WORKERS, ParallelTransfers
from sync.update import CONFLICT_SUFFIXES, NOT_PULLED, SYNCED_SUFFIXES, detect_updates, local_files, tracked
from workbook_templates.reader import first_line

log = logging.getLogger("tomsync.sync")

__all__ = ["CONFLICT_SUFFIXES", "NOT_PULLED", "SYNCED_SUFFIXES", "FileConflict", "SyncReport",
           "UnresolvedConflict", "conflict_paths", "local_files", "pull", "push", "resolve", "sync",
           "tracked"]


def sync(workdir: str | os.PathLike[str], library: Library, direction: str,
         names: Iterable[str] | None = None, progress: Callable[[str], None] | None = None,
         workers: int = DEFAULT_WORKERS) -> SyncReport:
    """Pull or push the working copy at ``workdir`` against ``library``, with up to ``workers``
    transfers in flight (1: one at a time)."""
    work = Path(workdir)
    remove_leftovers(work)  # temporary files of an interrupted run (the working copy and .tomsync/)
    report = SyncReport(direction)
    archive = Archive(work)
    started = time.perf_counter()
    log.info("%s: working copy %s, library %r", direction, work, library)
    looked_at, current = 0, ""
    updates = detect_updates(work, library, direction, archive, names)
    if direction == "pull":  # Windows-safe names, before anything is written (issue 8)
        check_pull_names(work, [u.name for u in updates if u.remote_file is not None], local_files(work))
    actions: list[Action] = [reconcile(u, archive.get(u.name), direction) for u in updates]
    refuse_open_targets(work, actions)  # a workbook open in Excel is not rewritten: refuse before any write
    free = [a for a in actions if archive.pending_conflict(a.name) is None]
    downloads = [a.name for a in free if a.kind is Kind.DOWNLOAD]
    uploads = [(a.name, a.if_match) for a in free if a.kind in (Kind.UPLOAD, Kind.UPLOAD_NEW)]
    pool: ParallelTransfers | None = None
    if workers > 1 and len(downloads) + len(uploads) > 1:
        checker = Propagator(work, library, archive, SyncReport(direction))
        pool = ParallelTransfers(library, workers, work, downloads, uploads, checker.check_readable)
    propagator = Propagator(work, pool or library, archive, report)
    try:
        for update, action in zip(updates, actions, strict=True):
            looked_at, current = looked_at + 1, update.name
            if progress is not None:
                progress(update.name)
            log.debug("%s: here %s, library %s -> %s (%s)", update.name, update.local.value,
                      update.remote.value, action.kind.value, action.reason)
            at = time.perf_counter()
            if action.kind is not Kind.NOTHING and archive.pending_conflict(action.name) is not None:
                report.conflicts.append(still_open(work, action.name))
                outcome = "skipped: unresolved conflict"
            else:
                outcome = propagator.run(action)
            report.done.append((action, outcome))
            if action.kind is not Kind.NOTHING:
                log.info("%s: %s: %s (%.0f ms)", action.name, action.kind.value, outcome,
                         (time.perf_counter() - at) * 1000)
    except Exception as exc:
        log.error("%s stopped at %s: %s: %s", direction, current or "the listing", type(exc).__name__,
                  first_line(exc))
        raise
    finally:
        if pool is not None:
            pool.close()
        archive.save()  # the one write of state.json per run (the journal kept each record till now)
    log.info("%s done in %.1f s: %d file(s) looked at, %d changed, %d download(s), %d upload(s), "
             "%d conflict(s), %d stashed", direction, time.perf_counter() - started, looked_at,
             len(report.changed()), report.downloads, report.uploads, len(report.conflicts),
             len(report.stashed))
    return report


def pull(workdir: str | os.PathLike[str], library: Library, names: Iterable[str] | None = None,
         progress: Callable[[str], None] | None = None, workers: int = DEFAULT_WORKERS) -> SyncReport:
    """Bring the library's changes into the working copy without losing unpushed local edits."""
    return sync(workdir, library, "pull", names, progress, workers)


def push(workdir: str | os.PathLike[str], library: Library, names: Iterable[str] | None = None,
         progress: Callable[[str], None] | None = None, workers: int = DEFAULT_WORKERS) -> SyncReport:
    """Send local edits to the library, merging first where someone else changed the same file."""
    return sync(workdir, library, "push", names, progress, workers)
