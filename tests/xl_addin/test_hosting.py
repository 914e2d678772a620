"""The hosted add-in: the manifest for a public URL with TOM's own icons, /health, `addin serve --host`."""

from __future__ import annotations

import importlib.util
import struct
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
