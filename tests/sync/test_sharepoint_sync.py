"""Pull, push, merge and the monthly cycle through the real GraphClient against the local Graph server,
and the command line reading a SharePoint tomsync.toml (sign-in replaced by a fixed token, no network)."""

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.auth import TokenProvider
from sync.cycle import report_names, run_cycle
from sync.workflow import pull, push
from tests.sync.conftest import BASE
from tomsync.cli import app
from tomsync.demo.data import fill_month
from workbook_templates.spec import load_spec
from workbook_templates.template import build_workbook

NAME = "borders.xlsx"


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory) -> bytes:
    spec = load_spec("scottish-tom")
    wb = build_workbook(spec, "pw")
    fill_month(wb, spec, "2026-11", date(2026, 11, 20), seed=3)
    path = tmp_path_factory.mktemp("wb") / NAME
    wb.save(path)
    return path.read_bytes()


def edit(path: Path, sheet: str, cell: str, value) -> None:
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def test_two_colleagues_push_disjoint_edits_through_graph(graph_server, make_library, tmp_path,
                                                          workbook_bytes):
    graph_server.put(f"{BASE}/{NAME}", workbook_bytes)
    lib = make_library(upload_chunk_threshold=4 * 1024 * 1024)
    a, b = tmp_path / "a", tmp_path / "b"
    assert pull(a, lib).downloads == 1
    assert pull(b, lib).downloads == 1
    assert pull(a, lib).downloads == 0  # eTag unchanged: nothing fetched
    edit(a / NAME, "Hawick High", "J3", "from Alice")
    edit(b / NAME, "Kelso High", "J3", "from Bob")
    # Alice's push lands between Bob's listing and Bob's upload: Graph answers Bob with 412
    graph_server.on_next("upload", lambda: graph_server.put(f"{BASE}/{NAME}", (a / NAME).read_bytes()))
    graph_server.reset_log()
    report = push(b, lib)
    assert report.ok and report.uploads == 1
    uploads = graph_server.requests_of("upload")
    assert len(uploads) == 2  # refused with 412, then the merge with the new eTag
    assert uploads[0].headers.get("If-Match") != uploads[1].headers.get("If-Match")
    remote = tmp_path / "remote.xlsx"
    remote.write_bytes(graph_server.content(f"{BASE}/{NAME}"))
    wb = load_workbook(remote)
    assert wb["Hawick High"]["J3"].value == "from Alice"
    assert wb["Kelso High"]["J3"].value == "from Bob"
    assert wb["Kelso High"].protection.sheet


def test_conflict_through_graph_pushes_nothing(graph_server, make_library, tmp_path, workbook_bytes):
    graph_server.put(f"{BASE}/{NAME}", workbook_bytes)
    lib = make_library(upload_chunk_threshold=4 * 1024 * 1024)
    a, b = tmp_path / "a", tmp_path / "b"
    pull(a, lib)
    pull(b, lib)
    edit(a / NAME, "Hawick High", "J4", "Alice")
    edit(b / NAME, "Hawick High", "J4", "Bob")
    push(a, lib)
    before = graph_server.etag(f"{BASE}/{NAME}")
    report = push(b, lib)
    assert not report.ok and report.uploads == 0
    assert graph_server.etag(f"{BASE}/{NAME}") == before
    assert (b / "borders.theirs.xlsx").exists() and (b / "borders.conflicts.xlsx").exists()


def test_cycle_through_graph_then_rerun_downloads_nothing(graph_server, make_library, tmp_path,
                                                          workbook_bytes):
    graph_server.put(f"{BASE}/{NAME}", workbook_bytes)
    lib = make_library(upload_chunk_threshold=4 * 1024 * 1024)
    result = run_cycle(tmp_path / "work", lib, "2026-11", date(2026, 11, 28))
    assert result.pushed is not None and result.pushed.ok
    for name in (*report_names("2026-11"), f"archive/2026-11/{NAME}", "archive/2026-11/rollup.json"):
        assert graph_server.content(f"{BASE}/{name}") is not None, name
    graph_server.reset_log()
    again = run_cycle(tmp_path / "work", lib, "2026-11", date(2026, 11, 28))
    assert again.unchanged
    assert graph_server.requests_of("download") == []
    assert all(s.method == "GET" for s in graph_server.seen)  # listings only


@pytest.fixture
def sharepoint_config(graph_server, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TOMSYNC_HOME", str(tmp_path / "home"))
    config = tmp_path / "work" / "tomsync.toml"
    config.parent.mkdir()
    config.write_text(f"""
[library]
site_url = "{graph_server.site_url}"
drive = "Documents"
folder = "{BASE}"
tenant_id = "contoso.onmicrosoft.com"
client_id = "11111111-2222-3333-4444-555555555555"
auth = "device_code"
graph_url = "{graph_server.graph_url}"
""")
    return config


def test_cli_pull_and_cycle_with_a_sharepoint_config(graph_server, sharepoint_config, monkeypatch,
                                                     workbook_bytes):
    monkeypatch.setattr(TokenProvider, "acquire", lambda self: {"token_type": "Bearer",
                                                                 "access_token": "test-token"})
    graph_server.put(f"{BASE}/{NAME}", workbook_bytes)
    work = sharepoint_config.parent
    runner = CliRunner()
    pulled = runner.invoke(app, ["pull", "--workdir", str(work)])
    assert pulled.exit_code == 0, pulled.output
    assert (work / NAME).read_bytes() == workbook_bytes
    cycle = runner.invoke(app, ["cycle", "--month", "2026-11", "--workdir", str(work)])
    assert cycle.exit_code == 0, cycle.output
    assert graph_server.content(f"{BASE}/{report_names('2026-11')[0]}") is not None
    assert "test-token" not in cycle.output


def test_cli_401_says_sign_in_again_and_drops_the_cached_token(graph_server, sharepoint_config,
                                                               monkeypatch):
    forgotten = []
    monkeypatch.setattr(TokenProvider, "acquire", lambda self: {"token_type": "Bearer",
                                                                 "access_token": "expired"})
    monkeypatch.setattr(TokenProvider, "forget", lambda self: forgotten.append(True))
    result = CliRunner().invoke(app, ["pull", "--workdir", str(sharepoint_config.parent)])
    assert result.exit_code == 2
    assert "sign in again" in result.output
    assert forgotten == [True]
    assert "expired" not in result.output


def test_cli_403_names_the_missing_permission(graph_server, sharepoint_config, monkeypatch):
    monkeypatch.setattr(TokenProvider, "acquire", lambda self: {"token_type": "Bearer",
                                                                 "access_token": "test-token"})
    graph_server.fail_next(5, 403)
    result = CliRunner().invoke(app, ["pull", "--workdir", str(sharepoint_config.parent)])
    assert result.exit_code == 2
    assert "Sites.Selected" in result.output
