"""Listing through the drive's /delta: the first run enumerates (paged), later runs ask only for what
changed (one request when nothing did), deletions arrive as a ``deleted`` facet, and an expired token
(410 Gone) falls back to a full listing. Pulls over delta need at most 2 requests when nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sync.sharepoint import SharePointLibrary
from sync.workflow import pull
from tests.sync.conftest import BASE
from tests.sync.graph_server import FakeGraph


def remote(name: str) -> str:
    return f"{BASE}/{name}"


def delta_library(make_library: Callable[..., SharePointLibrary], tmp_path: Path) -> SharePointLibrary:
    return make_library(state_path=tmp_path / "state" / "graph-delta.json")


def names(library: SharePointLibrary) -> dict[str, str]:
    return {f.name: f.etag for f in library.list()}


def test_first_run_enumerates_in_pages_later_runs_ask_for_changes(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], tmp_path: Path
) -> None:
    for i in range(7):
        graph_server.put(remote(f"area/s{i}.xlsx"), b"v1")
    graph_server.put("elsewhere/other.xlsx", b"x")  # outside our folder: never listed
    graph_server.put(remote(".hidden/x.xlsx"), b"x")

    first = names(delta_library(make_library, tmp_path))
    assert sorted(first) == [f"area/s{i}.xlsx" for i in range(7)]
    deltas = graph_server.requests_of("delta")
    assert len(deltas) > 3 and "token=" not in deltas[0].path  # page_size=3: several pages, no token
    stored = json.loads((tmp_path / "state" / "graph-delta.json").read_text())
    assert "downloadUrl" not in json.dumps(stored)  # pre-authenticated URLs never go to disk

    graph_server.reset_log()
    assert names(delta_library(make_library, tmp_path)) == first  # a new run: the stored link
    assert [s.kind for s in graph_server.seen] == ["delta"]  # no site or drive lookup, one request
    assert "token=" in graph_server.seen[0].path

    new_etag = graph_server.edit(remote("area/s3.xlsx"), b"v2")
    graph_server.put(remote("area/new.xlsx"), b"n")
    graph_server.remove(remote("area/s5.xlsx"))
    graph_server.reset_log()
    later = names(delta_library(make_library, tmp_path))
    assert later["area/s3.xlsx"] == new_etag and "area/new.xlsx" in later and "area/s5.xlsx" not in later
    assert len(later) == 7
    assert graph_server.counts["delta"] == 1  # three changes fit one page


def test_an_expired_token_falls_back_to_a_full_listing(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], tmp_path: Path
) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    graph_server.put(remote("b.xlsx"), b"B")
    delta_library(make_library, tmp_path).list()
    graph_server.remove(remote("a.xlsx"))
    graph_server.expire_delta_tokens()
    graph_server.reset_log()

    assert sorted(names(delta_library(make_library, tmp_path))) == ["b.xlsx"]
    deltas = graph_server.requests_of("delta")
    assert "token=" in deltas[0].path and all("token=" not in d.path for d in deltas[1:]) and len(deltas) > 1
    graph_server.reset_log()
    assert sorted(names(delta_library(make_library, tmp_path))) == ["b.xlsx"]  # and a fresh link stored
    assert graph_server.counts["delta"] == 1


def test_a_no_change_pull_over_delta_is_at_most_two_requests(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], tmp_path: Path,
    template_bytes: bytes
) -> None:
    for i in range(10):
        graph_server.put(remote(f"s{i}.xlsx"), template_bytes)
    work = tmp_path / "work"
    first = pull(work, delta_library(make_library, tmp_path))
    assert first.downloads == 10
    assert graph_server.counts["download"] == 10 and graph_server.counts["content"] == 0  # one request each
    graph_server.reset_log()
    again = pull(work, delta_library(make_library, tmp_path))
    assert again.downloads == 0
    assert len(graph_server.seen) <= 2, [s.kind for s in graph_server.seen]

    graph_server.edit(remote("s4.xlsx"), template_bytes + b"")  # re-saved: new eTag
    graph_server.reset_log()
    third = pull(work, delta_library(make_library, tmp_path))
    assert [a.name for a, _ in third.changed()] == ["s4.xlsx"]
    assert [s.kind for s in graph_server.seen] == ["delta", "download"]
