"""`tomsync remind`: drafts per school that did not update or has errors, sending through the Graph
test server, and the never-twice guard."""

from __future__ import annotations

import email
import email.policy
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from sync.auth import TokenProvider
from sync.remind import GraphMailer, SentLog, find_reminders, send_reminders, write_drafts
from tests.sync.graph_server import FakeGraph
from tests.workbook_templates.helpers import SCOT, fill
from tomsync import cli
from workbook_templates.spec import load_spec, shipped_spec_path
from workbook_templates.template import write_template

TODAY = date(2026, 11, 20)
MONTH = "2026-11"
NOTE = "Met the careers team about the S4 fair"  # cell text that must never reach a log
CONTACTS = {
    "HAW": [{"role": "DYW co-ordinator", "email": "dyw.hawick@borders.example.org"},
            {"role": "SDS adviser", "email": "adviser.hawick@sds.example.org", "name": "A. Adviser"}],
    "KEL": [{"role": "DYW co-ordinator", "email": "dyw.kelso@borders.example.org"}],
}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working copy holding one area workbook for November: Hawick and Earlston did not update
    (Earlston has no contacts in the spec), Kelso updated but left an error, the rest are clean."""
    data = tomllib.loads(shipped_spec_path("scottish-tom").read_text(encoding="utf-8"))
    for school in data["schools"]:
        if school["id"] in CONTACTS:
            school["contacts"] = CONTACTS[school["id"]]
    spec_file = tmp_path / "borders.toml"
    spec_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    book = write_template(load_spec(spec_file), work / "borders.xlsx")
    spec = load_spec(spec_file)
    updates = {}
    for s in spec.schools:
        if s.id in ("HAW", "EHS"):
            continue
        cells = {f"{SCOT['Status']}2": "Complete", f"{SCOT['RAG']}2": "G", f"{SCOT['Last updated']}2": TODAY,
                 f"{SCOT['Progress notes']}2": NOTE}
        if s.id == "KEL":
            cells[f"{SCOT['Status']}3"] = "In progress"  # no RAG: rag-missing, an error
        updates[s.sheet] = cells
    fill(book, updates)
    return work


def test_reminders_go_to_schools_not_updated_or_with_errors(workdir: Path) -> None:
    reminders, unreadable = find_reminders(workdir, MONTH, TODAY)
    assert unreadable == []
    by_id = {r.school.id: r for r in reminders}
    assert set(by_id) == {"HAW", "EHS", "KEL"}
    assert by_id["HAW"].not_updated and not by_id["HAW"].findings
    assert not by_id["KEL"].not_updated
    assert [f.rule for f in by_id["KEL"].findings] == ["rag-missing"]
    assert by_id["HAW"].deadline == date(2026, 11, 28)  # the spec's deadline_day
    assert by_id["EHS"].recipients == []


def test_drafts_are_eml_files_listing_findings_and_the_deadline(workdir: Path, tmp_path: Path) -> None:
    reminders, _ = find_reminders(workdir, MONTH, TODAY)
    paths = write_drafts(reminders, tmp_path / "drafts", signature="Programme manager, DYW Borders")
    assert sorted(p.name for p in paths) == ["2026-11-borders-EHS.eml", "2026-11-borders-HAW.eml",
                                            "2026-11-borders-KEL.eml"]
    kelso = email.message_from_bytes((tmp_path / "drafts" / "2026-11-borders-KEL.eml").read_bytes(),
                                     policy=email.policy.default)
    assert kelso["To"] == "dyw.kelso@borders.example.org"
    assert kelso["X-Unsent"] == "1"  # Outlook opens it as a draft
    assert "28 November 2026" in kelso["Subject"]
    text = kelso.get_content()  # type: ignore[attr-defined]
    assert "Status is In progress but the row has no RAG rating" in text
    assert "I3 (M02)" in text and "Saturday 28 November 2026" in text
    assert NOTE not in text  # findings, never the tab's cells
    hawick = email.message_from_bytes((tmp_path / "drafts" / "2026-11-borders-HAW.eml").read_bytes(),
                                      policy=email.policy.default)
    assert hawick["To"] == "dyw.hawick@borders.example.org, adviser.hawick@sds.example.org"
    assert "has not been updated in November 2026 (it has no Last updated date yet)" in hawick.get_content()  # type: ignore[attr-defined]
    # drafts are rewritten freely
    assert len(write_drafts(reminders, tmp_path / "drafts")) == 3


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    server = FakeGraph().start()
    try:
        yield server
    finally:
        server.stop()


def test_send_through_graph_never_twice_without_again(workdir: Path, graph: FakeGraph) -> None:
    reminders, _ = find_reminders(workdir, MONTH, TODAY)
    mailer = GraphMailer(lambda: "test-token", graph.graph_url)
    first = send_reminders(reminders, mailer, SentLog(workdir))
    assert sorted(r.school.id for r in first.sent) == ["HAW", "KEL"]
    assert [r.school.id for r in first.no_contacts] == ["EHS"]
    assert len(graph.mail) == 2
    sent = {m["message"]["toRecipients"][0]["emailAddress"]["address"]: m for m in graph.mail}
    kelso = sent["dyw.kelso@borders.example.org"]["message"]
    assert "Kelso High" in kelso["subject"] and "rag-missing" not in kelso["body"]["content"]
    assert "no RAG rating" in kelso["body"]["content"]
    assert [s.kind for s in graph.seen] == ["sendMail", "sendMail"]  # one POST each, nothing else

    again = send_reminders(*find_reminders(workdir, MONTH, TODAY)[:1], mailer, SentLog(workdir))
    assert again.sent == [] and sorted(r.school.id for r, _ in again.already) == ["HAW", "KEL"]
    assert len(graph.mail) == 2  # the guard: nothing sent twice for the month
    forced = send_reminders(reminders, mailer, SentLog(workdir), again=True)
    assert len(forced.sent) == 2 and len(graph.mail) == 4
    log = (workdir / ".tomsync" / "reminders-sent.json").read_text(encoding="utf-8")
    assert "@" not in log and NOTE not in log and "Scottish Borders#HAW" in log


def test_a_refused_send_is_kept_and_the_others_go(workdir: Path, graph: FakeGraph) -> None:
    reminders, _ = find_reminders(workdir, MONTH, TODAY)
    graph.fail_next(1, 500, kinds=("sendMail",))
    result = send_reminders(reminders, GraphMailer(lambda: "test-token", graph.graph_url), SentLog(workdir))
    assert len(result.failed) == 1 and len(result.sent) == 1
    assert "HTTP 500" in result.failed[0][1]
    retry = send_reminders(reminders, GraphMailer(lambda: "test-token", graph.graph_url), SentLog(workdir))
    assert [r.school.id for r in retry.sent] == [result.failed[0][0].school.id]  # only the one not sent


def run(*args: str) -> object:
    return CliRunner().invoke(cli.app, list(args))


def test_cli_remind_writes_drafts_and_sends(workdir: Path, graph: FakeGraph,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("remind", "--month", MONTH, "-C", str(workdir))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "3 school(s) to remind" in result.output  # type: ignore[attr-defined]
    assert len(list((workdir / "reminders" / MONTH).glob("*.eml"))) == 3
    assert graph.mail == []  # drafts send nothing

    mailer = GraphMailer(lambda: "test-token", graph.graph_url)
    monkeypatch.setattr(cli, "_remind_mailer", lambda w, c: mailer)
    sent = run("remind", "--month", MONTH, "-C", str(workdir), "--send")
    assert sent.exit_code == 2  # Earlston has no contacts: named, the others sent
    assert "Earlston High (borders.xlsx): no contacts in the spec, not sent" in sent.stderr  # type: ignore[attr-defined]
    assert "sent 2, 0 already sent, 1 not sent" in sent.output  # type: ignore[attr-defined]
    twice = run("remind", "--month", MONTH, "-C", str(workdir), "--send")
    assert "sent 0, 2 already sent" in twice.output and len(graph.mail) == 2  # type: ignore[attr-defined]
    log = (workdir / ".tomsync" / "tomsync.log").read_text(encoding="utf-8")
    assert NOTE not in log and "@" not in log


def test_a_renamed_workbook_is_not_reminded_twice(workdir: Path, graph: FakeGraph) -> None:
    mailer = GraphMailer(lambda: "test-token", graph.graph_url)
    send_reminders(find_reminders(workdir, MONTH, TODAY)[0], mailer, SentLog(workdir))
    (workdir / "borders.xlsx").rename(workdir / "Borders TOM.xlsx")
    again = send_reminders(find_reminders(workdir, MONTH, TODAY)[0], mailer, SentLog(workdir))
    assert again.sent == [] and len(graph.mail) == 2


def test_an_unreadable_workbook_is_named_and_the_others_reminded(workdir: Path) -> None:
    (workdir / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    result = run("remind", "--month", MONTH, "-C", str(workdir))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "broken.xlsx could not be read, its schools get no reminder" in result.stderr  # type: ignore[attr-defined]
    assert "3 school(s) to remind" in result.output  # type: ignore[attr-defined]


def test_cli_send_needs_a_sharepoint_sign_in(workdir: Path) -> None:
    result = run("remind", "--month", MONTH, "-C", str(workdir), "--send")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--send needs a tomsync.toml" in result.stderr  # type: ignore[attr-defined]


def test_contacts_from_another_spec_replace_the_embedded_ones(workdir: Path, tmp_path: Path) -> None:
    data = tomllib.loads(shipped_spec_path("scottish-tom").read_text(encoding="utf-8"))
    for school in data["schools"]:
        if school["id"] == "EHS":
            school["contacts"] = [{"role": "SDS adviser", "email": "sds.earlston@sds.example.org"}]
    other = tmp_path / "contacts.toml"
    other.write_text(tomli_w.dumps(data), encoding="utf-8")
    reminders, _ = find_reminders(workdir, MONTH, TODAY, contacts=load_spec(other))
    ehs = next(r for r in reminders if r.school.id == "EHS")
    assert [c.email for c in ehs.recipients] == ["sds.earlston@sds.example.org"]


def test_mail_send_is_asked_for_only_when_given(tmp_path: Path) -> None:
    def make(**kw: object) -> TokenProvider:
        return TokenProvider(tenant_id="t", client_id="c", cache_path=tmp_path / "cache.bin",
                             encrypted_persistence=None, **kw)  # type: ignore[arg-type]

    assert not any(s.endswith("/Mail.Send") for s in make().scopes)
    assert make(extra_permissions=("Mail.Send",)).scopes[-1] == "https://graph.microsoft.com/Mail.Send"


def test_a_plan_is_reminded_termly_with_its_compass_errors(tmp_path: Path) -> None:
    """gatsby-plan in December: a tab updated in October is not chased (updates are termly), the
    deadline is the term's snapshot (31 December, not the 28th, in the holidays), the message names
    the term, and a school's Compass error is in its own message."""
    from openpyxl import load_workbook
    work = tmp_path / "work"
    work.mkdir()
    spec = load_spec("gatsby-plan")
    book = write_template(spec, work / "hub.xlsx")
    ws = load_workbook(book)["Riverside School"]
    col = {c.value: c.column_letter for c in ws[1]}
    fill(book, {s.sheet: {f"{col['Last updated']}2": date(2026, 10, 15)} for s in spec.schools
                if s.id != "NFA"})
    wb = load_workbook(book)
    compass = wb["Compass"]
    row = next(r for r in range(2, compass.max_row + 1)
               if compass.cell(row=r, column=1).value == "RSC-Autumn2026")
    compass.cell(row=row, column=4, value="Yes")
    compass.cell(row=row, column=5, value=120)
    wb.save(book)
    reminders, problems = find_reminders(work, "2026-12", today=date(2026, 12, 2))
    assert problems == [] and [r.school.id for r in reminders] == ["NFA", "RSC"]
    nfa, rsc = reminders
    assert nfa.not_updated and nfa.deadline == date(2026, 12, 31) and nfa.period == "Autumn 2026"
    assert not rsc.not_updated and [(f.sheet, f.cell, f.rule) for f in rsc.findings] == [
        ("Compass", f"E{row}", "compass-percent")]
    drafts = {p.name: email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
              for p in write_drafts(reminders, tmp_path / "drafts")}
    msg = drafts["2026-12-hub-NFA.eml"]
    assert msg["Subject"] == ("Strategic Careers Plan, Autumn 2026: Northfield Academy, please update by "
                              "31 December 2026")
    text = msg.get_content()
    assert "has not been updated in Autumn 2026 (it has no Last updated date yet)" in text
    assert "by Thursday 31 December 2026, the end of Autumn 2026" in text and "December 2026." not in text
    assert f"Compass sheet E{row}: BM1 % must be a number from 0 to 100" in \
        drafts["2026-12-hub-RSC.eml"].get_content()


def test_contacts_edited_in_the_spec_reach_the_drafts_through_an_upgrade(workdir: Path,
                                                                         tmp_path: Path) -> None:
    """The programme manager's way: spec out of the workbook, add Earlston's contacts, upgrade, remind."""
    book, area = workdir / "borders.xlsx", tmp_path / "area.toml"
    assert run("template", "spec", str(book), "-o", str(area)).exit_code == 0  # type: ignore[attr-defined]
    data = tomllib.loads(area.read_text(encoding="utf-8"))
    ehs = next(s for s in data["schools"] if s["id"] == "EHS")
    ehs["contacts"] = [{"role": "SDS careers adviser", "email": "sds.earlston@sds.example.org"}]
    area.write_text(tomli_w.dumps(data), encoding="utf-8")
    dry = run("template", "upgrade", str(book), "--spec", str(area), "--dry-run")
    assert "new contacts for school EHS" in dry.output  # type: ignore[attr-defined]
    up = run("template", "upgrade", str(book), "--spec", str(area))
    assert up.exit_code == 0 and "nothing to change" not in up.output  # type: ignore[attr-defined]
    history = run("master", "history", str(book))
    assert "new contacts for school EHS" in history.output  # type: ignore[attr-defined]
    assert "@" not in history.output  # type: ignore[attr-defined]  # the history names IDs, never an address
    assert run("remind", "--month", MONTH, "-C", str(workdir)).exit_code == 0  # type: ignore[attr-defined]
    draft = next((workdir / "reminders" / MONTH).glob("*EHS.eml"))
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert message["To"] == "sds.earlston@sds.example.org"
    again = run("template", "upgrade", str(book), "--spec", str(area))
    assert "nothing to change" in again.output  # type: ignore[attr-defined]


def test_the_demo_schools_have_work_contacts_so_its_drafts_have_a_to(tmp_path: Path) -> None:
    from tomsync.demo.run import run_demo

    demo = run_demo(tmp_path / "demo", today=date(2026, 12, 2))
    result = run("remind", "--month", "2026-12", "-C", str(demo.workdir))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    drafts = sorted((demo.workdir / "reminders" / "2026-12").glob("*.eml"))
    assert drafts
    for draft in drafts:
        message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
        to = [a.addr_spec for a in message["To"].addresses]
        assert [a.split("@")[1] for a in to] == ["schools.example.org", "sds.example.org"], to
    assert all(not s.contacts for s in load_spec("scottish-tom").schools)  # areas copy it: no addresses


def test_a_month_outside_the_session_reminds_nobody_and_says_why(workdir: Path) -> None:
    result = run("remind", "--month", "2027-07", "-C", str(workdir))  # the summer after 2026/27
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "borders.xlsx: not reminded: session 2026/27 runs 2026-08 to 2027-06, not 2027-07" in \
        " ".join(result.output.split())  # type: ignore[attr-defined]
    assert "0 school(s) to remind" in result.output  # type: ignore[attr-defined]
