"""Sync month and Save to library for the hosted add-in: on a library, as whoever the library's token
belongs to, with nothing kept on the server between runs.

Why no server state: the hosted add-in may run as several instances behind a load balancer, and any
of them may answer the next press. So everything a month needs lives in the library itself:

    archive/YYYY-MM/...              the month's snapshots and summaries (as `tomsync cycle` writes them)
    reports/YYYY-MM/...              the month's report
    .tomsync/months/YYYY-MM.json     the month's claim: who runs (or ran) it, when, how it ended, the
                                     input fingerprint and outputs of the last good run

A run claims the month first, with a conditional create (``If-None-Match: *``; Graph:
``conflictBehavior=fail``), or, for a month that ran before (or whose run died over `STALE_AFTER`
ago), by replacing the claim with ``If-Match`` on the version it read. Of two people pressing at once
exactly one gets the claim; the other is told who runs it (`MonthBusy`). The run works in a temporary
folder, removed afterwards: it pulls the area workbooks, the earlier months' summaries (for trends and
exceptions) and this month's outputs (never the earlier months' workbook snapshots or reports, through
`MonthView`), runs `sync.cycle.run_cycle` exactly as ``tomsync cycle`` does, and ends by rewriting its
claim with ``If-Match``. A month whose inputs did not change since its last good run writes nothing.

Progress goes into the claim too (`ClaimProgress`): the phase and "k of n workbooks", written at most
every `PROGRESS_EVERY` seconds by one background thread, each write with ``If-Match`` on the claim's
own last version (a claim another run took over is never overwritten: the run stops reporting). So
whichever instance answers the task pane's poll reads it from the library (`month_status`). The
writes double as a heartbeat: a claim is stale when neither its start nor its last progress write is
younger than `STALE_AFTER`, so a long run is not taken over while it still reports.

Save to library merges a copy opened from a local disk into the library's file, under push's rules:
only our changes go in (`sync.merge`, three-way, cell by cell), the upload carries ``If-Match``, and a
conflict writes nothing and lists the cells. A local copy does not say which version it came from, so
the base is found in the file's version history: the version closest to the copy, cell by cell, out of
the last `HISTORY_DEPTH`, and of equally close ones the oldest. Why the oldest: a base older than the
real one can only turn a colleague's edit into a conflict, while a newer one would read their edit as
ours undoing it, and overwrite it. So a cell both changed is always a conflict, never a silent loss.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sync.cycle import ClosedMonth, CycleResult, Selection, report_names, run_cycle
from sync.library import Library, LibraryError, RemoteChanged, RemoteFile, RemoteNotFound
from sync.merge import ID_HEADER, Conflict, cells_changed, merge_workbooks
from sync.propagate import unreadable_side
from sync.state import Archive, CycleRecord, sha256
from sync.workflow import pull
from workbook_templates.layout import MASTER
from workbook_templates.reader import embedded_spec, first_line
from workbook_templates.validate import parse_month

log = logging.getLogger("tomsync.hosted")  # months, counts and outcomes: never names of people or cells
CLAIMS = ".tomsync/months"
STALE_AFTER = timedelta(minutes=30)  # a "running" claim older than this is a run that died
HISTORY_DEPTH = 10  # versions of a file looked at to find the one a local copy came from
PROGRESS_EVERY = 2.0  # seconds: at most one progress write to the claim per interval
HEARTBEAT_EVERY = 60.0  # seconds: a write even without news, so a live long run never looks stale


class MonthBusy(LibraryError):
    """Somebody else holds the month's claim: it is running now."""


class SaveRefused(LibraryError):
    """Save to library will not write this copy; the message says why and what to do."""


# -- the month's claim ------------------------------------------------------------------------------

@dataclass
class Claim:
    """``.tomsync/months/YYYY-MM.json``: the month's run, as the library records it."""

    month: str
    by: str
    started: str  # ISO 8601, UTC
    status: str = "running"  # running, done, failed
    finished: str | None = None
    outcome: str = ""  # the run's one line
    fingerprint: str | None = None  # of the last good run's inputs (`sync.cycle`)
    outputs: list[str] = field(default_factory=list)
    report_url: str | None = None
    step: str = ""  # while running: start, pull, read, report, upload
    progress: str = ""  # while running: one line for the task pane ("Reading the workbooks: 3 of 12 done")
    done: int = 0
    total: int = 0  # 0: not known
    updated: str | None = None  # ISO 8601, UTC: the last progress write
    etag: str = field(default="", compare=False)

    def to_bytes(self) -> bytes:
        doc = {k: v for k, v in asdict(self).items() if k != "etag"}
        return json.dumps(doc, indent=1).encode()

    @classmethod
    def from_bytes(cls, data: bytes, etag: str) -> Claim:
        doc = json.loads(data)
        known = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc and k != "etag"}
        return cls(**known, etag=etag)


def claim_name(month: str) -> str:
    return f"{CLAIMS}/{month}.json"


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ") + " UTC"


def claim_month(library: Library, month: str, who: str, now: datetime | None = None
                ) -> tuple[Claim, Claim | None]:
    """Take the month's claim for ``who``: (our claim, the one it replaced, if any). `MonthBusy` when
    another run holds it; at most one of any number of simultaneous callers succeeds."""
    now = now or datetime.now(UTC)
    name = claim_name(month)
    mine = Claim(month, who, now.isoformat(timespec="seconds"), step="start", progress="Starting")
    try:
        mine.etag = library.upload(name, mine.to_bytes(), None).etag
        return mine, None
    except RemoteChanged:
        pass  # a claim exists: a run before this one, or one running now
    data, remote = library.download(name)
    try:
        before = Claim.from_bytes(data, remote.etag)
    except (ValueError, TypeError):
        before = Claim(month, "somebody", now.isoformat(timespec="seconds"), status="failed",
                       etag=remote.etag)
    alive = max(datetime.fromisoformat(t) for t in (before.started, before.updated) if t)
    if before.status == "running" and now - alive < STALE_AFTER:
        raise MonthBusy(f"Sync month {month} is already running: started by {before.by} at "
                        f"{_when(before.started)}; try again when it has finished")
    mine.fingerprint, mine.outputs, mine.report_url = before.fingerprint, before.outputs, before.report_url
    try:
        mine.etag = library.upload(name, mine.to_bytes(), before.etag).etag
    except RemoteChanged:  # somebody claimed it between our read and our write
        data, remote = library.download(name)
        other = Claim.from_bytes(data, remote.etag)
        raise MonthBusy(f"Sync month {month} is already running: started by {other.by} at "
                        f"{_when(other.started)}; try again when it has finished") from None
    return mine, before


def release(library: Library, claim: Claim) -> None:
    """Write the claim's end with If-Match on our own version (a claim taken over since is left alone)."""
    try:
        library.upload(claim_name(claim.month), claim.to_bytes(), claim.etag)
    except RemoteChanged:
        log.warning("month %s: the claim was taken over before this run ended; not rewritten", claim.month)


# -- progress, in the claim -------------------------------------------------------------------------

class ClaimProgress:
    """The run's progress, written into its claim for the task pane (see the module's docstring).

    The run's threads only change the fields in memory (`phase`, `advance`, and `task`, the cycle's
    progress protocol); one background thread writes the claim when something changed, at most every
    ``every`` seconds (and every `HEARTBEAT_EVERY` without news). A failed write is logged and tried
    again at the next interval; a claim taken over by another run ends the reporting."""

    def __init__(self, library: Library, claim: Claim, every: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.library, self.claim, self.clock = library, claim, clock
        self.every = PROGRESS_EVERY if every is None else every
        self.lock = threading.Lock()  # the claim's fields and etag
        self.dirty, self.lost = False, False
        self.last_write = clock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> ClaimProgress:
        self.thread = threading.Thread(target=self._run, name=f"progress {self.claim.month}", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop writing (the run's end is written by `release`, with the etag of the last write)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()

    def phase(self, step: str, text: str, done: int = 0, total: int = 0) -> None:
        with self.lock:
            c = self.claim
            c.step, c.progress, c.done, c.total = step, text, done, total
            self.dirty = True

    def advance(self, step: str, text: Callable[[int, int], str]) -> None:
        """One more of the current step (a file pulled, a workbook read...): ``text(done, total)``."""
        with self.lock:
            c = self.claim
            if c.step != step:
                c.step, c.done, c.total = step, 0, 0
            c.done += 1
            c.progress = text(c.done, c.total)
            self.dirty = True

    def task(self, description: str, total: int) -> Callable[[], None]:
        """The cycle's progress protocol: it reads ``total`` workbooks (and then rolls up and reports)."""
        if total:
            self.phase("read", f"Reading the workbooks: 0 of {total} done", 0, total)
        else:
            self.phase("report", "Rolling up and writing the report")

        def one() -> None:
            self.advance("read", lambda k, n: f"Reading the workbooks: {k} of {n} done")
            with self.lock:
                if self.claim.done >= self.claim.total:  # the last one: rolling up comes next
                    self.claim.step, self.claim.progress = "report", "Rolling up and writing the report"
        return one

    def _run(self) -> None:
        while not self.stopping.wait(self.every):
            self.flush()

    def flush(self) -> None:
        """Write the claim if something changed (or the heartbeat is due), with If-Match."""
        with self.lock:
            due = self.clock() - self.last_write >= HEARTBEAT_EVERY
            if self.lost or not (self.dirty or due):
                return
            self.claim.updated = datetime.now(UTC).isoformat(timespec="seconds")
            data, etag = self.claim.to_bytes(), self.claim.etag
            self.dirty = False
        try:
            written = self.library.upload(claim_name(self.claim.month), data, etag)
        except RemoteChanged:
            log.warning("month %s: the claim was taken over during the run; progress no longer written",
                        self.claim.month)
            with self.lock:
                self.lost = True
            return
        except LibraryError as exc:  # progress is best effort: the run goes on, the next write may work
            log.warning("month %s: progress not written: %s", self.claim.month, first_line(exc))
            with self.lock:
                self.dirty = True
            return
        with self.lock:
            self.claim.etag, self.last_write = written.etag, self.clock()


def month_status(library: Library, month: str, now: datetime | None = None) -> dict[str, Any]:
    """The month's claim as the task pane shows it while Sync month runs: ``running`` (a live run),
    ``by``, ``started``, ``state`` (the claim's status: running, done, failed; none before a first
    run), ``progress`` (one line; the outcome once ended), ``step``, ``done`` and ``total``."""
    parse_month(month)
    try:
        data, remote = library.download(claim_name(month))
    except RemoteNotFound:
        return {"month": month, "running": False, "state": "none", "progress": ""}
    try:
        c = Claim.from_bytes(data, remote.etag)
    except (ValueError, TypeError):
        return {"month": month, "running": False, "state": "unreadable", "progress": ""}
    alive = max(datetime.fromisoformat(t) for t in (c.started, c.updated) if t)
    running = c.status == "running" and (now or datetime.now(UTC)) - alive < STALE_AFTER
    return {"month": month, "running": running, "state": c.status, "by": c.by, "started": c.started,
            "progress": c.progress if running else c.outcome, "step": c.step if running else "",
            "done": c.done, "total": c.total}


# -- what the run pulls ----------------------------------------------------------------------------

class MonthView:
    """The library as one month's run needs it: earlier months' workbook snapshots and reports are
    left out of the listing (the run reads only their summaries), so a stateless run pulls the area
    workbooks, the summaries and this month's outputs, not the whole archive. Writes go through."""

    def __init__(self, library: Library, month: str, progress: ClaimProgress | None = None) -> None:
        self.library, self.month, self.progress = library, month, progress

    def _wanted(self, name: str) -> bool:
        parts = name.split("/")
        if len(parts) > 2 and parts[0] == "reports":
            return parts[1] == self.month
        if len(parts) > 2 and parts[0] == "archive":
            return parts[1] == self.month or name.endswith(".json")
        return True

    def list(self, folder: str = "") -> list[RemoteFile]:
        return [f for f in self.library.list(folder) if self._wanted(f.name)]

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        got = self.library.download(name)
        if self.progress is not None:
            self.progress.advance("pull", lambda k, _: f"Pulling from the library: {k} file(s)")
        return got

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        sent = self.library.upload(name, data, if_match)
        if self.progress is not None:
            self.progress.advance("upload", lambda k, _: f"Uploading to the library: {k} file(s)")
        return sent

    def __repr__(self) -> str:
        return f"MonthView({self.library!r}, {self.month!r})"


# -- Sync month -------------------------------------------------------------------------------------

@dataclass
class MonthOutcome:
    """What the task pane shows after Sync month."""

    month: str
    message: str  # one line
    ok: bool = True
    rated: list[tuple[str, str]] = field(default_factory=list)  # (school, rolled-up RAG)
    not_updated: list[str] = field(default_factory=list)  # schools whose tab was not updated this month
    errors: list[str] = field(default_factory=list)  # one line each
    report_url: str | None = None
    unchanged: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _web_url(library: Library, name: str) -> str | None:
    find: Callable[[str], str | None] | None = getattr(library, "web_url", None)
    return find(name) if find is not None else None


def _describe(result: CycleResult, library: Library) -> MonthOutcome:
    month = result.month
    out = MonthOutcome(month, "", unchanged=result.unchanged)
    out.errors += [f"{c.name}: a conflict in the library; resolve it with tomsync resolve"
                   for c in result.conflicts]
    out.errors += [f"{name}: {why}" for name, why in result.refused]
    out.errors += [f"{name}: could not be read ({why})" for name, why in result.unreadable]
    c = result.consolidated
    if c is not None:
        out.rated = [(" / ".join(g.key.values()), g.rag) for g in c.by_school.groups if g.rag]
        out.not_updated = [school for school, _ in c.not_updated]
        if c.errors:
            out.errors.append(f"{c.errors} validation error(s) and {c.warnings} warning(s) in the workbooks: "
                              "see the report")
    out.report_url = _web_url(library, report_names(month)[0])
    out.ok = not result.conflicts and (result.pushed is None or result.pushed.ok)
    if result.unchanged:
        out.message = f"{month}: nothing changed since the last run; the report stands"
    elif c is not None:
        out.message = (f"{month}: {len(out.rated)} school(s) rated, {len(out.not_updated)} not updated, "
                       f"{len(out.errors)} problem(s)")
    else:
        out.message = f"{month}: stopped: {out.errors[0] if out.errors else 'nothing to consolidate'}"
    return out


def sync_month(library: Library, month: str, who: str, today: date | None = None,
               selection: Selection | None = None, temp_parent: Path | None = None,
               progress_every: float | None = None) -> MonthOutcome:
    """Run ``tomsync cycle`` for ``month`` on ``library`` (whose token is the user's), in a temporary
    folder removed afterwards, reporting progress in the claim every ``progress_every`` seconds
    (default `PROGRESS_EVERY`). `MonthBusy` when another run holds the month; other failures are the
    outcome's one line (and the claim records them)."""
    parse_month(month)
    claim, before = claim_month(library, month, who)
    log.info("month %s: claimed (%s)", month, "again" if before else "first run")
    outcome: MonthOutcome | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="tom-month-", dir=temp_parent,
                                         ignore_cleanup_errors=True) as tmp, \
                ClaimProgress(library, claim, progress_every) as progress:
            work = Path(tmp)
            progress.phase("pull", "Pulling from the library")
            view = MonthView(library, month, progress)
            if before is not None and before.fingerprint and before.outputs:
                seed = Archive(work)  # the last good run, so unchanged inputs write nothing
                seed.record_cycle(CycleRecord(month, before.fingerprint, list(before.outputs)))
                seed.save()
                pull(work, view, names=[n for n in before.outputs if n.startswith("reports/")])
            result = run_cycle(work, view, month, today, progress=progress, selection=selection)
            described = _describe(result, library)
            record = Archive(work).cycle(month)
        # the claim's end, after the progress writer stopped (it must not write "done" early)
        outcome = described
        if record is not None:
            claim.fingerprint, claim.outputs = record.fingerprint, list(record.outputs)
        claim.report_url = outcome.report_url
        claim.status = "done" if outcome.ok else "failed"
    except (ClosedMonth, LibraryError, ValueError, OSError) as exc:
        outcome = MonthOutcome(month, f"{month}: {first_line(exc)}", ok=False, errors=[first_line(exc)])
        claim.status = "failed"
    finally:
        claim.finished = datetime.now(UTC).isoformat(timespec="seconds")
        claim.step, claim.progress = "", ""
        if outcome is None:
            claim.status, claim.outcome = "failed", "stopped by an internal error"
        else:
            claim.outcome = outcome.message
        release(library, claim)
    log.info("month %s: %s (%d rated, %d not updated, %d problem(s))", month, claim.status,
             len(outcome.rated), len(outcome.not_updated), len(outcome.errors))
    return outcome


# -- Save to library -------------------------------------------------------------------------------

@dataclass
class SaveOutcome:
    """What the task pane shows after Save to library: one line, and the clashing cells if any."""

    message: str
    ok: bool = True
    conflicts: list[dict[str, str]] = field(default_factory=list)  # sheet, cell, row_id, yours, library's
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _show(value: object) -> str:
    return "" if value is None else str(value)[:80]


def _find(library: Library, name: str) -> str | None:
    """The library file a local copy called ``name`` is saved to: the one file of that name (case
    ignored, as SharePoint does), the top-level one if several; None if there is none."""
    same = [f.name for f in library.list() if f.name.rsplit("/", 1)[-1].lower() == name.lower()
            and not f.name.startswith(("archive/", "reports/"))]
    top = [n for n in same if "/" not in n]
    if len(top) == 1 or len(same) == 1:
        return (top or same)[0]
    if same:
        raise SaveRefused(f"{len(same)} files called {name} in the library ({', '.join(sorted(same))}); "
                          "open the one you mean from SharePoint instead")
    return None


def find_base(library: Library, name: str, ours: bytes, theirs: bytes) -> bytes:
    """The version of ``name`` the local copy ``ours`` came from (see the module's docstring)."""
    versions: Callable[[str], list[str]] | None = getattr(library, "versions", None)
    fetch: Callable[[str, str], bytes] | None = getattr(library, "download_version", None)
    if versions is None or fetch is None:
        raise SaveRefused(f"{name}: this library keeps no version history, so the version your copy came "
                          "from cannot be found; open the file from the library instead")
    best, best_diff = theirs, sum(cells_changed(theirs, ours).values())
    for version in versions(name)[1:HISTORY_DEPTH]:  # [0] is the current version: theirs
        if best_diff == 0:
            break
        old = fetch(name, version)
        if unreadable_side(old, old) is not None:
            continue
        diff = sum(cells_changed(old, ours).values())
        if diff <= best_diff:  # equally close: the older one (see the module's docstring)
            best, best_diff = old, diff
    return best


def save_copy(library: Library, filename: str, ours: bytes, may_change_master: bool,
              rounds: int = 2) -> SaveOutcome:
    """Merge the local copy ``ours`` (a workbook called ``filename``) into the library's file of that
    name, as push does, or add it when the library has none. Nothing is written on a conflict, on a
    copy that cannot be read, or (unless ``may_change_master``) on a copy that changes the Master tab."""
    broken = unreadable_side(ours, ours)
    if broken is not None:
        raise SaveRefused(f"{filename}: {broken}; nothing was saved")
    name = _find(library, filename)
    if name is None:
        if not may_change_master:  # a new area workbook brings its own Master
            raise SaveRefused(f"{filename} is not in the library; adding a new workbook (with its Master) "
                              "needs the TOM.ProgrammeManager role")
        library.upload(filename, ours, None)
        return SaveOutcome(f"{filename} was not in the library: added it", url=_web_url(library, filename))
    for _ in range(rounds):
        theirs, remote = library.download(name)
        if sha256(theirs) == sha256(ours):
            return SaveOutcome(f"{name} is already the same as the library's", url=_web_url(library, name))
        broken = unreadable_side(ours, theirs)
        if broken is not None:
            raise SaveRefused(f"{name}: {broken}; nothing was saved")
        base = find_base(library, name, ours, theirs)
        if not may_change_master and MASTER in cells_changed(base, ours):
            raise SaveRefused(f"{name}: your copy changes the {MASTER} tab, which only the "
                              "TOM.ProgrammeManager role may change; nothing was saved")
        spec = embedded_spec(theirs) or embedded_spec(ours)
        result = merge_workbooks(base, ours, theirs, id_header=spec.id_header if spec else ID_HEADER)
        if result.merged is not None and not result.changes:
            return SaveOutcome(f"{name}: nothing of yours to add; the library already holds it",
                               url=_web_url(library, name))
        if result.merged is None:
            clashes = [_clash(c) for c in result.conflicts]
            return SaveOutcome(f"{name}: {len(clashes)} cell(s) were changed differently in the library; "
                               "nothing was saved: agree the values, then save again", ok=False,
                               conflicts=clashes)
        try:
            library.upload(name, result.merged, remote.etag)
        except RemoteChanged:
            continue  # saved by somebody in between: merge again onto theirs
        log.info("save: merged %d change(s) into a library file", len(result.changes))
        return SaveOutcome(f"{name}: saved to the library ({len(result.changes)} change(s) merged)",
                           url=_web_url(library, name))
    return SaveOutcome(f"{name} kept changing in the library while saving; nothing was saved: try again",
                       ok=False)


def _clash(c: Conflict) -> dict[str, str]:
    return {"sheet": c.sheet, "cell": c.cell, "row_id": c.row_id or "", "base": _show(c.base),
            "yours": _show(c.ours), "library": _show(c.theirs)}


__all__ = ["CLAIMS", "Claim", "ClaimProgress", "MonthBusy", "MonthOutcome", "MonthView", "RemoteNotFound",
           "SaveOutcome", "SaveRefused", "claim_month", "find_base", "month_status", "release", "save_copy",
           "sync_month"]
