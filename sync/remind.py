"""Chase the schools: one message per school that has not updated its tab this month or has errors.

    find_reminders(workdir, month) -> [Reminder] -> write_drafts(folder)      (default: .eml drafts)
                                                 -> send_reminders(mailer)    (--send: Graph sendMail)

Which workbooks: the cycle's selection (tomsync.toml's [cycle], else every .xlsx of the working copy
outside archive/ and reports/; a copy of an area, "NAME - Copy.xlsx", is read once, and of an area's
workbooks of two school years, after `session new -o NEW.xlsx`, the one whose session holds the
month), read from the
working copy as it stands (run `tomsync pull` or the cycle first). "Not updated" is the cycle's
`stale` rule (no Last updated in the month on the tab); "open errors" are the tab's error findings.
The deadline is the spec's ``[cycle] deadline_day`` of the month (the last day of a short month).
A Strategic Careers Plan (spec ``[plan]``) is termly: "not updated" counts from the start of the plan
term the month falls in, the deadline is the end of that term (its formal snapshot: 31 December,
31 March, 31 July), the message names the term, and a school's errors on the Plan and Compass sheets
(its own rows) are listed with its tab's.

Recipients are the school's ``contacts`` in the spec (staff work addresses: the DYW co-ordinator
and the SDS adviser), from the workbook's embedded spec or from ``--spec`` for workbooks built
before contacts were added. A message lists the findings as validation words them (values cut to
40 characters and personal-looking parts masked), never the tab's cells.

Sending goes through Graph ``POST /me/sendMail`` as the signed-in programme manager (delegated
Mail.Send, asked for by this command only). A sent-log in ``.tomsync/reminders-sent.json`` keeps, per
month, the schools already sent to: a second run sends only to the others unless ``again``. It is
written after every message, so a run that stops half-way forgets nothing it sent. Drafts are
rewritten freely. The log file and tomsync.log hold school IDs, counts and times, never an address
or a cell's text.
"""

from __future__ import annotations

import calendar
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

from sync.consolidate import area_identity, other_sessions
from sync.cycle import COPY_NAME, Selection, owner_files, select_workbooks
from sync.library import AuthError, LibraryError
from sync.state import STATE_DIR
from sync.update import local_files
from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.layout import COMPASS, PLAN
from workbook_templates.plan import cycle_term
from workbook_templates.reader import Limits, WorkbookData, WorkbookReadError, read_workbook
from workbook_templates.spec import Contact, School, Spec
from workbook_templates.validate import Finding, parse_month, validate

log = logging.getLogger("tomsync.remind")
SENT_LOG = "reminders-sent.json"
MAX_LISTED = 25  # findings listed in one message; the rest are counted


@dataclass
class Reminder:
    workbook: str  # the workbook's path in the working copy / library
    area: str
    title: str
    school: School
    month: str
    deadline: date
    not_updated: bool
    last_updated: date | None
    findings: list[Finding] = field(default_factory=list)  # the tab's errors
    period: str = ""  # a termly plan's term ("Autumn 2026"); empty: the month

    @property
    def key(self) -> str:
        """One school of one area: what the sent-log remembers (by the area, not the file name, so a
        workbook renamed or moved in the library is not reminded twice)."""
        return f"{self.area}#{self.school.id}"

    @property
    def recipients(self) -> list[Contact]:
        return list(self.school.contacts)


def deadline_of(month: str, day: int) -> date:
    first = parse_month(month)
    return first.replace(day=min(day, calendar.monthrange(first.year, first.month)[1]))


def _newest_update(spec: Spec, rows: Iterable[Any], today: date) -> date | None:
    col = spec.column("last_updated")
    if col is None:
        return None
    dates = [r.values.get(col.header) for r in rows]
    found = [d for d in dates if isinstance(d, date) and d <= today]
    return max(found) if found else None


def _ordered(books: list[str]) -> list[str]:
    """Originals before copies ("NAME - Copy.xlsx"), so the copy is the one left out."""
    def rank(name: str) -> tuple[bool, str]:
        stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return bool(COPY_NAME.search(stem)), name
    return sorted(books, key=rank)


def find_reminders(workdir: str | os.PathLike[str], month: str, today: date | None = None,
                   selection: Selection | None = None, limits: Limits | None = None,
                   contacts: Spec | None = None, skipped: list[tuple[str, str]] | None = None
                   ) -> tuple[list[Reminder], list[tuple[str, str]]]:
    """(the reminders due, in workbook and spec order; the workbooks that could not be read, why).
    ``contacts``: a spec whose schools' contacts replace the embedded ones (matched by school ID).
    ``skipped`` receives the workbooks read but not reminded, and why: another school year's copy of
    an area, or a month outside the workbook's session (July, say: nobody is chased in the summer)."""
    parse_month(month)
    work = Path(workdir)
    today = today or date.today()
    books, _ = select_workbooks([*local_files(work), *owner_files(work)], selection)
    out: list[Reminder] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    override = {s.id: s for s in contacts.schools} if contacts else {}
    read: list[tuple[str, WorkbookData]] = []
    for name in _ordered([b for b in books if (work / b).is_file()]):
        try:
            data = read_workbook(work / name, limits)
        except WorkbookReadError as exc:
            problems.append((name, str(exc)))
            continue
        identity = area_identity(data.meta)
        if identity in seen:
            continue  # a copy of an area already read
        seen.add(identity)
        read.append((name, data))
    years = other_sessions(month, [(n, d.spec.area, d.spec.session, d.spec.months) for n, d in read])
    for name, data in read:
        if name not in years and month not in data.spec.months:
            years[name] = (f"session {data.spec.session} runs {data.spec.months[0]} to "
                           f"{data.spec.months[-1]}, not {month}: no reminders")
    for name, why in years.items():
        log.info("remind %s: skipped %s: %s", month, name, why)
        if skipped is not None:
            skipped.append((name, why))
    for name, data in read:
        if name in years:
            continue  # another school year's workbook of the area, or a month outside the session
        spec = data.spec
        findings = validate(data, month, today)
        term = cycle_term(spec, month)
        for school in spec.schools:
            mine = [f for f in findings if f.sheet == school.sheet
                    or f.sheet in (PLAN, COMPASS) and f.row_id == school.id]
            stale = any(f.rule == "stale" for f in mine)
            errors = [f for f in mine if f.severity == "error"]
            if not stale and not errors:
                continue
            sheet = data.schools.get(school.sheet)
            last = _newest_update(spec, sheet.rows if sheet else [], today)
            known = override.get(school.id)
            who = School(school.id, school.name, known.contacts) if known and known.contacts else school
            due = term[2] if term else deadline_of(month, spec.deadline_day)
            out.append(Reminder(name, spec.area, spec.title, who, month, due, stale, last, errors,
                                term[0] if term else ""))
    log.info("remind %s: %d school(s) to remind in %d workbook(s); %d unreadable", month, len(out),
             len(seen), len(problems))
    return out, problems


# -- the message ----------------------------------------------------------------------------------

def month_name(month: str) -> str:
    first = parse_month(month)
    return f"{calendar.month_name[first.month]} {first.year}"


def subject(r: Reminder) -> str:
    """"TOM December 2026: ..."; a careers plan names itself and the term ("Strategic Careers Plan,
    Autumn 2026: ...")."""
    short = "TOM" if "Target Operating Model" in r.title else r.title.split(":")[0].strip() or "TOM"
    if r.period:
        return f"{short}, {r.period}: {r.school.name}, please update by {r.deadline:%d %B %Y}"
    return f"{short} {month_name(r.month)}: {r.school.name}, please update by {r.deadline:%d %B %Y}"


def body(r: Reminder, signature: str = "") -> str:
    """The text of the message: what is missing, what to put right, by when."""
    roles = " and ".join(dict.fromkeys(c.role for c in r.recipients)) or "colleagues"
    lines = [f"Dear {roles} at {r.school.name},", "",
             f"This is a reminder about the {r.area} {r.title} ({Path(r.workbook).name}) for "
             f"{r.period or month_name(r.month)}.", ""]
    if r.not_updated:
        when = f"the last update was on {r.last_updated:%d/%m/%Y}" if r.last_updated else \
            "it has no Last updated date yet"
        lines.append(f"- The {r.school.sheet} tab has not been updated in {r.period or month_name(r.month)} "
                     f"({when}).")
    if r.findings:
        on = f"the {r.school.sheet} tab and your school's Plan and Compass rows" \
            if any(f.sheet != r.school.sheet for f in r.findings) else \
            f"the {r.school.sheet} tab"
        lines.append(f"- {len(r.findings)} thing(s) on {on} need putting right:")
        for f in r.findings[:MAX_LISTED]:
            where = f"{f.cell} ({f.row_id})" if f.row_id else f.cell or f.sheet
            if f.sheet != r.school.sheet:
                where = f"{f.sheet} sheet {f.cell}"
            lines.append(f"    {where}: {f.message}")
        if len(r.findings) > MAX_LISTED:
            lines.append(f"    ... and {len(r.findings) - MAX_LISTED} more (the workbook's Validate button "
                         "lists them all)")
    if r.period:
        lines += ["", f"Please update the plan by {r.deadline:%A %d %B %Y}, the end of {r.period}: the "
                  f"Status and {r.period} rating of each action, review notes, evidence and the Last updated "
                  "date of each action you worked on, and your school's Compass row for the term.", "",
                  "Thank you,"]
    else:
        lines += ["", f"Please update the tab by {r.deadline:%A %d %B %Y}: Status, RAG, progress notes, "
                  "evidence and the Last updated date of each row you worked on.", "", "Thank you,"]
    if signature:
        lines.append(signature)
    return "\n".join(lines) + "\n"


def email_message(r: Reminder, sender: str = "", signature: str = "") -> EmailMessage:
    """The reminder as an e-mail; ``X-Unsent: 1`` makes Outlook open the .eml as a draft to send."""
    msg = EmailMessage()
    msg["Subject"] = subject(r)
    if sender:
        msg["From"] = sender
    msg["To"] = ", ".join(c.email for c in r.recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["X-Unsent"] = "1"
    msg.set_content(body(r, signature))
    return msg


def draft_name(r: Reminder) -> str:
    area = re.sub(r"[^A-Za-z0-9]+", "-", Path(r.workbook).stem).strip("-") or "workbook"
    return f"{r.month}-{area}-{r.school.id}.eml"


def write_drafts(reminders: list[Reminder], folder: str | os.PathLike[str], sender: str = "",
                 signature: str = "") -> list[Path]:
    """One .eml per reminder in ``folder`` (rewritten on every run; drafts send nothing)."""
    out = []
    for r in reminders:
        path = Path(folder) / draft_name(r)
        atomic_write_bytes(path, bytes(email_message(r, sender, signature)))
        out.append(path)
    log.info("remind: wrote %d draft(s)", len(out))
    return out


# -- sending --------------------------------------------------------------------------------------

class Mailer(Protocol):
    def send(self, to: list[str], subject: str, text: str) -> None: ...


class SentLog:
    """``.tomsync/reminders-sent.json``: month -> reminder key -> when it was sent and to how many."""

    def __init__(self, workdir: str | os.PathLike[str]) -> None:
        self.path = Path(workdir) / STATE_DIR / SENT_LOG
        try:
            self.data: dict[str, dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.data = {}
        except (OSError, ValueError) as exc:
            raise ValueError(f"{self.path}: cannot be read ({exc}); it keeps which reminders were sent, so "
                             "nothing is sent until it is repaired or removed") from None

    def sent(self, month: str, key: str) -> str | None:
        entry = self.data.get(month, {}).get(key)
        return str(entry["at"]) if isinstance(entry, dict) and "at" in entry else None

    def record(self, month: str, key: str, recipients: int) -> None:
        self.data.setdefault(month, {})[key] = {
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "recipients": recipients}
        atomic_write_bytes(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode())


@dataclass
class SendResult:
    sent: list[Reminder] = field(default_factory=list)
    already: list[tuple[Reminder, str]] = field(default_factory=list)  # (reminder, sent at)
    no_contacts: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder, str]] = field(default_factory=list)


def send_reminders(reminders: list[Reminder], mailer: Mailer, sent_log: SentLog, again: bool = False,
                   signature: str = "") -> SendResult:
    """Send each reminder not sent before this month (all of them with ``again``). A sign-in failure
    stops the run (AuthError); another failure is kept and the others are still sent."""
    result = SendResult()
    for r in reminders:
        at = sent_log.sent(r.month, r.key)
        if at and not again:
            result.already.append((r, at))
            continue
        if not r.recipients:
            result.no_contacts.append(r)
            continue
        try:
            mailer.send([c.email for c in r.recipients], subject(r), body(r, signature))
        except AuthError:
            raise
        except LibraryError as exc:
            log.warning("remind %s: %s: not sent: %s", r.month, r.key, type(exc).__name__)
            result.failed.append((r, str(exc)))
            continue
        sent_log.record(r.month, r.key, len(r.recipients))
        log.info("remind %s: sent %s to %d recipient(s)", r.month, r.key, len(r.recipients))
        result.sent.append(r)
    return result


class GraphMailer:
    """Sends through Microsoft Graph ``POST /me/sendMail`` (office365-rest-python-client), as the user
    whose token ``token`` returns (a TokenProvider asked for Mail.Send, or a plain token in tests)."""

    def __init__(self, token: Callable[[], Any], graph_url: str) -> None:
        from sync.sharepoint import _GraphClient

        self._source = token
        self.client = _GraphClient(self._token, graph_url.rstrip("/"))

    def _token(self) -> dict[str, Any]:
        token = self._source()
        if isinstance(token, dict):
            return token
        return {"token_type": "Bearer", "access_token": str(token)}

    def send(self, to: list[str], subject: str, text: str) -> None:
        from office365.runtime.client_request_exception import ClientRequestException

        try:
            self.client.me.send_mail(subject, text, to, save_to_sent_items=True).execute_query()
        except ClientRequestException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 401:
                raise AuthError("Graph refused the sign-in (401): sign in again") from None
            if status == 403:
                raise AuthError("Graph refused to send (403): the app needs the delegated Mail.Send "
                                "permission, and the signed-in user a mailbox") from None
            raise LibraryError(f"Graph sendMail failed (HTTP {status})") from None
