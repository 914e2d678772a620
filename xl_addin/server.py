"""The Office.js add-in: xlwings Server (package ``xlwings-server``) pointed at `xl_addin/officejs`.

xlwings Server is a FastAPI app that serves the manifest, the task pane, the custom functions and
the custom scripts, and turns each request's workbook payload into an `xlwings.Book`. It reads its
settings from XLWINGS_* environment variables when it is first imported, so `configure` sets them
(without overriding what the user set) before `load_app` imports it.

Licence: xlwings Server and the xlwings PRO parts it uses (``xw.Book(json=...)``) are dual-licensed:
PolyForm Noncommercial 1.0.0 (free for noncommercial use; its terms cover educational institutions and
government bodies such as schools, councils and SDS: set XLWINGS_LICENSE_KEY=noncommercial) or a paid
xlwings PRO licence (set XLWINGS_LICENSE_KEY to that key). Nothing starts without the key being set.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent / "officejs"
LICENSE_ENV = "XLWINGS_LICENSE_KEY"
MANIFEST_ID = "dd5a4e68-5c56-44ca-830c-e38f967f9e74"  # this add-in's own id (not xlwings' sample id)
DEFAULTS = {
    "XLWINGS_PROJECT_DIR": str(PROJECT_DIR),
    "XLWINGS_PROJECT_NAME": "TOM",
    "XLWINGS_FUNCTIONS_NAMESPACE": "TOM",
    "XLWINGS_MANIFEST_ID_PROD": MANIFEST_ID,
    "XLWINGS_ENVIRONMENT": "prod",
    "XLWINGS_ENABLE_EXAMPLES": "false",
    "XLWINGS_ENABLE_HOTRELOAD": "false",
    "XLWINGS_ON_SERVER": "true",
}
NO_LICENSE = (
    f"xlwings Server needs {LICENSE_ENV}: for noncommercial use (schools, councils, SDS; PolyForm "
    f"Noncommercial 1.0.0) set {LICENSE_ENV}=noncommercial, otherwise set your xlwings PRO key"
)


class AddinError(RuntimeError):
    """The add-in server cannot start; the message says what to do."""


def configure(env: MutableMapping[str, str] | None = None) -> None:
    """Set xlwings Server's settings for the TOM add-in (values already set by the user win)."""
    env = os.environ if env is None else env
    if not env.get(LICENSE_ENV):
        raise AddinError(NO_LICENSE)
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)


def ensure_remote_engine() -> None:
    """Register xlwings' remote engine if xlwings was imported before the licence key was set."""
    import xlwings as xw

    if "remote" not in [e.name for e in xw.engines]:
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xw.engines.add(Engine(impl=_xlremote.engine))


def load_app() -> tuple[Any, Any]:
    """(ASGI app to serve, the FastAPI app inside it) of xlwings Server with the TOM project."""
    if importlib.util.find_spec("xlwings_server") is None:
        raise AddinError("the Office.js add-in needs xlwings-server: pip install xlwings-server")
    configure()  # before xlwings_server is imported: it reads its settings at import time
    if Path(os.environ["XLWINGS_PROJECT_DIR"]).resolve() != PROJECT_DIR:
        raise AddinError(f"XLWINGS_PROJECT_DIR must be {PROJECT_DIR} (or unset) for the TOM add-in")
    ensure_remote_engine()
    from pydantic import ValidationError

    try:
        from xlwings_server import config, main
    except ValidationError as exc:  # a malformed XLWINGS_* setting: one line naming it, never its value
        raise AddinError(bad_setting(exc)) from None

    if config.PROJECT_DIR.resolve() != PROJECT_DIR:
        raise AddinError("xlwings Server was imported before the TOM add-in configured it")
    problem = sso_problem(config.settings)
    if problem is not None:
        raise AddinError(problem)

    add_health(main.app, config.settings.app_path)
    return main.main_app, main.app


def bad_setting(exc: Any) -> str:
    """One line for xlwings Server's settings refusing a value: the variable and why (not the value,
    which could be a secret). Lists are JSON: ``XLWINGS_AUTH_PROVIDERS='["entraid"]'``."""
    error = exc.errors()[0]
    name = "XLWINGS_" + "_".join(str(part) for part in error.get("loc", ()) if isinstance(part, str)).upper()
    is_list = "list" in str(error.get("type", ""))
    hint = " (a list is written as JSON, e.g. '[\"entraid\"]')" if is_list else ""
    return f"the setting {name} is not valid: {error.get('msg', 'invalid value')}{hint}"


def sso_problem(settings: Any) -> str | None:
    """Single sign-on switched on without the app it signs in to: the server would refuse every
    sign-in and the manifest would name no app (``<Id>None</Id>``). One line naming what is missing."""
    if "entraid" not in (settings.auth_providers or []):
        return None
    missing = [name for name, value in (("XLWINGS_AUTH_ENTRAID_CLIENT_ID", settings.auth_entraid_client_id),
                                        ("XLWINGS_AUTH_ENTRAID_TENANT_ID", settings.auth_entraid_tenant_id))
               if not value]
    if not missing:
        return None
    return (f'single sign-on is on (XLWINGS_AUTH_PROVIDERS=["entraid"]) but {" and ".join(missing)} '
            f"{'is' if len(missing) == 1 else 'are'} not set: see docs/excel-addin.md, IT deployment")


def health() -> dict[str, str]:
    """What a load balancer or IT's monitoring needs to see the server is up: no settings, no secrets."""
    from importlib.metadata import PackageNotFoundError, version

    def of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "unknown"

    return {"status": "ok", "app": "tomsync", "version": of("tomsync"),
            "xlwings_server": of("xlwings-server")}


def add_health(app: Any, app_path: str = "") -> None:
    """``GET /health`` (and HEAD) on the app, once: answers without sign-in, whatever the auth settings.
    Always at ``/health`` (the image's HEALTHCHECK, App Service's health check), and also under
    ``XLWINGS_APP_PATH`` when the add-in is served below a path."""
    for path in dict.fromkeys(("/health", f"{app_path}/health")):
        if not any(getattr(r, "path", None) == path for r in app.router.routes):
            app.add_api_route(path, health, methods=["GET", "HEAD"], include_in_schema=False)


def manifest_xml(base_url: str = "https://127.0.0.1:8000") -> str:
    """The manifest as the running server would serve it at ``base_url`` (for sideloading).

    ``base_url`` is the server's public address; a path in it, if any, must be the server's own
    ``XLWINGS_APP_PATH`` (xlwings Server builds every address from the host and that setting)."""
    with warnings.catch_warnings():  # starlette's notice about httpx is for developers, not for IT
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    asgi, _ = load_app()
    from xlwings_server.config import settings

    parts = urlsplit(base_url.strip())
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    if path and path != settings.app_path.rstrip("/"):
        raise AddinError(f"--url {base_url} has the path {path}, but the add-in is served below "
                         f"{settings.app_path or '/'}: give the server's address ({origin}), or set "
                         f"XLWINGS_APP_PATH={path} for the server and for this command")
    headers = {"X-Forwarded-Proto": "https"} if parts.scheme == "https" else {}
    with TestClient(asgi, base_url=origin) as client:
        response = client.get(f"{settings.app_path}/manifest.xml", headers=headers)
    response.raise_for_status()
    if f'DefaultValue="{origin}{settings.app_path}/' not in response.text:  # the server chose another host
        raise AddinError(f"the manifest would not point at {base_url}: XLWINGS_HOSTNAME (or WEBSITE_HOSTNAME "
                         "on Azure) names another host; unset it or give that host as --url")
    return response.text


def serve(host: str = "127.0.0.1", port: int = 8000, certfile: Path | None = None,
          keyfile: Path | None = None, forwarded_allow_ips: str | None = None) -> None:
    """Run the add-in server. Office.js add-ins need HTTPS: give a certificate for the host, or run it
    behind a reverse proxy that ends HTTPS and says so in X-Forwarded-Proto (trusted from the addresses
    in ``forwarded_allow_ips``; uvicorn's default is 127.0.0.1 or $FORWARDED_ALLOW_IPS)."""
    import uvicorn

    asgi, _ = load_app()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(asgi, host=host, port=port, ssl_certfile=str(certfile) if certfile else None,
                ssl_keyfile=str(keyfile) if keyfile else None, log_level="info", proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips)
