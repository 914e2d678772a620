"""Nothing POSIX-only in the product (issue 8): every module imports, and every save works, with fcntl,
os.fchmod, os.getuid and SIGKILL gone, as on Windows with Python 3.11 and 3.12.

Each check runs in a fresh interpreter, so the modules are imported under the rule rather than found
already imported by the test session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workbook_templates", "sync", "xl_addin", "tomsync")
AS_WINDOWS = """
import os, signal, sys
for name in ("filelock", "portalocker"):  # third-party, with their own Windows branch: import as they would
    try:
        __import__(name)
    except ImportError:
        pass
sys.modules["fcntl"] = None
for name in ("fchmod", "fchown", "getuid", "geteuid", "getgid", "getegid", "fork"):
    if hasattr(os, name):
        delattr(os, name)
for name in ("SIGKILL", "SIGHUP", "SIGALRM"):
    if hasattr(signal, name):
        delattr(signal, name)
"""

IMPORT_ALL = AS_WINDOWS + f"PACKAGES = {PACKAGES!r}" + """
import importlib, pkgutil, traceback
failed = []
# the server's entry first, as uvicorn imports it: walking xl_addin.officejs imports xlwings Server
# itself, which must come after the TOM add-in has configured it (xl_addin.server.load_app)
try:
    importlib.import_module("xl_addin.asgi")
except Exception:
    failed.append("xl_addin.asgi: " + traceback.format_exc().splitlines()[-1])
for package in PACKAGES:
    names = [package]
    try:
        path = importlib.import_module(package).__path__
        names += [m.name for m in pkgutil.walk_packages(path, package + ".")]
    except Exception:
        failed.append(package + ": " + traceback.format_exc().splitlines()[-1])
        continue
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name + ": " + traceback.format_exc().splitlines()[-1])
print("\\n".join(failed) or "all imported")
"""

RUN_CLI = AS_WINDOWS + """
from tomsync.cli import main
sys.argv = ["tomsync", *sys.argv[1:]]
main()
"""


def python(code: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XLWINGS_LICENSE_KEY": os.environ.get("XLWINGS_LICENSE_KEY", "noncommercial"),
           "PYTHONPATH": str(ROOT), "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def test_every_module_imports_without_fcntl() -> None:
    proc = python(IMPORT_ALL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "all imported"


def run_steps(steps: list[tuple[str, ...]], cwd: Path) -> None:
    for args in steps:
        proc = python(RUN_CLI, *args, cwd=cwd)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_every_workbook_save_works_without_posix_calls(tmp_path: Path) -> None:
    """Issue 8: every save went through os.fchmod, which Windows lacks before Python 3.13."""
    run_steps([
        ("template", "build", "scottish-tom", "-o", "Borders TOM.xlsx", "--password", "pw"),
        ("validate", "--annotate", "Borders TOM.xlsx"),
        ("rollup", "--write", "Borders TOM.xlsx"),
        ("template", "build", "gatsby-plan", "-o", "Àrd-sgoil plan.xlsx"),
    ], tmp_path)
    assert (tmp_path / "Àrd-sgoil plan.xlsx").is_file()


def test_every_sync_save_works_without_posix_calls(tmp_path: Path) -> None:
    """The demo's three monthly cycles: pull, push (the folder library's lock), archive, reports."""
    run_steps([("demo", "Demo TOM")], tmp_path)
    assert (tmp_path / "Demo TOM" / "library").is_dir()


def test_the_simulation_takes_the_posix_calls_away() -> None:
    """The checks above are meaningful only if the interpreter they run in really lacks these."""
    code = AS_WINDOWS + """
import importlib
try:
    import fcntl
    print("fcntl imported")
except ImportError:
    print("no fcntl")
print(hasattr(os, "fchmod"), hasattr(os, "getuid"), hasattr(signal, "SIGKILL"))
"""
    proc = python(code)
    assert proc.stdout.split("\n")[:2] == ["no fcntl", "False False False"], proc.stderr


POSIX_ONLY = re.compile(
    r"\bfcntl\b|\bfchmod\b|\bos\.(getuid|geteuid|fork|killpg|fchown)\b|\bSIG(KILL|HUP|ALRM)\b")


def test_nothing_in_the_product_calls_posix_only_apis() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if POSIX_ONLY.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
