"""Ribbon scripts on an Excel without the notes API, and scripts that fail: one line in a dialog, no 500."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("xlwings_server") is None:  # not imported here: it reads settings on import
    pytest.skip("xlwings-server is not installed", allow_module_level=True)
from fastapi.testclient import TestClient  # noqa: E402

from tests.workbook_templates.test_annotate import counts, expected_marks  # noqa: E402
from tests.xl_addin.conftest import MONTH  # noqa: E402
from tests.xl_addin.payload import payload_from_xlsx  # noqa: E402
from tests.xl_addin.test_server import at, cell_of, positions, run_script  # noqa: E402
from workbook_templates.annotate import annotate_file  # noqa: E402
from workbook_templates.reader import read_workbook  # noqa: E402
from workbook_templates.surface import OpenpyxlSurface  # noqa: E402
from workbook_templates.validate import validate  # noqa: E402
from xl_addin.ribbon import new_month  # noqa: E402
from xl_addin.server import load_app  # noqa: E402
from xl_addin.xlwings_surface import NOTES_SKIPPED  # noqa: E402

BUTTONS = ("tom_validate", "tom_roll_up", "tom_new_month", "tom_pull", "tom_push")


@pytest.fixture(scope="module")
def client() -> Any:
    asgi, _app = load_app()
    with TestClient(asgi) as c:
        yield c


def without_notes(payload: dict[str, Any]) -> dict[str, Any]:
    """What xlwings.js posts from an Excel without ExcelApi 1.18: ``notes_supported`` false and no notes
    on any sheet (``Office.context.requirements.isSetSupported("ExcelApi", "1.18")`` is false there)."""
    for sheet in payload["sheets"]:
        sheet["notes_supported"] = False
        sheet["notes"] = []
    return payload


def alerts(actions: list[dict[str, Any]]) -> list[str]:
    return [a["args"][0] for a in actions if a["func"] == "alert"]


def test_validate_without_the_notes_api_writes_issues_and_fills_and_says_so_once(
        client: TestClient, demo: Path) -> None:
    new_month(OpenpyxlSurface(demo), MONTH)
    payload = without_notes(payload_from_xlsx(demo))
    actions = run_script(client, "tom_validate", payload)
    funcs = [a["func"] for a in actions]
    assert "addNote" not in funcs and "deleteNote" not in funcs
    issues_at = len(payload["sheets"])
    assert actions[funcs.index("addSheet")]["args"] == [issues_at, "Issues"]
    rows = next(a for a in actions if a["func"] == "setValues" and a["sheet_position"] == issues_at)["values"]
    assert len(rows) == len(validate(read_workbook(demo), MONTH)) + 1
    fills = {at(a): a["args"][0] for a in actions if a["func"] == "setRangeColor" and a["args"][0]
             and a["sheet_position"] != issues_at}
    marks = expected_marks(demo, MONTH, None)
    assert fills == {cell_of(payload, s, c): "#" + colour for (s, c), colour in marks.items()}
    (message,) = alerts(actions)
    assert message == f"scottish-tom.xlsx: {counts(demo, MONTH, None)}: see the Issues tab; {NOTES_SKIPPED}"
    assert message.count("notes") == 2 and "\n" not in message  # said once, on the one line


def test_validate_again_without_the_notes_api_still_clears_the_old_fills(client: TestClient,
                                                                         demo: Path) -> None:
    annotate_file(demo, MONTH)  # marked (and noted) before, e.g. by `tomsync validate --annotate`
    payload = without_notes(payload_from_xlsx(demo))
    actions = run_script(client, "tom_validate", payload)
    assert not [a for a in actions if a["func"] in ("addNote", "deleteNote")]
    jedburgh = cell_of(payload, "Jedburgh Grammar", "C2")
    fills = [a["args"][0] for a in actions if a["func"] == "setRangeColor" and at(a) == jedburgh]
    assert fills[0] == "#F2F2F2"  # the locked grey back first, as with notes
    deleted = {a["sheet_position"] for a in actions if a["func"] == "sheetDelete"}
    assert positions(payload)["Issues"] in deleted
    assert len(alerts(actions)) == 1


def test_buttons_that_write_no_notes_do_not_mention_them(client: TestClient, demo: Path) -> None:
    for script in ("tom_roll_up", "tom_new_month"):
        (message,) = alerts(run_script(client, script, without_notes(payload_from_xlsx(demo))))
        assert "notes" not in message


@pytest.mark.parametrize("script", BUTTONS)
def test_a_failing_script_shows_one_line_not_a_500(client: TestClient, demo: Path, script: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("the disk is full\nTraceback line two")

    for name in ("validate_workbook", "roll_up", "new_month", "pull", "push"):
        monkeypatch.setattr(f"xl_addin.ribbon.{name}", broken)
    with caplog.at_level("ERROR", logger="tomsync.addin"):
        response = client.post(f"/xlwings/custom-scripts-call/{script}", json=payload_from_xlsx(demo))
    assert response.status_code == 200
    (message,) = alerts(response.json()["actions"])
    label = {"tom_validate": "Validate", "tom_roll_up": "Roll up", "tom_new_month": "New month",
             "tom_pull": "Pull", "tom_push": "Push"}[script]
    assert message == f"{label} could not run: RuntimeError: the disk is full"
    assert any(r.exc_info for r in caplog.records)  # the traceback is in the server's log for IT
