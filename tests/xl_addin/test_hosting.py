"""The hosted add-in: the manifest for a public URL with TOM's own icons, /health, `addin serve --host`."""

from __future__ import annotations

import importlib.util
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

if importlib.util.find_spec("xlwings_server") is None:  # not imported here: it reads settings on import
    pytest.skip("xlwings-server is not installed", allow_module_level=True)
from fastapi.testclient import TestClient  # noqa: E402

from xl_addin.commands import addin_app  # noqa: E402
from xl_addin.server import load_app  # noqa: E402

runner = CliRunner()
URL = "https://tom.example.org"
BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"
OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no imaging library needed to check an icon)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def icon_urls(xml: str) -> dict[str, str]:
    """The manifest's icons: IconUrl, HighResolutionIconUrl and every bt:Image, by name."""
    root = ElementTree.fromstring(xml.encode())
    urls = {e.get("id"): e.get("DefaultValue") for e in root.iter(f"{BT}Image") if e.get("id")}
    for tag in ("IconUrl", "HighResolutionIconUrl"):
        urls[tag] = root.find(f"{OFFICE}{tag}").get("DefaultValue")
    return urls


@pytest.fixture(scope="module")
def client() -> Any:
    asgi, _app = load_app()
    with TestClient(asgi, base_url=URL) as c:
        yield c


def test_manifest_for_the_hosted_url_points_at_tom_icons_it_serves(tmp_path: Path,
                                                                   client: TestClient) -> None:
    out = tmp_path / "tom-manifest.xml"
    result = runner.invoke(addin_app, ["manifest", "--url", URL, "-o", str(out)])
    assert result.exit_code == 0, result.output
    xml = out.read_text(encoding="utf-8")
    assert f'DefaultValue="{URL}/taskpane.html"' in xml and "127.0.0.1" not in xml
    urls = icon_urls(xml)
    expected = {"Icon.16x16": 16, "Icon.32x32": 32, "Icon.80x80": 80, "IconUrl": 32,
                "HighResolutionIconUrl": 64}
    assert set(urls) == set(expected)
    for name, size in expected.items():
        url = urls[name]
        assert url.startswith(URL + "/") and "xlwings" not in url.rsplit("/", 1)[-1]
        response = client.get(url.removeprefix(URL))
        assert response.status_code == 200, url
        assert response.headers["content-type"] == "image/png"
        assert png_size(response.content) == (size, size), name


def test_the_icons_are_toms_own_not_xlwings_defaults(client: TestClient) -> None:
    ours = client.get("/static/images/icons/tom-32.png").content
    theirs = client.get("/static/images/icons/xlwings-32.png")
    assert theirs.status_code == 200 and theirs.content != ours  # the package's default is still there


def test_health_answers_without_sign_in(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["app"] == "tomsync"
    assert client.head("/health").status_code == 200
    load_app()  # loading again does not add the route twice
    _asgi, app = load_app()
    assert [getattr(r, "path", None) for r in app.router.routes].count("/health") == 1


def test_serve_listens_where_it_is_told(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append(kw))
    result = runner.invoke(addin_app, ["serve", "--host", "0.0.0.0", "--port", "9000",
                                       "--forwarded-allow-ips", "10.0.0.5"])
    assert result.exit_code == 0, result.output
    (kw,) = calls
    assert (kw["host"], kw["port"], kw["ssl_certfile"]) == ("0.0.0.0", 9000, None)
    assert kw["proxy_headers"] is True and kw["forwarded_allow_ips"] == "10.0.0.5"
    assert "behind a proxy that ends HTTPS" in result.output


def test_manifest_refuses_a_url_the_server_would_not_use(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSITE_HOSTNAME", "tom-addin.azurewebsites.net")  # App Service sets this
    out = tmp_path / "m.xml"
    result = runner.invoke(addin_app, ["manifest", "--url", URL, "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert "WEBSITE_HOSTNAME" in result.output
    azure = "https://tom-addin.azurewebsites.net"
    result = runner.invoke(addin_app, ["manifest", "--url", azure, "-o", str(out)])
    assert result.exit_code == 0 and f"{azure}/taskpane.html" in out.read_text()


# -- the manifest with single sign-on, checked as Office's manifest schema and SSO need it ------------

APP_ID = "0f3e2d1c-aaaa-4bbb-8ccc-123456789abc"
OVERRIDES = "{http://schemas.microsoft.com/office/taskpaneappversionoverrides}"


@pytest.fixture
def single_sign_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from xlwings_server.config import settings

    for name, value in (("auth_providers", ["entraid"]), ("auth_entraid_client_id", APP_ID),
                        ("auth_entraid_tenant_id", "9a8b7c6d-0000-4000-8000-000000000001")):
        monkeypatch.setattr(settings, name, value)


def test_with_single_sign_on_the_manifest_names_the_app_and_its_api_for_office(
        tmp_path: Path, single_sign_on: None) -> None:
    out = tmp_path / "tom-manifest.xml"
    result = runner.invoke(addin_app, ["manifest", "--url", URL, "-o", str(out)])
    assert result.exit_code == 0, result.output
    root = ElementTree.fromstring(out.read_bytes())
    overrides = root.find(f"{OVERRIDES}VersionOverrides")
    assert overrides is not None
    # Office's getAccessToken needs WebApplicationInfo: the app's client ID and its Application ID URI,
    # which docs/excel-addin.md (step 2) tells IT to set to api://<host>/<client-id>
    info = overrides.find(f"{OVERRIDES}WebApplicationInfo")
    assert info is not None
    assert info.findtext(f"{OVERRIDES}Id") == APP_ID
    assert info.findtext(f"{OVERRIDES}Resource") == f"api://tom.example.org/{APP_ID}"
    scopes = [s.text for s in info.iter(f"{OVERRIDES}Scope")]
    assert {"openid", "profile", "Files.ReadWrite.All"} <= set(scopes)  # what the admin centre consents to
    # the schema's order: WebApplicationInfo comes after Resources, as VersionOverrides' last child here
    tags = [child.tag for child in overrides]
    assert tags[-2:] == [f"{OVERRIDES}Resources", f"{OVERRIDES}WebApplicationInfo"]
    # every address in the manifest is the hosted one, over https
    addresses = [e.get("DefaultValue") for e in root.iter() if (e.get("DefaultValue") or "").startswith(
        ("http:", "https:"))]
    addresses += [e.text for e in root.iter(f"{OFFICE}AppDomain")]
    assert addresses and all(a.startswith(URL + "/") or a == URL for a in addresses), addresses
    assert root.find(f"{OFFICE}SupportUrl").get("DefaultValue") == f"{URL}/taskpane.html"
    assert [e.text for e in root.iter(f"{OFFICE}AppDomain")] == [URL]


def test_without_single_sign_on_the_manifest_has_no_web_application_info(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    assert runner.invoke(addin_app, ["manifest", "--url", URL, "-o", str(out)]).exit_code == 0
    assert "WebApplicationInfo" not in out.read_text(encoding="utf-8")


def test_single_sign_on_without_the_app_s_ids_is_refused_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlwings_server.config import settings

    monkeypatch.setattr(settings, "auth_providers", ["entraid"])
    monkeypatch.setattr(settings, "auth_entraid_client_id", None)
    monkeypatch.setattr(settings, "auth_entraid_tenant_id", "9a8b7c6d-0000-4000-8000-000000000001")
    out = tmp_path / "m.xml"
    result = runner.invoke(addin_app, ["manifest", "--url", URL, "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()  # never a manifest naming the app "None"
    assert result.output.strip().splitlines() == [
        'tomsync: single sign-on is on (XLWINGS_AUTH_PROVIDERS=["entraid"]) but '
        "XLWINGS_AUTH_ENTRAID_CLIENT_ID is not set: see docs/excel-addin.md, IT deployment"]


def test_with_single_sign_on_the_task_pane_offers_no_pull_or_push(client: TestClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    on_one_computer = client.get("/taskpane.html").text
    assert 'xw-click="tom_pull"' in on_one_computer and 'xw-click="tom_push"' in on_one_computer
    from xlwings_server.config import settings

    for name, value in (("auth_providers", ["entraid"]), ("auth_entraid_client_id", APP_ID),
                        ("auth_entraid_tenant_id", "9a8b7c6d-0000-4000-8000-000000000001")):
        monkeypatch.setattr(settings, name, value)
    hosted = client.get("/taskpane.html").text
    assert 'xw-click="tom_pull"' not in hosted and 'xw-click="tom_push"' not in hosted  # they only refuse
    assert 'id="tom-sync-month"' in hosted and 'id="tom-save"' in hosted
    assert 'xw-click="tom_validate"' in hosted


# -- settings xlwings Server reads once, at start-up: a fresh process each -----------------------------

def tomsync_in_a_new_process(tmp_path: Path, env: dict[str, str],
                             *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")
             and k not in ("WEBSITE_HOSTNAME", "RENDER_EXTERNAL_URL", "CODESPACES")}
    return subprocess.run([sys.executable, "-c", "from tomsync.cli import main; main()", *args],
                          env={**clean, "XLWINGS_LICENSE_KEY": "noncommercial", **env}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)


def test_a_malformed_setting_is_one_line_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    run = tomsync_in_a_new_process(tmp_path, {"XLWINGS_AUTH_PROVIDERS": "entraid"},
                                   "addin", "manifest", "--url", URL, "-o", str(out))
    assert run.returncode == 2 and not out.exists(), run.stderr
    assert run.stderr.strip().splitlines() == [
        "tomsync: the setting XLWINGS_AUTH_PROVIDERS is not valid: Input should be a valid list (a list is "
        "written as JSON, e.g. '[\"entraid\"]')"]


def test_below_an_app_path_the_manifest_is_written_and_health_answers_at_the_root(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    run = tomsync_in_a_new_process(tmp_path, {"XLWINGS_APP_PATH": "/tom"},
                                   "addin", "manifest", "--url", URL, "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no start-up chatter from the server or its HTTP client
    xml = out.read_text(encoding="utf-8")
    assert f'<SourceLocation DefaultValue="{URL}/tom/taskpane.html" />' in xml
    with_path = tomsync_in_a_new_process(tmp_path, {"XLWINGS_APP_PATH": "/tom"},
                                         "addin", "manifest", "--url", f"{URL}/tom", "-o", str(out))
    assert with_path.returncode == 0 and out.read_text(encoding="utf-8") == xml, with_path.stderr
    script = ("from fastapi.testclient import TestClient\nfrom xl_addin.server import load_app\n"
              "asgi, _ = load_app()\nc = TestClient(asgi)\n"
              "print(c.get('/health').status_code, c.get('/tom/health').status_code)\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    health = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180,
                            env={**clean, "XLWINGS_LICENSE_KEY": "noncommercial", "XLWINGS_APP_PATH": "/tom"})
    assert health.stdout.split() == ["200", "200"], health.stderr[-2000:]


def test_the_server_does_not_start_with_single_sign_on_half_configured(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from xlwings_server.config import settings

    monkeypatch.setattr(settings, "auth_providers", ["entraid"])
    monkeypatch.setattr(settings, "auth_entraid_client_id", None)
    monkeypatch.setattr(settings, "auth_entraid_tenant_id", None)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append(kw))
    result = runner.invoke(addin_app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and calls == []
    assert ("XLWINGS_AUTH_ENTRAID_CLIENT_ID and XLWINGS_AUTH_ENTRAID_TENANT_ID are not set"
            in result.output.splitlines()[-1])


def test_a_url_with_a_path_the_server_does_not_serve_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    result = runner.invoke(addin_app, ["manifest", "--url", f"{URL}/tom", "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert result.output.strip().splitlines() == [
        f"tomsync: --url {URL}/tom has the path /tom, but the add-in is served below /: give the server's "
        f"address ({URL}), or set XLWINGS_APP_PATH=/tom for the server and for this command"]
    result = runner.invoke(addin_app, ["manifest", "--url", f"{URL}/", "-o", str(out)])
    assert result.exit_code == 0 and f'DefaultValue="{URL}/taskpane.html"' in out.read_text(encoding="utf-8")
