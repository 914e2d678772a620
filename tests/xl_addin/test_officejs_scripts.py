"""The add-in's own JavaScript (static/js/ribbon.js, tom-hosted.js) in headless Chromium: every failure
a user can meet before or around a script is one line, in xlwings Server's alert dialog (ribbon) or
in the task pane; Sync month's progress shows while it runs; the ribbon's Sync month and Save to
library buttons open the pane at their action.

The real files are served on 127.0.0.1 next to a page (officejs_harness/page.html) that stands in
for Office.js and xlwings (``Office``, ``xlwings.runPython``, ``getAuth``, ``fetch``) and for xlwings Server's
``alerts/parent.js`` (its ``xlAlert`` records the dialog's text). Chromium runs the page with
``--dump-dom`` under virtual time, so the 2-second poll costs no wall-clock time; the page writes
what the user saw into ``<pre id="result">``. Skipped where no Chromium is installed.
"""

from __future__ import annotations

import functools
import html
import importlib.util
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).parents[2] / "xl_addin" / "officejs" / "static" / "js"
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to run the add-in's JavaScript")

HARNESS = Path(__file__).parent / "officejs_harness"  # the page and the alert stub


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("officejs")
    js = root / "static" / "js"
    (js / "alerts").mkdir(parents=True)
    for name in ("ribbon.js", "tom-hosted.js"):
        shutil.copyfile(JS / name, js / name)
    shutil.copyfile(HARNESS / "alerts-parent.js", js / "alerts" / "parent.js")
    shutil.copyfile(HARNESS / "page.html", root / "page.html")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def seen(served: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the user saw in each scenario of the page."""
    assert CHROMIUM is not None
    profile = tmp_path_factory.mktemp("chromium-profile")
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          f"--user-data-dir={profile}", "--virtual-time-budget=60000", "--dump-dom", served],
                         capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="result">(.*?)</pre>', run.stdout, re.S)
    assert found and found.group(1), run.stderr[-2000:]
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    assert "crashed" not in result, result.get("crashed")
    return result


def test_a_sign_in_failure_before_a_script_runs_is_one_line_in_a_dialog(seen: dict[str, Any]) -> None:
    assert seen["authThrows"]["alerts"] == [
        "Validate could not run: 13001: the user is not signed in to Office"]
    assert seen["authThrows"]["completed"] and seen["authThrows"]["calls"] == []  # no script ran
    assert seen["authErrorToken"]["alerts"] == [
        "New month could not run: Office could not sign you in (Error 13003: User type not supported)"]
    assert seen["authErrorToken"]["calls"] == []


def test_run_python_throwing_is_one_line_in_a_dialog(seen: dict[str, Any]) -> None:
    assert seen["runPythonThrows"]["alerts"] == ["Roll up could not run: No response received from server"]
    assert seen["runPythonThrows"]["completed"]
    assert seen["runs"] == {"alerts": [], "completed": True, "calls": ["runPython:tom_validate"],
                            "pane": seen["runs"]["pane"]}


def test_the_ribbon_s_sync_month_and_save_buttons_open_the_pane_at_the_action(seen: dict[str, Any]) -> None:
    opened = seen["openSync"]
    assert opened["calls"] == ["showAsTaskpane"] and opened["alerts"] == [] and opened["completed"]
    assert opened["pane"] == "Sync month: choose the month (default: the workbook's) and press Sync month"
    failed = seen["openSaveFails"]
    assert failed["alerts"] == [
        "Save to library: the TOM task pane could not open: Showing the task pane is not supported"]
    assert failed["completed"]


@pytest.mark.parametrize(("scenario", "line"), [
    ("paneAuthThrows", "Sync month could not run: 13001: the user is not signed in to Office"),
    ("paneAuthErrorToken", "Save to library could not run: Office could not sign you in (Error 13006: Client "
                           "error)"),
    ("unreachable", "Sync month could not run: the add-in server could not be reached (Failed to fetch)"),
    ("notJson", "Sync month: the add-in server answered HTTP 502"),
    ("detail", "Sync month: Auth error: the token has expired"),
    ("refused", "Sync month needs the TOM.ProgrammeManager role, which Sam does not have"),
    ("fileFails", "Save to library could not run: Excel would not hand over the workbook (An internal error "
                  "has occurred.); save it and try again"),
])
def test_every_task_pane_failure_is_one_line_in_the_pane(seen: dict[str, Any], scenario: str,
                                                         line: str) -> None:
    assert seen[scenario]["pane"] == line


def test_sync_month_shows_its_progress_while_it_runs(seen: dict[str, Any]) -> None:
    p = seen["progress"]
    assert p["seen"][0].startswith("Sync month: starting")
    line = "Sync month 2026-11 (started by Pat Manager): Reading the workbooks: {} of 12 done"
    assert p["seen"][1:] == [line.format(k) for k in (1, 2, 3)]
    assert p["busy"]  # the buttons wait while it runs
    assert p["polls"][0] is None and set(p["polls"][1:]) == {"2026-11"}  # the month the server found, then
    assert p["after"] == p["final"] == "2026-11: 12 school(s) rated, 0 not updated, 0 problem(s)"
    assert p["pollsAfter"] == len(p["polls"]) <= 4  # polling stopped with the run
    assert not p["disabledAfter"] and "Open the report" in p["details"]


def test_sync_month_s_result_links_the_report_and_lists_schools_and_problems(seen: dict[str, Any]) -> None:
    r = seen["syncResult"]
    assert r["pane"] == "2026-11: 2 school(s) rated, 1 not updated, 1 problem(s)"
    report = ("https://contoso.sharepoint.com/sites/careers/_layouts/15/Doc.aspx?sourcedoc=%7B1%7D"
              "&file=tom-report-2026-11.xlsx")
    assert r["details"] == [
        {"text": "Open the report", "href": report, "target": "_blank"},  # the report's webUrl, a new tab
        {"text": "Rated: Hawick High G, Kelso High A", "markup": 0},
        {"text": "Not updated this month: Earlston High", "markup": 0},
        {"text": "jedburgh.xlsx: could not be read (not an .xlsx workbook)", "markup": 0},
    ]


def test_a_save_to_library_conflict_lists_each_clashing_cell_as_text(seen: dict[str, Any]) -> None:
    r = seen["saveConflict"]
    assert r["pane"] == ("Save to library: borders.xlsx: 2 cell(s) were changed differently in the library; "
                         "nothing was saved: agree the values, then save again")
    assert [d["text"] for d in r["details"]] == [
        'Hawick High!J3 (M02): yours "Met <b>parents</b>", the library\'s "Met carers"',
        'Kelso High!I7: yours "G", the library\'s "R"',
    ]
    assert all(d["markup"] == 0 for d in r["details"])  # a school's text is shown as text, never markup
    # the task pane sent the workbook Excel handed over, slice by slice, and the file's path
    assert r["sent"] == {"document_url": "C:\\Users\\sam\\borders.xlsx", "file": "UEsDBA=="}


@pytest.mark.skipif(importlib.util.find_spec("xlwings_server") is None, reason="xlwings-server not installed")
def test_the_page_has_the_task_pane_s_elements_as_the_real_one() -> None:
    from fastapi.testclient import TestClient

    from xl_addin.server import load_app

    asgi, _ = load_app()
    with TestClient(asgi) as client:
        real = client.get("/taskpane.html").text
        assert client.get("/static/js/alerts/parent.js").status_code == 200  # what ribbon.js imports
    page = (HARNESS / "page.html").read_text(encoding="utf-8")
    ids = re.findall(r'<[a-z]+ id="(tom-[a-z-]+)"', page)
    assert len(ids) == 5
    for element in ids:
        assert f'id="{element}"' in real, element
    for attribute in ("data-url=", "data-status-url="):
        assert real.count(attribute) >= page.count(attribute), attribute
