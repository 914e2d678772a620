"""Sync month and Save to library as plain functions (`sync.hosted`): the month's claim in the library,
what a stateless run pulls, trends across runs that share nothing but the library, and the base a
local copy is merged from. The same over HTTP, signed in, is in tests/xl_addin/test_sso.py."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from sync.hosted import (
    STALE_AFTER,
    ClaimProgress,
    MonthBusy,
    MonthView,
    SaveRefused,
    claim_month,
    claim_name,
    find_base,
    month_status,
    release,
    save_copy,
    sync_month,
)
from sync.library import RemoteNotFound
from sync.memory import MemoryLibrary
from sync.report import month_label
from sync.sharepoint import SharePointLibrary
from tests.sync.graph_server import FakeGraph
from tomsync.demo.run import staff_update
from workbook_templates.spec import load_spec

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_the_first_claim_creates_and_a_second_while_running_is_refused_with_who() -> None:
    library = MemoryLibrary()
    mine, before = claim_month(library, "2026-11", "Pat Manager", NOW)
    assert before is None and mine.status == "running"
    with pytest.raises(MonthBusy, match=r"^Sync month 2026-11 is already running: started by Pat Manager at "
                                        r"2026-11-30 16:00 UTC; try again when it has finished$"):
        claim_month(library, "2026-11", "Robin Manager", NOW + timedelta(minutes=5))
    assert json.loads(library.files[claim_name("2026-11")])["by"] == "Pat Manager"


def test_a_finished_month_can_be_run_again_and_keeps_its_fingerprint() -> None:
    library = MemoryLibrary()
    mine, _ = claim_month(library, "2026-11", "Pat Manager", NOW)
    mine.status, mine.fingerprint, mine.outputs = "done", "abc", ["reports/2026-11/tom-report-2026-11.xlsx"]
    release(library, mine)
    again, before = claim_month(library, "2026-11", "Robin Manager", NOW + timedelta(minutes=1))
    assert before is not None and before.by == "Pat Manager" and before.status == "done"
    assert again.fingerprint == "abc" and again.status == "running" and again.by == "Robin Manager"


def test_a_run_that_died_is_taken_over_after_the_stale_time() -> None:
    library = MemoryLibrary()
    claim_month(library, "2026-11", "Pat Manager", NOW)  # never released: the server stopped
    with pytest.raises(MonthBusy):
        claim_month(library, "2026-11", "Robin Manager", NOW + STALE_AFTER - timedelta(seconds=1))
    taken, before = claim_month(library, "2026-11", "Robin Manager", NOW + STALE_AFTER + timedelta(seconds=1))
    assert before is not None and before.by == "Pat Manager" and taken.by == "Robin Manager"


def test_a_claim_taken_over_is_not_overwritten_by_the_run_that_lost_it() -> None:
    library = MemoryLibrary()
    old, _ = claim_month(library, "2026-11", "Pat Manager", NOW)
    claim_month(library, "2026-11", "Robin Manager", NOW + STALE_AFTER * 2)
    old.status = "done"
    release(library, old)  # If-Match on Pat's version: refused, left alone
    assert json.loads(library.files[claim_name("2026-11")])["by"] == "Robin Manager"


def test_a_month_run_lists_summaries_of_earlier_months_but_not_their_workbooks_or_reports() -> None:
    library = MemoryLibrary()
    for name in ("borders.xlsx", "archive/2026-10/borders.xlsx", "archive/2026-10/rollup.json",
                 "archive/2026-10/rows.json", "archive/2026-11/borders.xlsx",
                 "reports/2026-10/tom-report-2026-10.xlsx", "reports/2026-11/tom-report-2026-11.xlsx"):
        library.files[name] = b"x"
    listed = {f.name for f in MonthView(library, "2026-11").list()}
    assert listed == {"borders.xlsx", "archive/2026-10/rollup.json", "archive/2026-10/rows.json",
                      "archive/2026-11/borders.xlsx", "reports/2026-11/tom-report-2026-11.xlsx"}


def test_months_run_with_nothing_kept_between_them_still_trend(tmp_path: Path) -> None:
    library = MemoryLibrary()
    spec = load_spec("scottish-tom")
    months = ["2026-09", "2026-10", "2026-11"]
    for month in months:
        end = date(int(month[:4]), int(month[5:]), 28)
        staff_update(library, spec, "borders.xlsx", month, end, seed=7)
        outcome = sync_month(library, month, "Pat Manager", end, temp_parent=tmp_path)
        assert outcome.ok and outcome.rated, outcome.message
        assert not list(tmp_path.iterdir())  # every run's working folder is gone
    summary = json.loads(library.files["archive/2026-10/rollup.json"])
    html = library.files["reports/2026-11/tom-report-2026-11.html"].decode()
    trend = html[html.index('id="trend"'):]
    header = trend[:trend.index("</thead>")]
    # the trend's columns: every month, from summaries that only the library kept
    assert [f">{month_label(m)[:3]} {m[:4]}<" in header for m in months] == [True, True, True]
    assert summary["schools"]  # what November's run read back


@pytest.fixture
def graph() -> FakeGraph:
    server = FakeGraph(tokens=("user-token",)).start()
    yield server
    server.stop()


def token() -> str:
    return "user-token"


def test_locate_finds_the_drive_and_folder_of_a_document_and_of_a_folder(graph: FakeGraph) -> None:
    graph.put("TOM 2026/Borders/borders.xlsx", b"x")
    web = graph.drive().web_url
    drive, folder, item = SharePointLibrary.locate(f"{web}/TOM%202026/Borders/borders.xlsx", token=token,
                                                   graph_url=graph.graph_url)
    assert (drive, folder, item["name"]) == (graph.drive().id, "TOM 2026/Borders", "borders.xlsx")
    drive, folder, item = SharePointLibrary.locate(f"{web}/TOM 2026", token=token, graph_url=graph.graph_url)
    assert folder == "TOM 2026" and "folder" in item
    with pytest.raises(RemoteNotFound, match="was not found in SharePoint"):
        SharePointLibrary.locate(f"{web}/nowhere.xlsx", token=token, graph_url=graph.graph_url)


def test_locate_finds_an_address_desktop_excel_gives_with_raw_spaces(graph: FakeGraph) -> None:
    graph.strict_shares = True  # only Graph's own (encoded) spelling of the address is known
    graph.put("TOM 2026/Borders/borders.xlsx", b"x")
    raw = unquote(graph.drive().web_url) + "/TOM 2026/Borders/borders.xlsx"  # as Office.js may report it
    drive, folder, item = SharePointLibrary.locate(raw, token=token, graph_url=graph.graph_url)
    assert (drive, folder, item["name"]) == (graph.drive().id, "TOM 2026/Borders", "borders.xlsx")
    shares = [s for s in graph.seen if "/shares/" in s.path]
    assert len(shares) == 2  # the address as given first, then its encoded spelling
    with pytest.raises(RemoteNotFound, match="was not found in SharePoint"):
        SharePointLibrary.locate(raw.replace("borders", "nowhere"), token=token, graph_url=graph.graph_url)


def _edit(data: bytes, sheet: str, cell: str, value: object) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[sheet][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_base_is_the_version_the_copy_came_from(graph: FakeGraph, demo_master: Path) -> None:
    v1 = demo_master.read_bytes()
    graph.put("TOM/borders.xlsx", v1)
    v2 = _edit(v1, "Hawick High", "J2", "colleague")
    graph.edit("TOM/borders.xlsx", v2)
    v3 = _edit(v2, "Hawick High", "J4", "another colleague")
    graph.edit("TOM/borders.xlsx", v3)
    library = SharePointLibrary.for_drive(graph.drive().id, "TOM", token=token, graph_url=graph.graph_url,
                                          web_url=graph.drive().web_url)
    from_v2 = _edit(v2, "Hawick High", "J3", "mine")
    assert find_base(library, "borders.xlsx", from_v2, v3) == v2
    outcome = save_copy(library, "borders.xlsx", from_v2, may_change_master=False)
    assert outcome.ok, outcome.message
    saved = load_workbook(io.BytesIO(graph.content("TOM/borders.xlsx") or b""))["Hawick High"]
    assert [saved[c].value for c in ("J2", "J3", "J4")] == ["colleague", "mine", "another colleague"]


def test_a_library_without_version_history_refuses_to_guess(demo_master: Path) -> None:
    library = MemoryLibrary()
    v1 = demo_master.read_bytes()
    library.upload("borders.xlsx", _edit(v1, "Hawick High", "J2", "colleague"), None)
    with pytest.raises(SaveRefused, match="keeps no version history"):
        save_copy(library, "borders.xlsx", _edit(v1, "Hawick High", "J3", "mine"), may_change_master=True)


# -- progress, in the claim -------------------------------------------------------------------------

def test_sync_month_writes_its_progress_into_the_claim_with_if_match(
        graph: FakeGraph, demo_master: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sync.cycle

    for name in ("borders.xlsx", "fife.xlsx"):
        graph.put(f"TOM/{name}", demo_master.read_bytes())
    library = SharePointLibrary.for_drive(graph.drive().id, "TOM", token=token, graph_url=graph.graph_url,
                                          web_url=graph.drive().web_url)
    real_read = sync.cycle.read_areas
    seen_while_reading: list[dict[str, object]] = []

    def slow_read(books: Any, *args: Any, **kwargs: Any) -> Any:  # a workbook takes a while to read
        if len(args) < 3 or args[2] is None:  # a re-read without progress
            return real_read(books, *args, **kwargs)
        advance = args[2]

        def paced() -> None:
            advance()
            time.sleep(0.3)  # longer than the progress interval: the writer has time to write it
            seen_while_reading.append(month_status(library, "2026-11"))  # what a poll sees now
        return real_read(books, *args[:2], paced, *args[3:], **kwargs)

    monkeypatch.setattr(sync.cycle, "read_areas", slow_read)
    since = len(graph.seen)
    graph.latency = 0.05  # a network's pace: the pull outlasts a progress interval
    outcome = sync_month(library, "2026-11", "Pat Manager", date(2026, 11, 28), temp_parent=tmp_path,
                         progress_every=0.02)
    graph.latency = 0.0
    assert outcome.rated, outcome.message
    item = graph.drive().items["TOM/.tomsync/months/2026-11.json"]
    written = [json.loads(v) for v in [*item.history, item.content]]
    running = [w for w in written if w["status"] == "running"]
    lines = [w["progress"] for w in running]
    assert any(line.startswith("Pulling from the library") for line in lines), lines
    reads = [(w["done"], w["total"]) for w in running if w["step"] == "read"]
    assert reads and all(total == 2 and 0 <= k <= 2 for k, total in reads) and reads == sorted(reads)
    assert "Reading the workbooks: 1 of 2 done" in lines and "Rolling up and writing the report" in lines
    assert any(line.startswith("Uploading to the library: ") for line in lines), lines
    assert written[-1]["status"] == "done" and written[-1]["progress"] == ""
    # what a poll saw during the run: the run, live, with the read step's "k of n"
    assert all(s["running"] and s["by"] == "Pat Manager" for s in seen_while_reading)
    assert [s["progress"] for s in seen_while_reading] == ["Reading the workbooks: 1 of 2 done",
                                                           "Rolling up and writing the report"]
    assert month_status(library, "2026-11")["running"] is False
    # the claim was created once; every later write carried If-Match on the version before it
    claim_puts = [s for s in graph.seen[since:] if s.kind == "upload" and ".tomsync" in unquote(s.path)]
    assert len(claim_puts) == len(written)
    etags = [f'"{{{item.guid}}},{v}"' for v in range(1, len(written))]
    assert [s.headers.get("If-Match") for s in claim_puts[1:]] == etags


def test_progress_is_written_only_when_it_changed_and_never_over_another_run_s_claim() -> None:
    library = MemoryLibrary()
    claim, _ = claim_month(library, "2026-11", "Pat Manager", NOW)
    progress = ClaimProgress(library, claim)  # not started: flushed by hand here
    first = library.files[claim_name("2026-11")]
    progress.flush()
    assert library.files[claim_name("2026-11")] == first  # nothing new: nothing written
    progress.phase("pull", "Pulling from the library")
    progress.flush()
    assert json.loads(library.files[claim_name("2026-11")])["progress"] == "Pulling from the library"
    status = month_status(library, "2026-11", now=datetime.now(UTC))
    assert status["running"] and status["progress"] == "Pulling from the library"
    # the claim is taken over (this run was thought dead): progress stops, the other claim stays
    claim_month(library, "2026-11", "Robin Manager", datetime.now(UTC) + STALE_AFTER * 2)
    progress.phase("read", "Reading workbook 1 of 2", 1, 2)
    progress.flush()
    progress.phase("read", "Reading workbook 2 of 2", 2, 2)
    progress.flush()
    assert json.loads(library.files[claim_name("2026-11")])["by"] == "Robin Manager"


def test_a_run_that_still_reports_progress_is_not_taken_over() -> None:
    library = MemoryLibrary()
    claim, _ = claim_month(library, "2026-11", "Pat Manager", NOW)
    claim.updated = (NOW + STALE_AFTER).isoformat(timespec="seconds")  # its last progress write
    claim.etag = library.upload(claim_name("2026-11"), claim.to_bytes(), claim.etag).etag
    with pytest.raises(MonthBusy):
        claim_month(library, "2026-11", "Robin Manager", NOW + STALE_AFTER + timedelta(minutes=5))
    taken, _ = claim_month(library, "2026-11", "Robin Manager", NOW + STALE_AFTER * 2 + timedelta(seconds=1))
    assert taken.by == "Robin Manager"


def test_the_status_of_a_month_never_run_says_so() -> None:
    assert month_status(MemoryLibrary(), "2026-11") == {"month": "2026-11", "running": False,
                                                        "state": "none", "progress": ""}
