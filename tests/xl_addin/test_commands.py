"""`tomsync addin ...` (the typer sub-app, run on its own)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.xl_addin.conftest import MONTH, TODAY
from workbook_templates.reader import read_workbook
from workbook_templates.validate import validate
from xl_addin import server
from xl_addin.commands import addin_app
from xl_addin.conf import CONF_SHEET
from xl_addin.server import NO_LICENSE, AddinError, configure

runner = CliRunner()
needs_server = pytest.mark.skipif(importlib.util.find_spec("xlwings_server") is None,
                                  reason="xlwings-server is not installed")


@needs_server
def test_manifest_command_writes_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "tom-manifest.xml"
    result = runner.invoke(addin_app, ["manifest", "-o", str(out), "--url", "https://127.0.0.1:8443"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    root = ElementTree.parse(out).getroot()
    assert root.tag.endswith("OfficeApp")
    assert "https://127.0.0.1:8443/taskpane.html" in out.read_text()


def test_manifest_command_refuses_a_bad_url(tmp_path: Path) -> None:
    result = runner.invoke(addin_app, ["manifest", "-o", str(tmp_path / "m.xml"), "--url", "127.0.0.1"])
    assert result.exit_code == 2 and not (tmp_path / "m.xml").exists()


@needs_server
def test_serve_runs_uvicorn_on_localhost(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv("TOMSYNC_WORKDIR", "")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("y")
    result = runner.invoke(addin_app, ["serve", "--port", "8443", "--certfile", str(cert),
                                       "--keyfile", str(key), "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (app, kw), = calls
    assert kw["host"] == "127.0.0.1" and kw["port"] == 8443
    assert kw["ssl_certfile"] == str(cert) and kw["ssl_keyfile"] == str(key)
    assert app is server.load_app()[0]
    import os

    assert os.environ["TOMSYNC_WORKDIR"] == str(tmp_path.resolve())


def test_serve_checks_its_options_first(tmp_path: Path) -> None:
    result = runner.invoke(addin_app, ["serve", "--certfile", str(tmp_path / "c.pem")])
    assert result.exit_code == 2 and "both --certfile and --keyfile" in result.output
    result = runner.invoke(addin_app, ["serve", "--certfile", str(tmp_path / "c.pem"), "--keyfile",
                                       str(tmp_path / "k.pem")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_no_licence_key_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    env: dict[str, str] = {}
    with pytest.raises(AddinError, match="XLWINGS_LICENSE_KEY=noncommercial"):
        configure(env)
    assert "PolyForm Noncommercial" in NO_LICENSE
    env = {"XLWINGS_LICENSE_KEY": "noncommercial", "XLWINGS_PROJECT_NAME": "Borders TOM"}
    configure(env)
    assert env["XLWINGS_PROJECT_NAME"] == "Borders TOM"  # the user's settings win
    assert env["XLWINGS_FUNCTIONS_NAMESPACE"] == "TOM"
    assert Path(env["XLWINGS_PROJECT_DIR"]) == server.PROJECT_DIR


@needs_server
def test_serve_without_a_licence_key_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLWINGS_LICENSE_KEY", raising=False)
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("must not start"))
    result = runner.invoke(addin_app, ["serve"])
    assert result.exit_code == 2
    assert "XLWINGS_LICENSE_KEY" in result.output


# -- the classic route is gone ---------------------------------------------------------------------

def test_conf_command_is_gone_and_an_old_xlwings_conf_sheet_is_still_ignored(demo: Path) -> None:
    assert runner.invoke(addin_app, ["conf", str(demo)]).exit_code == 2  # no such command
    before = validate(read_workbook(demo), MONTH, TODAY)
    wb = load_workbook(demo)  # a workbook built before: it still has the hidden sheet
    ws = wb.create_sheet(CONF_SHEET)
    ws["A1"], ws["B1"], ws.sheet_state = "UDF Modules", "xl_addin.udfs", "hidden"
    wb.save(demo)
    assert validate(read_workbook(demo), MONTH, TODAY) == before  # a reserved tab: no unknown-tab warning
