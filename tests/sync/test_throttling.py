"""Throttling as Graph asks: honour every Retry-After, give up on a time budget (not a try count),
say how long we waited, and share one pause between all workers of a library."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from sync.library import LibraryError
from sync.sharepoint import SharePointLibrary, Throttle
from tests.sync.conftest import BASE
from tests.sync.graph_server import FakeGraph, Seen


def remote(name: str) -> str:
    return f"{BASE}/{name}"


def test_a_storm_of_429_is_waited_out_however_many_tries_it_takes(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], recorded_sleeps: list[float]
) -> None:
    """Graph's guidance: keep honouring Retry-After. 12 answers of 429 (Retry-After: 1) are 12 s of
    waiting, well inside the default 5-minute budget, so the upload goes through."""
    library = make_library(max_retries=None)
    graph_server.fail_next(12, 429, kinds=("upload",), retry_after=1)
    library.upload("a.xlsx", b"A", None)
    assert recorded_sleeps == [1.0] * 12
    assert graph_server.content(remote("a.xlsx")) == b"A"


def test_giving_up_is_on_the_time_budget_and_says_how_long_it_waited(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], recorded_sleeps: list[float]
) -> None:
    library = make_library(max_retries=None, retry_budget=30)
    graph_server.fail_next(1000, 429, kinds=("upload",), retry_after=4)
    with pytest.raises(LibraryError) as exc:
        library.upload("a.xlsx", b"A", None)
    message = str(exc.value)
    assert "\n" not in message
    assert "after 8 attempts and 28 s of waiting: SharePoint kept answering HTTP 429" in message
    assert sum(recorded_sleeps) == 28 and graph_server.content(remote("a.xlsx")) is None


def test_a_retry_after_beyond_the_budget_fails_at_once(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary], recorded_sleeps: list[float]
) -> None:
    library = make_library(max_retries=None, retry_budget=10)
    graph_server.fail_next(1000, 429, kinds=("upload",), retry_after=20)
    with pytest.raises(LibraryError) as exc:
        library.upload("a.xlsx", b"A", None)
    assert str(exc.value) == ("could not upload a.xlsx to Documents/TOM 2025 on https://contoso.sharepoint.com"
                              "/sites/careers: SharePoint is busy and asked us to wait 20 s; try again later")
    assert recorded_sleeps == [] and graph_server.counts["upload"] == 1


def test_one_retry_after_holds_every_worker(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary]
) -> None:
    """Four workers download at once; the first 429 (Retry-After: 1) must stop all of them for a
    second, not only the one that was told: the server sees no request inside that window."""
    for i in range(8):
        graph_server.put(remote(f"f{i}.xlsx"), b"x" * i)
    library = make_library(sleep=time.sleep, max_retries=None)
    library.list()
    stamps: list[tuple[float, str]] = []
    graph_server.observers.append(lambda seen: stamps.append((time.monotonic(), seen.kind)))
    throttled_at: list[float] = []

    def note_429(seen: Seen) -> None:
        if seen.kind == "download" and not throttled_at and graph_server.counts["download"] >= 2:
            throttled_at.append(time.monotonic())

    graph_server.fail_next(1, 429, kinds=("download",), retry_after=1, skip=1)
    graph_server.observers.append(note_429)
    errors: list[BaseException] = []

    def worker(names: list[str]) -> None:
        try:
            for name in names:
                library.download(name)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=([f"f{i}.xlsx", f"f{i + 4}.xlsx"],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and throttled_at
    quiet = [k for at, k in stamps if throttled_at[0] + 0.05 < at < throttled_at[0] + 0.9]
    assert quiet == []  # nobody sent inside the Retry-After window
    assert len(stamps) > 8  # and everyone carried on afterwards


def test_throttle_hold_is_shared_and_released() -> None:
    now = [100.0]
    throttle = Throttle(clock=lambda: now[0])
    slept: list[float] = []
    assert throttle.wait(slept.append) == 0.0
    throttle._resume_at = 103.0  # another worker's hold, in progress
    assert throttle.wait(slept.append) == 3.0 and slept == [3.0]
    assert throttle.wait(slept.append) == 0.0  # served once: no double wait
    assert throttle.hold(2.0, slept.append) == 2.0 and slept == [3.0, 2.0]
    assert throttle.wait(slept.append) == 0.0
