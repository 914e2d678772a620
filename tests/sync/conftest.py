"""Fixtures for the SharePoint backend: a fake Graph server on a free local port, and libraries on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sync.sharepoint import SharePointLibrary
from tests.sync.graph_server import FakeGraph

BASE = "TOM 2025"  # the library folder the test libraries use as their root (a space, on purpose)


@pytest.fixture
def graph_server() -> Iterator[FakeGraph]:
    """A fake Microsoft Graph drive service, with tiny pages so paging is exercised."""
    server = FakeGraph(page_size=3).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def recorded_sleeps() -> list[float]:
    """Every back-off the library asked for, instead of actually waiting."""
    return []


@pytest.fixture
def make_library(
    graph_server: FakeGraph, recorded_sleeps: list[float]
) -> Iterator[Callable[..., SharePointLibrary]]:
    """Build a SharePointLibrary on the fake server; keyword arguments override the test defaults."""
    made: list[SharePointLibrary] = []

    def make(**overrides: Any) -> SharePointLibrary:
        options: dict[str, Any] = {
            "site_url": graph_server.site_url,
            "library": "Documents",
            "folder": BASE,
            "token": lambda: "test-token",
            "graph_url": graph_server.graph_url,
            "upload_chunk_threshold": 64,
            "upload_chunk_size": 40,
            "max_retries": 3,
            "sleep": recorded_sleeps.append,
        }
        options.update(overrides)
        library = SharePointLibrary(**options)
        made.append(library)
        return library

    yield make
    for library in made:
        library.client.close()


@pytest.fixture
def sp_library(make_library: Callable[..., SharePointLibrary]) -> SharePointLibrary:
    """The default test library: ``Documents/TOM 2025`` on the fake site, 64-byte simple-upload limit."""
    return make_library()


@pytest.fixture(scope="session")
def template_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real workbook built from the shipped spec, as staff would find it in the library."""
    from workbook_templates.spec import load_spec
    from workbook_templates.template import write_template

    path = tmp_path_factory.mktemp("tpl") / "borders.xlsx"
    write_template(load_spec("scottish-tom"), path, "pw")
    return path.read_bytes()
