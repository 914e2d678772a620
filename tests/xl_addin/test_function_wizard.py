"""What Excel's function wizard shows: a description for every argument of every TOM function, in the
desktop UDFs (xlwings' ``xw.arg(doc=...)``, registered as ArgumentDescriptions) and in the Office.js
functions' metadata that xlwings Server serves (custom-functions-meta.json)."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import types
from typing import Any

import pytest
import xlwings as xw

from xl_addin import udfs


@pytest.fixture
def windows_xlwings(monkeypatch: pytest.MonkeyPatch) -> Any:
    """xlwings' own Windows UDF registration (xlwings.udfs: xlfunc / xlarg, what ``xw.func`` and
    ``xw.arg`` are on Windows), imported here with its COM modules stubbed, and a fresh copy of
    xl_addin.udfs decorated by it."""
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        stub = types.ModuleType(name)
        stub.Dispatch = stub.CoInitialize = lambda *a: None  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, stub)
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    import xlwings.udfs as windows

    monkeypatch.setattr(xw, "func", windows.xlfunc)
    monkeypatch.setattr(xw, "arg", windows.xlarg)
    spec = importlib.util.find_spec("xl_addin.udfs")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("xlwings.udfs", None)


def test_every_desktop_udf_argument_has_its_description(windows_xlwings: Any) -> None:
    for name in udfs.__all__:
        func = getattr(windows_xlwings, name)
        xlargs = func.__xlfunc__["args"]
        assert [a["name"] for a in xlargs] == list(inspect.signature(func).parameters)
        for a in xlargs:  # what xlwings passes to Excel as ArgumentDescriptions
            assert a["doc"] == udfs.ARG_DOCS[a["name"]], (name, a["name"])  # not "Positional argument 1"
        assert func.__xlfunc__["ret"]["doc"].strip() == func.__doc__.strip()


def test_a_function_without_a_description_cannot_be_registered() -> None:
    def TOM_NEW(undocumented: Any) -> Any:  # noqa: N802
        return undocumented

    with pytest.raises(KeyError, match="undocumented"):
        udfs.udf(TOM_NEW)


@pytest.mark.skipif(importlib.util.find_spec("xlwings_server") is None, reason="needs xlwings-server")
def test_the_office_js_metadata_describes_every_argument() -> None:
    from fastapi.testclient import TestClient

    from xl_addin.server import load_app

    asgi, _ = load_app()
    with TestClient(asgi) as client:
        meta = client.get("/xlwings/custom-functions-meta.json").json()
    functions = {f["name"]: f for f in meta["functions"]}
    assert set(functions) == {n.removeprefix("TOM_") for n in udfs.__all__}
    for name, f in functions.items():
        desktop = list(inspect.signature(getattr(udfs, f"TOM_{name}")).parameters)
        assert [p["name"] for p in f["parameters"]] == desktop
        for p in f["parameters"]:
            assert p["description"] == udfs.ARG_DOCS[p["name"]], (name, p["name"])
        assert f["description"].strip()
