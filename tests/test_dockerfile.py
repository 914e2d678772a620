"""The Dockerfile at the repository root: its command line runs (the same argv, without docker), the
server answers /health, and behind a proxy it builds its URLs from X-Forwarded-Proto."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def cmd_and_env(text: str) -> tuple[list[str], dict[str, str]]:
    """The last CMD (exec form) and every ENV the image sets, as docker would run it."""
    cmd: list[str] = []
    env: dict[str, str] = {}
    for word, rest in instructions(text):
        if word == "CMD":
            cmd = json.loads(rest)
        elif word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return cmd, env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read(), dict(response.headers)


@pytest.fixture(scope="module")
def container_command(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Dockerfile's CMD run as a subprocess with the image's ENV; yields the server's base URL."""
    cmd, image_env = cmd_and_env(DOCKERFILE.read_text(encoding="utf-8"))
    assert cmd and cmd[0] == "uvicorn", cmd
    executable = Path(sys.executable).parent / ("uvicorn.exe" if os.name == "nt" else "uvicorn")
    port = free_port()
    env = {**os.environ, **image_env, "UVICORN_PORT": str(port), "UVICORN_HOST": "127.0.0.1",
           "XLWINGS_LICENSE_KEY": "noncommercial"}
    for key in ("XLWINGS_HOSTNAME", "WEBSITE_HOSTNAME", "RENDER_EXTERNAL_URL", "CODESPACES"):
        env.pop(key, None)  # xlwings Server would take the manifest's host from these instead
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(executable), *cmd[1:]], env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=tmp_path_factory.mktemp("cwd"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a start-up wait, not a timing assertion
        while True:
            try:
                get(base + "/health")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Dockerfile's command did not start: {log.read_text()[-2000:]}")
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_dockerfile_runs_the_asgi_app_with_a_production_server() -> None:
    cmd, env = cmd_and_env(DOCKERFILE.read_text(encoding="utf-8"))
    assert cmd[:2] == ["uvicorn", "xl_addin.asgi:app"] and "--proxy-headers" in cmd
    assert env["UVICORN_HOST"] == "0.0.0.0" and env["FORWARDED_ALLOW_IPS"]
    assert "XLWINGS_LICENSE_KEY" not in env  # given at run time, never baked into the image
    words = [w for w, _ in instructions(DOCKERFILE.read_text(encoding="utf-8"))]
    assert words[words.index("USER"):].count("CMD") == 1  # runs as the non-root user


def test_health_answers_with_the_version_and_nothing_else(container_command: str) -> None:
    from importlib.metadata import version

    status, body, headers = get(container_command + "/health")
    assert status == 200 and headers["content-type"].startswith("application/json")
    data = json.loads(body)
    assert data == {"status": "ok", "app": "tomsync", "version": version("tomsync"),
                    "xlwings_server": version("xlwings-server")}


def test_behind_a_proxy_the_manifest_uses_the_public_https_address(container_command: str) -> None:
    status, body, _ = get(container_command + "/manifest.xml",
                          {"Host": "tom.example.org", "X-Forwarded-Proto": "https"})
    assert status == 200
    xml = body.decode()
    assert 'DefaultValue="https://tom.example.org/taskpane.html"' in xml
    assert "http://" not in xml.replace("http://schemas.microsoft.com", "").replace(
        "http://www.w3.org", "")
