"""The Office.js add-in driven in-process: xlwings Server's app with the TOM project, FastAPI TestClient,
the JSON the xlwings Office.js client posts (built from real workbooks), and the actions it sends back."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

if importlib.util.find_spec("xlwings_server") is None:  # not imported here: it reads settings on import
    pytest.skip("xlwings-server is not installed", allow_module_level=True)
from fastapi.testclient import TestClient  # noqa: E402

from tests.workbook_templates.test_annotate import counts, expected_marks  # noqa: E402
from tests.xl_addin.conftest import MONTH, TODAY  # noqa: E402
from tests.xl_addin.payload import payload_from_xlsx  # noqa: E402
from workbook_templates.annotate import ERROR_FILL, annotate_file  # noqa: E402
from workbook_templates.reader import read_workbook  # noqa: E402
from workbook_templates.surface import OpenpyxlSurface, read_surface  # noqa: E402
from workbook_templates.validate import validate  # noqa: E402
from xl_addin.ribbon import SYNC_NOT_CONFIGURED, new_month  # noqa: E402
from xl_addin.server import MANIFEST_ID, load_app, manifest_xml  # noqa: E402
from xl_addin.xlwings_surface import XlwingsSurface  # noqa: E402

OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"
OVERRIDES = "{http://schemas.microsoft.com/office/taskpaneappversionoverrides}"
BUTTONS = {"TomValidate": "tom_validate", "TomRollUp": "tom_roll_up", "TomNewMonth": "tom_new_month",
           "TomPull": "tom_pull", "TomPush": "tom_push"}
PANE_BUTTONS = {"TomSyncMonth": "tom-sync-month", "TomSaveToLibrary": "tom-save"}  # open the task pane


@pytest.fixture(scope="module")
def client() -> TestClient:
    asgi, _app = load_app()
    with TestClient(asgi) as c:
        yield c


def run_script(client: TestClient, name: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(f"/xlwings/custom-scripts-call/{name}", json=payload)
    assert response.status_code == 200, response.text
    return response.json()["actions"]


def positions(payload: dict[str, Any]) -> dict[str, int]:
    return {s["name"]: i for i, s in enumerate(payload["sheets"])}


def at(action: dict[str, Any]) -> tuple[int, int, int]:
    return action["sheet_position"], action["start_row"], action["start_column"]


def cell_of(payload: dict[str, Any], sheet: str, cell: str) -> tuple[int, int, int]:
    from openpyxl.utils.cell import coordinate_to_tuple as split_cell

    row, col = split_cell(cell)
    return positions(payload)[sheet], row - 1, col - 1


def custom_function(client: TestClient, name: str, *args: Any) -> Any:
    body = {"client": "Office.js", "version": "0.37.8", "func_name": name, "args": list(args),
            "caller_address": "[scottish-tom.xlsx]Summary!P2", "culture_info_name": "en-GB",
            "date_format": "dd/mm/yyyy", "runtime": "1.4"}
    return client.post("/xlwings/custom-functions-call", json=body)


# -- the book xlwings Server builds from the payload ----------------------------------------------------

def test_the_book_from_a_payload_is_checked_exactly_like_the_file(client: TestClient, demo: Path,
                                                                  gatsby: Path) -> None:
    import xlwings as xw

    for path in (demo, gatsby):
        book = xw.Book(json=payload_from_xlsx(path))
        try:
            surface = XlwingsSurface(book)
            assert surface.remote
            expected = validate(read_workbook(path), MONTH, TODAY)
            assert validate(read_surface(surface), MONTH, TODAY) == expected
        finally:
            book.close()


# -- ribbon buttons ---------------------------------------------------------------------------------

def test_validate_returns_the_actions_that_list_and_mark(client: TestClient, demo: Path) -> None:
    new_month(OpenpyxlSurface(demo), MONTH)
    payload = payload_from_xlsx(demo)
    actions = run_script(client, "tom_validate", payload)
    funcs = [a["func"] for a in actions]
    issues_at = len(payload["sheets"])
    assert actions[funcs.index("addSheet")]["args"] == [issues_at, "Issues"]
    values = next(a for a in actions if a["func"] == "setValues" and a["sheet_position"] == issues_at)
    assert values["values"][0] == ["'Sheet", "'Cell", "'ID", "'Rule", "'Severity", "'Message"]
    findings = validate(read_workbook(demo), MONTH)
    assert len(values["values"]) == len(findings) + 1
    assert [r[0][1:] for r in values["values"][1:]] == [f.sheet for f in findings]
    links = [a for a in actions if a["func"] == "setFormula"]
    assert [a["values"][0][0] for a in links] == [f'=HYPERLINK("#\'{f.sheet}\'!{f.cell}","{f.cell}")'
                                                  for f in findings]
    fills = {at(a): a["args"][0] for a in actions if a["func"] == "setRangeColor" and a["args"][0]
             and a["sheet_position"] != issues_at}
    marks = expected_marks(demo, MONTH, None)  # the server validates with today's date
    assert fills == {cell_of(payload, s, c): "#" + colour for (s, c), colour in marks.items()}
    notes = {at(a) for a in actions if a["func"] == "addNote"}
    assert notes == {cell_of(payload, s, c) for s, c in marks}
    # every protected tab written to is unprotected first and protected again at the end
    unprotect = [a["args"][1] for a in actions if a["func"] == "runMacro" and a["args"][0] == "tomUnprotect"]
    assert set(unprotect) == {s for s, _c in marks}
    for sheet in unprotect:
        lifted = next(i for i, a in enumerate(actions) if a["args"][:2] == ["tomUnprotect", sheet])
        first = min(i for i, a in enumerate(actions) if a["sheet_position"] == positions(payload)[sheet])
        assert lifted < first
    assert actions[-2]["func"] == "runMacro" and actions[-2]["args"] == ["tomReprotect"]
    assert actions[-1]["func"] == "alert"
    message = f"scottish-tom.xlsx: {counts(demo, MONTH, None)}: see the Issues tab"
    assert actions[-1]["args"][:2] == [message, "TOM"]


def test_validate_rerun_clears_the_previous_marks(client: TestClient, demo: Path) -> None:
    annotate_file(demo, MONTH, TODAY)  # a workbook already validated (marks, notes, Issues tab)
    payload = payload_from_xlsx(demo)
    actions = run_script(client, "tom_validate", payload)
    clear = {at(a): a["args"][0] for a in actions if a["func"] == "setRangeColor"}
    deleted = {at(a) for a in actions if a["func"] == "deleteNote"}
    assert deleted == {cell_of(payload, s, c) for s, c in expected_marks(demo)}
    jedburgh = cell_of(payload, "Jedburgh Grammar", "C2")
    assert [a["args"][0] for a in actions if a["func"] == "setRangeColor" and at(a) == jedburgh] == [
        "#F2F2F2", "#" + ERROR_FILL]  # the locked grey back, then the mark again
    assert clear[jedburgh] == "#" + ERROR_FILL
    issues = positions(payload)["Issues"]
    assert {"func": "sheetDelete", "sheet_position": issues}.items() <= next(
        a for a in actions if a["func"] == "sheetDelete").items()


def test_roll_up_writes_the_summary_block(client: TestClient, demo: Path) -> None:
    payload = payload_from_xlsx(demo)
    actions = run_script(client, "tom_roll_up", payload)
    summary = positions(payload)["Summary"]
    writes = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == summary]
    assert all((a["start_row"], a["start_column"]) == (0, 7) for a in writes)  # from H1
    block = writes[-1]["values"]
    assert block[0][0] == "'Rolled-up RAG (rule: score)"
    assert block[3][:6] == ["'School", "'R", "'A", "'G", "'Unrated", "'RAG"]
    assert [r[0] for r in block if r[0] == "'All"] == ["'All"] * 3
    assert actions[-1]["args"][0].startswith("scottish-tom.xlsx: Summary refreshed (school, theme, lead)")


def test_new_month_stamps_the_cycle_in_the_hidden_sheet(client: TestClient, demo: Path) -> None:
    payload = payload_from_xlsx(demo)
    actions = run_script(client, "tom_new_month", payload)
    meta = positions(payload)["_tom"]
    write = next(a for a in actions if a["func"] == "setValues")
    assert (write["sheet_position"], write["start_row"], write["start_column"]) == (meta, 4, 1)  # B5
    assert write["values"][0][0][1:8].count("-") == 1 and write["values"][0][0].startswith("'20")
    assert [a["args"][:3] for a in actions if a["func"] == "runMacro"] == [["tomUnprotect", "_tom", ""],
                                                                         ["tomReprotect"]]


def test_pull_and_push_without_config(client: TestClient, demo: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOMSYNC_WORKDIR", str(tmp_path / "nowhere"))
    for script in ("tom_pull", "tom_push"):
        actions = run_script(client, script, payload_from_xlsx(demo))
        assert [a["func"] for a in actions] == ["alert"]
        assert actions[0]["args"][0] == SYNC_NOT_CONFIGURED


def test_a_workbook_that_is_not_a_tom_gets_a_message(client: TestClient) -> None:
    payload = {"client": "Office.js", "version": "0.37.8", "names": [],
               "book": {"name": "Book1.xlsx", "active_sheet_index": 0, "selection": "A1"},
               "sheets": [{"name": "Sheet1", "values": [["hello"]], "notes": [], "notes_supported": True,
                           "pictures": [], "shapes": [], "charts": [], "tables": [], "pivot_tables": []}]}
    actions = run_script(client, "tom_validate", payload)
    assert [a["func"] for a in actions] == ["alert"]
    assert actions[0]["args"][0] == "Book1.xlsx: no Master tab; this is not a TOM workbook"


def test_every_ribbon_button_runs_a_registered_script(client: TestClient) -> None:
    meta = client.get("/xlwings/custom-scripts-meta.json").json()
    names = {m["function_name"] for m in meta}
    assert set(BUTTONS.values()) <= names
    ribbon_js = client.get("/static/js/ribbon.js").text
    for function_name, script in BUTTONS.items():
        assert f'{function_name}: ["{script}", ' in ribbon_js
    assert "registerCallback(tomUnprotect)" in ribbon_js and "registerCallback(tomReprotect)" in ribbon_js


# -- custom functions -------------------------------------------------------------------------------

def test_custom_functions_are_registered_in_the_tom_namespace(client: TestClient) -> None:
    meta = client.get("/xlwings/custom-functions-meta.json").json()
    by_name = {f["name"]: f for f in meta["functions"]}
    assert set(by_name) == {"RAG", "SCORE", "ROLLUP", "CHECK", "STALE"}
    assert [p["name"] for p in by_name["RAG"]["parameters"]] == ["ratings", "rule"]
    assert by_name["RAG"]["parameters"][1].get("optional") is True
    code = client.get("/xlwings/custom-functions-code.js").text
    assert 'CustomFunctions.associate("RAG", RAG);' in code


def test_custom_function_calls(client: TestClient) -> None:
    na = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
    assert custom_function(client, "RAG", [["G"], ["A"], ["R"]], None).json() == {"result": [["A"]]}
    assert custom_function(client, "RAG", [["G"], [na], [""]], [["worst"]]).json() == {"result": [["G"]]}
    assert custom_function(client, "SCORE", [["G", "A"]]).json() == {"result": [[0.75]]}
    assert custom_function(client, "SCORE", [[""]]).json() == {"result": [[""]]}
    assert custom_function(client, "STALE", [[46329.0]], [["2026-11"]]).json() == {"result": [[False]]}
    table = [["ID", "Theme", "RAG"], ["M01", "Planning", "G"], ["M02", "Planning", na]]
    assert custom_function(client, "ROLLUP", table, [["Theme"]], None).json() == {
        "result": [["Theme", "R", "A", "G", "Unrated", "RAG"], ["Planning", 0, 0, 1, 1, "G"],
                   ["All", 0, 0, 1, 1, "G"]]}
    check = custom_function(client, "CHECK", [["M04", "Complete", ""]], [["ID", "Status", "RAG"]], None)
    assert check.json() == {"result": [["Status is Complete but the row has no RAG rating"]]}


def test_a_custom_function_mistake_is_a_400_with_the_message(client: TestClient) -> None:
    response = custom_function(client, "RAG", [["G"]], [["average"]])
    assert response.status_code == 400  # not retried by the add-in, shown on the cell as #VALUE!
    assert "score, worst, majority" in response.text


# -- task pane and manifest -------------------------------------------------------------------------

def test_task_pane_lists_the_latest_findings(client: TestClient, demo: Path) -> None:
    page = client.get("/taskpane.html")
    assert page.status_code == 200
    for script in BUTTONS.values():
        assert f'xw-click="{script}"' in page.text
    assert 'hx-post="/tom/findings"' in page.text and 'xw-book="true"' in page.text
    new_month(OpenpyxlSurface(demo), MONTH)
    response = client.post("/tom/findings", data={"bookData": json.dumps(payload_from_xlsx(demo))})
    assert response.status_code == 200
    errors, warnings = (int(n.split()[0]) for n in counts(demo, MONTH, None).split(", "))
    assert f"<strong>{errors}</strong> error(s), <strong>{warnings}</strong> warning(s)" in response.text
    for f in validate(read_workbook(demo), MONTH):
        assert f.rule in response.text
    assert "rated R with no Progress notes" in response.text


def test_task_pane_says_when_the_book_is_not_a_tom(client: TestClient) -> None:
    payload = {"client": "Office.js", "version": "0.37.8", "names": [],
               "book": {"name": "Book1.xlsx", "active_sheet_index": 0},
               "sheets": [{"name": "Sheet1", "values": [[""]]}]}
    response = client.post("/tom/findings", data={"bookData": json.dumps(payload)})
    assert "no Master tab" in response.text


def test_manifest_has_the_tom_tab_buttons_and_functions(client: TestClient) -> None:
    xml = client.get("/manifest.xml", headers={"X-Forwarded-Proto": "https"}).text
    root = ElementTree.fromstring(xml.encode())
    assert root.find(f"{OFFICE}Id").text == MANIFEST_ID
    functions = [e.text for e in root.iter(f"{OVERRIDES}FunctionName")]
    assert functions == [*BUTTONS, *PANE_BUTTONS]
    strings = {e.get("id"): e.get("DefaultValue") for e in root.iter(
        "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}String")}
    assert strings["TomTab.Label"] == "TOM" and strings["Functions.Namespace"] == "TOM"
    assert [strings[f"{b}.Label"] for b in [*BUTTONS, *PANE_BUTTONS]] == [
        "Validate", "Roll up", "New month", "Pull", "Push", "Sync month", "Save to library"]
    assert all(strings[f"{b}.Tooltip"] for b in PANE_BUTTONS)
    assert "https://testserver/taskpane.html" in xml


def test_with_single_sign_on_the_ribbon_has_sync_month_and_save_to_library_not_pull_and_push(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlwings_server.config import settings

    for name, value in (("auth_providers", ["entraid"]), ("auth_entraid_client_id", "app-id"),
                        ("auth_entraid_tenant_id", "tenant-id")):
        monkeypatch.setattr(settings, name, value)
    xml = client.get("/manifest.xml", headers={"X-Forwarded-Proto": "https"}).text
    root = ElementTree.fromstring(xml.encode())
    functions = [e.text for e in root.iter(f"{OVERRIDES}FunctionName")]
    assert functions == ["TomValidate", "TomRollUp", "TomNewMonth", *PANE_BUTTONS]
    ribbon_js = client.get("/static/js/ribbon.js").text
    for function_name, button in PANE_BUTTONS.items():  # each opens the task pane at its button
        assert f'{function_name}: ["{button}", ' in ribbon_js
    pane = client.get("/taskpane.html").text
    assert all(f'id="{button}"' in pane for button in PANE_BUTTONS.values())


def test_manifest_xml_for_a_given_address() -> None:
    xml = manifest_xml("https://127.0.0.1:8443")
    ElementTree.fromstring(xml.encode())
    assert 'DefaultValue="https://127.0.0.1:8443/taskpane.html"' in xml
    assert "https://127.0.0.1:8443/xlwings/custom-functions-meta.json" in xml


def test_a_button_logs_what_ran_and_how_long_never_the_workbook(client: TestClient, demo: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    payload = payload_from_xlsx(demo)
    with caplog.at_level("INFO", logger="tomsync.addin"):
        run_script(client, "tom_validate", payload)
    lines = [r.getMessage() for r in caplog.records if r.name == "tomsync.addin"]
    assert len(lines) == 1 and lines[0].startswith("validate_workbook: ok in ")
    typed = {str(v) for sheet in payload["sheets"] for row in sheet["values"] for v in row if v}
    assert not [t for t in typed if len(t) > 3 and t in lines[0]]  # no cell text in the log
