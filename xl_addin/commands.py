"""`tomsync addin ...`: serve the Office.js add-in and write its manifest.

Mounted by the main CLI with ``app.add_typer(addin_app, name="addin")``. Exit status 2 with one line
on stderr when something cannot run (no licence key, xlwings-server missing, unreadable file).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

addin_app = typer.Typer(no_args_is_help=True, help="The Excel add-in: serve it, write its manifest.")
HOST = "127.0.0.1"


def _fail(message: str) -> typer.Exit:
    print(f"tomsync: {message}", file=sys.stderr)
    return typer.Exit(2)


@addin_app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(
        help="address to listen on: 127.0.0.1 (this computer only) or 0.0.0.0 behind a proxy")] = HOST,
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    certfile: Annotated[Path | None, typer.Option(help="TLS certificate (Office.js needs HTTPS)")] = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS private key for --certfile")] = None,
    workdir: Annotated[Path | None, typer.Option(
        help="folder holding tomsync.toml, for Pull and Push (default: the current folder)")] = None,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        help="proxy addresses whose X-Forwarded-Proto is trusted (default: 127.0.0.1, or "
             "$FORWARDED_ALLOW_IPS)")] = None,
) -> None:
    """Run the TOM add-in server (xlwings Server); needs XLWINGS_LICENSE_KEY.

    On one computer: the default 127.0.0.1 with --certfile/--keyfile. Hosted for everyone: --host 0.0.0.0
    behind a reverse proxy that ends HTTPS (or the Dockerfile; see docs/excel-addin.md, IT deployment)."""
    from xl_addin.server import AddinError, serve

    if (certfile is None) != (keyfile is None):
        raise _fail("give both --certfile and --keyfile, or neither")
    for f in (certfile, keyfile):
        if f is not None and not f.is_file():
            raise _fail(f"{f}: no such file")
    if workdir is not None:
        os.environ["TOMSYNC_WORKDIR"] = str(workdir.resolve())
    if certfile is None and host in (HOST, "localhost", "::1"):
        print("tomsync: serving over HTTP: Excel loads Office.js add-ins over HTTPS only; give --certfile "
              "and --keyfile (see docs/excel-addin.md)", file=sys.stderr)
    elif certfile is None:
        print(f"tomsync: serving HTTP on {host}:{port}: put it behind a proxy that ends HTTPS and sets "
              "X-Forwarded-Proto (see docs/excel-addin.md, IT deployment)", file=sys.stderr)
    try:
        serve(host, port, certfile, keyfile, forwarded_allow_ips)
    except AddinError as exc:
        raise _fail(str(exc)) from None


@addin_app.command("manifest")
def manifest_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="the manifest .xml to write")],
    url: Annotated[str, typer.Option(help="where the add-in server runs")] = f"https://{HOST}:8000",
) -> None:
    """Write the add-in's manifest (sideload it in Excel: see docs/excel-addin.md)."""
    from workbook_templates.atomic import atomic_write_bytes
    from xl_addin.server import AddinError, manifest_xml

    if not url.startswith(("https://", "http://")):
        raise _fail(f"--url must start with https://, not {url!r}")
    for name in ("xlwings_server", "httpx"):  # their start-up and request lines are the server's, not ours
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        xml = manifest_xml(url)
    except AddinError as exc:
        raise _fail(str(exc)) from None
    atomic_write_bytes(output, xml.encode("utf-8"))
    print(f"wrote {output} (add-in served at {url})")
