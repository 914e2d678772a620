"""The add-in server as an ASGI app for a production server: ``uvicorn xl_addin.asgi:app``.

What the Dockerfile runs (and what IT runs without a container, e.g. on Azure App Service):
uvicorn (or gunicorn with uvicorn workers) imports ``app`` from here, so the TOM settings are applied
before xlwings Server reads them, exactly as `tomsync addin serve` does. HTTPS is the host's job:
run it behind a proxy that ends TLS and sets X-Forwarded-Proto, and tell uvicorn which proxy
addresses to trust (``--forwarded-allow-ips`` or $FORWARDED_ALLOW_IPS). Importing this module needs
XLWINGS_LICENSE_KEY (see `xl_addin.server`); without it the import fails with that one line.
"""

from __future__ import annotations

from xl_addin.server import load_app

app, fastapi_app = load_app()

__all__ = ["app", "fastapi_app"]
