"""The monthly cycle: pull, validate, roll up, snapshot, report, push.

    archive/YYYY-MM/<workbook>                   the month's snapshot of every area workbook
    archive/YYYY-MM/rollup.json                  per-school ratings, for later months' trends
    archive/YYYY-MM/rows.json                    every school row as it stood, for the exceptions
    reports/YYYY-MM/tom-report-YYYY-MM.xlsx      the consolidated report (and .html beside it)

Which workbooks are consolidated is explicit (`Selection`, from tomsync.toml's ``[cycle]``): the
workbooks listed, or those matching a pattern, or by default every .xlsx in the library outside
archive/ and reports/. Two files of the same area (the same embedded spec and master fingerprint, as
"NAME - Copy.xlsx" or "NAME (1).xlsx" that Explorer or OneDrive make) are never added together: the
one listed first, else the original name, is kept and the copy is named. Every file the cycle does
not read (.xls, .csv, ~$ owner files, anything else) is named with the reason (`CycleResult.skipped`).

Re-running a month whose inputs did not change does nothing: the pull downloads nothing (eTags are
unchanged) and an input fingerprint (month + the hash of every area workbook) recorded in the
archive says the outputs already stand, so nothing is rewritten or uploaded.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from sync.conflicts import FileConflict
from sync.consolidate import AreaResult, Consolidated, consolidate, load_history, other_sessions, read_areas
from sync.library import Library
from sync.propagate import SyncReport
from sync.rows import ROWS_FILE, load_row_history, rows_json
from sync.state import Archive, CycleRecord, sha256
from sync.update import CONFLICT_SUFFIXES, local_files
from sync.workflow import pull, push
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.reader import Limits
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

    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why): files not consolidated

    @property
    def refused(self) -> list[tuple[str, str]]:
        """Broken files the sync left alone (name, why): a broken library copy did not replace ours."""
        return [*self.pulled.refused, *(self.pushed.refused if self.pushed else [])]

    @property
    def unreadable(self) -> list[tuple[str, str]]:
        """Area workbooks that could not be read at all: (name, why)."""
        c = self.consolidated
        return [(a.name, a.error) for a in c.areas if a.error] if c else []


OUTPUT_FOLDERS = ("archive/", "reports/")
MONTH_DIR = re.compile(r"\d{4}-(0[1-9]|1[0-2])")  # archive/YYYY-MM (archive/2026-27 is a session's)
COPY_NAME = re.compile(r"( - Copy( \(\d+\))?| - Kopie| \(\d+\)|-[A-Za-z0-9]+-[A-Za-z0-9-]*\d)$|^Copy of ",
                       re.IGNORECASE)  # Explorer, Office, OneDrive ("NAME-LAPTOP-1.xlsx") copies


@dataclass(frozen=True)
class Selection:
    """Which library files the cycle consolidates: ``workbooks`` listed by name (paths in the library),
    else those matching ``pattern`` (fnmatch, on the path; `*` also matches `/`), else every .xlsx."""

    workbooks: tuple[str, ...] = ()
    pattern: str | None = None

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], where: str = "[cycle]") -> Selection:
        """From tomsync.toml's [cycle] table; ValueError with one line for anything else."""
        unknown = sorted(set(section) - {"workbooks", "pattern"})
        if unknown:
            raise ValueError(f"{where} {unknown[0]}: unknown key (known: workbooks, pattern)")
        books, pattern = section.get("workbooks", []), section.get("pattern")
        if not isinstance(books, list) or not all(isinstance(b, str) and b.strip() for b in books):
            raise ValueError(f"{where} workbooks: must be a list of file names, e.g. [\"borders.xlsx\"]")
        if pattern is not None and (not isinstance(pattern, str) or not pattern.strip()):
            raise ValueError(f"{where} pattern: must be a file pattern such as \"*.xlsx\"")
        if books and pattern is not None:
            raise ValueError(f"{where}: give workbooks or pattern, not both")
        return cls(tuple(b.strip().replace("\\", "/") for b in books), pattern)

    def describe(self) -> str:
        return ("not listed in [cycle] workbooks" if self.workbooks else
                f"does not match [cycle] pattern {self.pattern!r}" if self.pattern else "")


def _why_skipped(name: str, selection: Selection) -> str:
    base = name.rsplit("/", 1)[-1].lower()
    if base.startswith("~$"):
        return "an Excel owner file (someone has the workbook open); not a workbook"
    if base.endswith(".xls"):
        return "an old .xls workbook: the cycle reads .xlsx only; open it in Excel and save it as .xlsx"
    if base.endswith(".xlsm") or base.endswith(".xlsb"):
        return "not an .xlsx workbook (macro-enabled or binary); save it as .xlsx to include it"
    if base.endswith(".csv"):
        return "a CSV file, not a TOM workbook"
    if base.endswith(".xlsx"):
        return selection.describe() or "not selected"
    return "not a workbook"


def select_workbooks(names: Iterable[str], selection: Selection | None = None
                     ) -> tuple[list[str], list[tuple[str, str]]]:
    """(the workbooks to consolidate, in order; the other files with the reason), from the file names
    of the library and the working copy. The cycle's own outputs and sync's files are not named."""
    selection = selection or Selection()
    every = sorted({n for n in names if not n.startswith(OUTPUT_FOLDERS) and not n.endswith(CONFLICT_SUFFIXES)
                    and not any(p.startswith(".") for p in n.split("/"))})
    if selection.workbooks:
        chosen = [b for b in dict.fromkeys(selection.workbooks) if b in every]
        missing = [(b, "listed in [cycle] workbooks but not in the library") for b in selection.workbooks
                   if b not in every]
    else:
        chosen = [n for n in every if n.endswith(".xlsx") and not n.rsplit("/", 1)[-1].startswith("~$")
                  and (selection.pattern is None or fnmatch.fnmatchcase(n, selection.pattern))]
        missing = []
    skipped = [(n, _why_skipped(n, selection)) for n in every if n not in chosen]
    return chosen, missing + skipped


def owner_files(workdir: Path) -> list[str]:
    """Excel's ``~$NAME.xlsx`` owner files in the working copy (sync never carries them), to be named."""
    out = []
    for root, dirs, files in os.walk(workdir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        out += [(Path(root) / f).relative_to(workdir).as_posix() for f in files if f.startswith("~$")]
    return sorted(out)


def _copy_rank(name: str) -> tuple[bool, str]:
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return bool(COPY_NAME.search(stem)), name


def drop_copies(areas: list[AreaResult], selection: Selection | None = None, month: str = ""
                ) -> tuple[list[AreaResult], list[tuple[str, str]]]:
    """One workbook per area: of files with the same identity (embedded spec and master fingerprint),
    the one listed first, else the original name (no "- Copy", "(1)"...), else the first by name.
    With ``month``, an area's workbook of another school year is left out too (`other_sessions`)."""
    listed = {b: i for i, b in enumerate(selection.workbooks)} if selection else {}
    if month:
        years = other_sessions(month, [(a.name, a.area, a.session, a.months) for a in areas
                                       if a.error is None])
        areas = [a for a in areas if a.name not in years]
    else:
        years = {}
    groups: dict[str, list[AreaResult]] = {}
    for a in areas:
        if a.error is None and a.identity:
            groups.setdefault(a.identity, []).append(a)
    dropped: dict[str, str] = {}
    for same in groups.values():
        if len(same) > 1:
            keep = min(same, key=lambda a: (listed.get(a.name, len(listed)), *_copy_rank(a.name)))
            for a in same:
                if a is not keep:
                    dropped[a.name] = (f"the same area as {keep.name} (same spec and master): a copy, not "
                                       "added in; delete it or move it out of the library")
    return [a for a in areas if a.name not in dropped], [*years.items(), *dropped.items()]


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
    areas, _ = drop_copies(read_areas([(b, folder / b) for b in books], month, today or date.today()),
                           month=month)
    first = next((a for a in areas if a.error is None), None)
    return consolidate(areas, month, load_history(folder.parent, month) if trend else None,
                       *(first.settings if first else ("score", 0.75, 0.4)),
                       row_history=load_row_history(folder.parent, month))


class ClosedMonth(ValueError):
    """Redoing a month that later months' trends already build on needs --force."""


def run_cycle(workdir: str | os.PathLike[str], library: Library, month: str, today: date | None = None,
              progress: Progress | None = None, force: bool = False, selection: Selection | None = None,
              limits: Limits | None = None) -> CycleResult:
    """One month's cycle on the working copy ``workdir`` against ``library``. Stops after the pull if
    it left a conflict; refuses to rewrite a month later months build on, unless ``force``.
    ``selection``: which workbooks (default: every .xlsx outside archive/ and reports/); ``limits``:
    what one workbook may cost to read (a workbook over them is named and left out)."""
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
    books, result.skipped = select_workbooks([*local_files(work), *owner_files(work),
                                              *(f.name for f in library.list())], selection)
    books = [b for b in books if (work / b).is_file()]
    for name, why in result.skipped:
        log.info("cycle %s: skipped %s: %s", month, name, why)
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
    later = sorted(p.name for p in (work / "archive").glob("*-*")  # months only: not archive/2026-27,
                   if p.is_dir() and MONTH_DIR.fullmatch(p.name) and p.name > month)  # a session's
    if later and (work / "archive" / month).exists() and not force:
        log.warning("cycle %s: refused: later months (%s) build on it and --force was not given", month,
                    ", ".join(later))
        raise ClosedMonth(f"{month} is archived and later months ({', '.join(later)}) build on it; the "
                          f"workbooks have changed since, so redoing {month} would rewrite its history. "
                          "Use --force to redo it anyway.")

    advance = progress.task(f"Reading {len(books)} workbook(s)", len(books)) if progress else None
    at = time.perf_counter()
    areas = read_areas([(b, work / b) for b in books], month, today, advance, limits=limits)
    areas, copies = drop_copies(areas, selection, month)
    if copies:
        result.skipped += copies
        for name, why in copies:
            log.warning("cycle %s: skipped %s: %s", month, name, why)
        if len(areas) == 1 < len(books):  # one area after all: its schools are labelled without it
            areas = read_areas([(areas[0].name, work / areas[0].name)], month, today, limits=limits)
    log.info("cycle %s: read %d workbook(s) in %.1f s", month, len(books), time.perf_counter() - at)
    for a in areas:
        if a.error is not None:
            log.warning("cycle %s: %s could not be read; its schools are left out", month, a.name)
    first = next((a for a in areas if a.error is None), None)
    history = load_history(work / "archive", month)
    settings = first.settings if first else ("score", 0.75, 0.4)
    result.consolidated = c = consolidate(areas, month, history, *settings,
                                          row_history=load_row_history(work / "archive", month))
    c.skipped = list(result.skipped)

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

