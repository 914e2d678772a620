"""The monthly cycle: pull, validate, roll up, snapshot, report, push.

    archive/YYYY-MM/<workbook>                   the month's snapshot of every area workbook
    archive/YYYY-MM/rollup.json                  per-school ratings, for later months' trends
    archive/YYYY-MM/rows.json                    every school row as it stood, for the exceptions
    reports/YYYY-MM/tom-report-YYYY-MM.xlsx      the consolidated report (and .html beside it)

Re-running a month whose inputs did not change does nothing: the pull downloads nothing (eTags are
unchanged) and an input fingerprint (month + the hash of every area workbook) recorded in the
archive says the outputs already stand, so nothing is rewritten or uploaded.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from sync.conflicts import FileConflict
from sync.consolidate import Consolidated, consolidate, load_history, read_areas
from sync.library import Library
from sync.propagate import SyncReport
from sync.rows import ROWS_FILE, load_row_history, rows_json
from sync.state import Archive, CycleRecord, sha256
from sync.update import local_files
from sync.workflow import pull, push
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.validate import parse_month

log = logging.getLogger("tomsync.cycle")
FORMAT_VERSION = "2"  # bump when the report changes shape, so old months are redone on request


class Progress(Protocol):
    def task(self, description: str, total: int) -> Callable[[], None]: ...


@dataclass
class CycleResult:
    month: str
    pulled: SyncReport
    pushed: SyncReport | None = None
    consolidated: Consolidated | None = None
    outputs: list[str] = field(default_factory=list)
    unchanged: bool = False

    @property
    def conflicts(self) -> list[FileConflict]:
        return [*self.pulled.conflicts, *(self.pushed.conflicts if self.pushed else [])]

    @property
    def unreadable(self) -> list[tuple[str, str]]:
        """Area workbooks that could not be read at all: (name, why)."""
        c = self.consolidated
        return [(a.name, a.error) for a in c.areas if a.error] if c else []


def area_workbooks(workdir: Path) -> list[str]:
    """Every workbook in the working copy except the cycle's own outputs."""
    return [n for n in local_files(workdir)
            if n.endswith(".xlsx") and not n.startswith(("archive/", "reports/"))]


def report_names(month: str) -> tuple[str, str]:
    base = f"reports/{month}/tom-report-{month}"
    return base + ".xlsx", base + ".html"


def archived_month(workdir: str | os.PathLike[str], month: str, today: date | None = None,
                   trend: bool = False) -> Consolidated:
    """The month as its cycle archived it: the area workbooks kept under archive/YYYY-MM, read and
    consolidated again (for `tomsync export` and `tomsync report school`; nothing is written), with
    the earlier months' trend when ``trend``. ValueError when none are kept."""
    parse_month(month)
    folder = Path(workdir) / "archive" / month
    found = folder.rglob("*.xlsx") if folder.is_dir() else []
    books = sorted(p.relative_to(folder).as_posix() for p in found)
    if not books:
        raise ValueError(f"no workbooks archived for {month} in {Path(workdir) / 'archive'}: run "
                         f"'tomsync cycle --month {month}' first")
    areas = read_areas([(b, folder / b) for b in books], month, today or date.today())
    first = next((a for a in areas if a.error is None), None)
    return consolidate(areas, month, load_history(folder.parent, month) if trend else None,
                       *(first.settings if first else ("score", 0.75, 0.4)),
                       row_history=load_row_history(folder.parent, month))


class ClosedMonth(ValueError):
    """Redoing a month that later months' trends already build on needs --force."""


def run_cycle(workdir: str | os.PathLike[str], library: Library, month: str, today: date | None = None,
              progress: Progress | None = None, force: bool = False) -> CycleResult:
    """One month's cycle on the working copy ``workdir`` against ``library``. Stops after the pull if
    it left a conflict; refuses to rewrite a month later months build on, unless ``force``."""
    from sync.report import write_report_html, write_report_xlsx

    parse_month(month)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    today = today or date.today()
    started = time.perf_counter()
    log.info("cycle %s: started (today %s, force %s)", month, today.isoformat(), force)
    result = CycleResult(month, pull(work, library))
    if result.pulled.conflicts:
        log.warning("cycle %s: stopped after the pull: %d conflict(s) to resolve", month,
                    len(result.pulled.conflicts))
        return result  # a report built from a copy that disagrees with the library would mislead
    books = area_workbooks(work)
    archive = Archive(work)
    fingerprint = sha256(json.dumps([FORMAT_VERSION, month, [(b, archive.local_hash(b)) for b in books]])
                         .encode())
    xlsx_name, html_name = report_names(month)
    done_before = archive.cycle(month)
    if done_before is not None and done_before.fingerprint == fingerprint and all(
            (work / o).exists() for o in done_before.outputs):
        result.outputs = list(done_before.outputs)
        result.pushed = push(work, library, result.outputs)  # only lists the library: pushes what a stop left
        result.unchanged = not result.pushed.changed()
        log.info("cycle %s: inputs unchanged (fingerprint %s), the outputs stand; %d upload(s) left over",
                 month, fingerprint[:12], result.pushed.uploads)
        return result
    later = sorted(p.name for p in (work / "archive").glob("*-*") if p.is_dir() and p.name > month)
    if later and (work / "archive" / month).exists() and not force:
        log.warning("cycle %s: refused: later months (%s) build on it and --force was not given", month,
                    ", ".join(later))
        raise ClosedMonth(f"{month} is archived and later months ({', '.join(later)}) build on it; the "
                          f"workbooks have changed since, so redoing {month} would rewrite its history. "
                          "Use --force to redo it anyway.")

    advance = progress.task(f"Reading {len(books)} workbook(s)", len(books)) if progress else None
    at = time.perf_counter()
    areas = read_areas([(b, work / b) for b in books], month, today, advance)
    log.info("cycle %s: read %d workbook(s) in %.1f s", month, len(books), time.perf_counter() - at)
    for a in areas:
        if a.error is not None:
            log.warning("cycle %s: %s could not be read; its schools are left out", month, a.name)
    first = next((a for a in areas if a.error is None), None)
    history = load_history(work / "archive", month)
    settings = first.settings if first else ("score", 0.75, 0.4)
    result.consolidated = c = consolidate(areas, month, history, *settings,
                                          row_history=load_row_history(work / "archive", month))

    readable = [a.name for a in areas if a.error is None]  # an unreadable file is neither kept nor pushed
    for b in readable:
        atomic_write_bytes(work / "archive" / month / b, (work / b).read_bytes())
    atomic_write_bytes(work / "archive" / month / "rollup.json",
                       json.dumps(c.snapshot(), indent=1, sort_keys=True).encode())
    atomic_write_bytes(work / "archive" / month / ROWS_FILE, rows_json(month, c.rows))
    write_report_xlsx(c, work / xlsx_name)
    write_report_html(c, work / html_name)
    result.outputs = [f"archive/{month}/{b}" for b in readable] + [f"archive/{month}/rollup.json",
                                                                   f"archive/{month}/{ROWS_FILE}",
                                                                   xlsx_name, html_name]
    log.info("cycle %s: wrote %d output(s): %d error(s), %d warning(s) found", month, len(result.outputs),
             c.errors, c.warnings)
    result.pushed = push(work, library, result.outputs)
    log.info("cycle %s: done in %.1f s: %d upload(s), %d conflict(s)", month, time.perf_counter() - started,
             result.pushed.uploads, len(result.pushed.conflicts))
    if result.pushed.ok:
        done = Archive(work)  # re-read: push has recorded the uploads
        done.record_cycle(CycleRecord(month, fingerprint, list(result.outputs)))
        done.save()
    return result

