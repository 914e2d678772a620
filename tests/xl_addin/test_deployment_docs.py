"""docs/excel-addin.md's IT deployment section against the code: IT sets what the section lists, so
every setting the code reads must be there, and every setting it names must exist.

"The code reads" is found in the source: string constants (not docstrings) holding a ``TOMSYNC_*`` or
``XLWINGS_AUTH_*`` name, and ``settings.auth_*`` (xlwings Server's settings object, which reads
``XLWINGS_AUTH_*``). A name the section gives must be one of those, or one of xlwings Server's own
settings (``XLWINGS_`` + a field of its ``Settings``), or one the container sets (Dockerfile).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("tomsync", "sync", "xl_addin", "workbook_templates")
NAME = re.compile(r"\b(?:TOMSYNC|XLWINGS)_[A-Z0-9_]*[A-Z0-9]\b")
OURS = re.compile(r"^(?:TOMSYNC|XLWINGS_AUTH)_")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module and its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _read_in(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield from (n for n in NAME.findall(node.value) if OURS.match(n))
        elif (isinstance(node, ast.Attribute) and node.attr.startswith("auth_")
              and isinstance(node.value, ast.Name) and node.value.id == "settings"):
            yield f"XLWINGS_{node.attr.upper()}"


def names_the_code_reads() -> set[str]:
    return {n for package in PACKAGES for path in (ROOT / package).rglob("*.py") for n in _read_in(path)}


def it_deployment() -> str:
    text = (ROOT / "docs" / "excel-addin.md").read_text(encoding="utf-8")
    start = text.index("\n## IT deployment\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_the_scan_finds_the_settings_it_should() -> None:
    read = names_the_code_reads()
    # one of each kind: a TOMSYNC_ constant, a name inside a message, a settings.auth_* attribute
    assert {"TOMSYNC_LIBRARY_URL", "XLWINGS_AUTH_ENTRAID_TENANT_ID", "XLWINGS_AUTH_ENTRAID_CLIENT_SECRET",
            "TOMSYNC_MAX_ROWS"} <= read
    assert not any(n.startswith("XLWINGS_") and not n.startswith("XLWINGS_AUTH_") for n in read)


def test_every_setting_the_code_reads_is_in_the_it_deployment_section() -> None:
    section = it_deployment()
    missing = sorted(n for n in names_the_code_reads() if f"`{n}`" not in section)
    assert not missing, f"docs/excel-addin.md, IT deployment, does not name {', '.join(missing)}"


@pytest.mark.skipif(importlib.util.find_spec("xlwings_server") is None, reason="xlwings-server not installed")
def test_every_setting_the_section_names_exists() -> None:
    from xl_addin.server import load_app

    load_app()  # xlwings Server's settings module reads its environment on import: after ours is set
    from xlwings_server.config import Settings

    xlwings = {f"XLWINGS_{field.upper()}" for field in Settings.model_fields}
    container = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", (ROOT / "Dockerfile").read_text(encoding="utf-8")))
    known = names_the_code_reads() | xlwings | container | {"WEBSITES_PORT"}  # App Service's own
    named = set(re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])(?:=[^`]*)?`", it_deployment()))
    assert named, "the section names no settings"
    unknown = sorted(named - known)
    assert not unknown, f"docs/excel-addin.md, IT deployment, names unknown settings: {', '.join(unknown)}"
