"""SharePointLibrary through the real office365 GraphClient, over real HTTP, against the fake Graph server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from office365.graph_client import GraphClient

from sync.library import AccessDenied, AuthError, LibraryError, RemoteChanged, RemoteNotFound
from sync.sharepoint import SharePointLibrary
from tests.sync.conftest import BASE
from tests.sync.graph_server import FakeGraph, Seen

BIG = bytes(range(256)) * 2  # 512 bytes: above the test threshold (64), 13 fragments of 40 bytes
NEW_BIG = bytes(reversed(BIG))


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message and message.strip() == message and message
    return message


def remote(name: str) -> str:
    return f"{BASE}/{name}"


# -- the client and the wire -------------------------------------------------------------------


def test_requests_go_through_graph_client(graph_server: FakeGraph, sp_library: SharePointLibrary) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    assert isinstance(sp_library.client, GraphClient)
    assert sp_library.client.service_root_url == graph_server.graph_url

    assert [f.name for f in sp_library.list()] == ["a.xlsx"]

    site = graph_server.requests_of("site")
    assert [s.path for s in site] == ["/v1.0/sites/contoso.sharepoint.com:/sites/careers"]
    assert graph_server.counts["drives"] == 1
    for seen in graph_server.seen:
        assert seen.headers["Authorization"] == "Bearer test-token"
        assert seen.headers.get("client-request-id")  # set by office365's request pipeline


def test_site_and_drive_are_resolved_once(graph_server: FakeGraph, sp_library: SharePointLibrary) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    sp_library.list()
    sp_library.download("a.xlsx")
    sp_library.upload("b.xlsx", b"B", None)
    assert graph_server.counts["site"] == 1 and graph_server.counts["drives"] == 1


def test_library_found_by_its_web_name_and_other_libraries_are_separate(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary]
) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    graph_server.put(remote("report.xlsx"), b"R", drive="Reports")
    assert [f.name for f in make_library(library="Shared Documents").list()] == ["a.xlsx"]
    assert [f.name for f in make_library(library="reports").list()] == ["report.xlsx"]


def test_unknown_library_names_the_ones_there(make_library: Callable[..., SharePointLibrary]) -> None:
    with pytest.raises(LibraryError) as exc:
        make_library(library="Careers").list()
    assert "no document library called 'Careers'" in one_line(exc)
    assert "Documents, Reports" in str(exc.value)


def test_unknown_site_says_check_the_address(make_library: Callable[..., SharePointLibrary]) -> None:
    with pytest.raises(LibraryError) as exc:
        make_library(site_url="https://contoso.sharepoint.com/sites/nope").list()
    assert not isinstance(exc.value, RemoteNotFound)
    assert "site https://contoso.sharepoint.com/sites/nope not found" in one_line(exc)


def test_not_a_site_address_is_refused_up_front() -> None:
    with pytest.raises(LibraryError, match="not a SharePoint site address"):
        SharePointLibrary("contoso/sites/x", token=lambda: "t")


# -- list ----------------------------------------------------------------------------------------


def test_list_recurses_into_folders_and_follows_paging(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    names = [f"school {i}.xlsx" for i in range(7)]
    for i, name in enumerate(names):
        graph_server.put(remote(name), b"x" * (i + 1))
    graph_server.put(remote("S4/Term 1/plan #1.xlsx"), b"plan")
    graph_server.put(remote("S4/Term 1/notes.xlsx"), b"notes")
    graph_server.mkdir(remote("Empty"))
    graph_server.put(remote("~$school 1.xlsx"), b"lock")  # Excel's lock file
    graph_server.put(remote(".hidden/x.xlsx"), b"hidden")
    graph_server.put("Elsewhere/other.xlsx", b"outside our folder")

    files = sp_library.list()

    expected = sorted(names + ["S4/Term 1/notes.xlsx", "S4/Term 1/plan #1.xlsx"])
    assert [f.name for f in files] == expected
    by_name = {f.name: f for f in files}
    for name in expected:
        assert by_name[name].etag == graph_server.etag(remote(name))
        assert by_name[name].size == len(graph_server.content(remote(name)) or b"")
        modified = by_name[name].modified
        assert isinstance(modified, datetime) and modified.tzinfo is not None
    # 11 entries at the top (4 pages of up to 3), S4, Term 1 and Empty (1 page each); .hidden not walked
    children = graph_server.requests_of("children")
    assert len(children) == 7
    assert sum("$skiptoken" in s.path for s in children) == 3


def test_list_of_a_subfolder_and_of_a_missing_folder(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    graph_server.put(remote("S4/b.xlsx"), b"B")
    assert [f.name for f in sp_library.list("S4")] == ["S4/b.xlsx"]
    assert sp_library.list("S5") == []


def test_list_when_the_root_folder_does_not_exist_yet_is_empty(sp_library: SharePointLibrary) -> None:
    assert sp_library.list() == []


def test_list_at_the_library_root(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary]
) -> None:
    graph_server.put("top.xlsx", b"T")
    graph_server.put(remote("a.xlsx"), b"A")
    assert [f.name for f in make_library(folder="").list()] == [remote("a.xlsx"), "top.xlsx"]


# -- download ------------------------------------------------------------------------------------


def test_download_gives_bytes_and_version(graph_server: FakeGraph, sp_library: SharePointLibrary) -> None:
    etag = graph_server.put(remote("S4/plan #1.xlsx"), b"workbook bytes")
    data, info = sp_library.download("S4/plan #1.xlsx")
    assert data == b"workbook bytes"
    assert (info.name, info.etag, info.size) == ("S4/plan #1.xlsx", etag, len(data))
    assert sp_library.downloads == 1
    assert graph_server.counts["content"] == 1 and graph_server.counts["download"] == 1  # followed the 302
    assert "/TOM%202025/S4/plan%20%231.xlsx" in graph_server.requests_of("item")[0].path


def test_download_etag_is_never_newer_than_the_bytes(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    old = graph_server.put(remote("a.xlsx"), b"old")
    graph_server.on_next("content", lambda: graph_server.edit(remote("a.xlsx"), b"colleague"))
    data, info = sp_library.download("a.xlsx")
    assert data == b"colleague" and info.etag == old  # a later push is refused, not an overwrite
    with pytest.raises(RemoteChanged):
        sp_library.upload("a.xlsx", b"mine", info.etag)
    assert graph_server.content(remote("a.xlsx")) == b"colleague"


def test_download_of_a_missing_file(sp_library: SharePointLibrary) -> None:
    with pytest.raises(RemoteNotFound) as exc:
        sp_library.download("nope.xlsx")
    assert one_line(exc).startswith("nope.xlsx is not in the library Documents/TOM 2025 on https://")
    assert sp_library.downloads == 0


@pytest.mark.parametrize("name", ["", "../x.xlsx", "a/./b.xlsx"])
def test_invalid_names_are_refused_locally(
    graph_server: FakeGraph, sp_library: SharePointLibrary, name: str
) -> None:
    with pytest.raises(LibraryError, match="invalid library path"):
        sp_library.download(name)
    assert not graph_server.seen


# -- small uploads ---------------------------------------------------------------------------------


def test_upload_new_file_creates_it(graph_server: FakeGraph, sp_library: SharePointLibrary) -> None:
    info = sp_library.upload("S4/new.xlsx", b"fresh", None)
    assert graph_server.content(remote("S4/new.xlsx")) == b"fresh"
    assert info.etag == graph_server.etag(remote("S4/new.xlsx"))
    assert (info.name, info.size) == ("S4/new.xlsx", 5)
    assert sp_library.uploads == 1
    (put,) = graph_server.requests_of("upload")
    assert "@microsoft.graph.conflictBehavior=fail" in put.path and "If-Match" not in put.headers


def test_upload_with_matching_if_match_replaces(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    etag = graph_server.put(remote("a.xlsx"), b"v1")
    info = sp_library.upload("a.xlsx", b"v2", etag)
    assert graph_server.content(remote("a.xlsx")) == b"v2"
    assert info.etag == graph_server.etag(remote("a.xlsx")) != etag
    assert graph_server.requests_of("upload")[0].headers["If-Match"] == etag
    # and the tag it returned is good for the next push
    sp_library.upload("a.xlsx", b"v3", info.etag)
    assert graph_server.content(remote("a.xlsx")) == b"v3"


def test_stale_if_match_is_remote_changed_and_leaves_the_remote_alone(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    pulled = graph_server.put(remote("a.xlsx"), b"v1")
    graph_server.edit(remote("a.xlsx"), b"colleague's edit")
    with pytest.raises(RemoteChanged) as exc:
        sp_library.upload("a.xlsx", b"mine", pulled)
    assert "a.xlsx changed in the library since it was pulled" in one_line(exc)
    assert graph_server.content(remote("a.xlsx")) == b"colleague's edit"
    assert sp_library.uploads == 0


def test_create_over_an_existing_file_is_remote_changed(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    graph_server.put(remote("a.xlsx"), b"theirs")
    with pytest.raises(RemoteChanged) as exc:
        sp_library.upload("a.xlsx", b"mine", None)
    assert "already exists" in one_line(exc)
    assert graph_server.content(remote("a.xlsx")) == b"theirs"


def test_if_match_on_a_removed_file_is_remote_changed(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    with pytest.raises(RemoteChanged):
        sp_library.upload("gone.xlsx", b"mine", '"{0000},1"')
    assert graph_server.content(remote("gone.xlsx")) is None


# -- upload sessions -------------------------------------------------------------------------------


def test_large_file_goes_through_an_upload_session(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    etag = graph_server.put(remote("big.xlsx"), b"old")
    info = sp_library.upload("big.xlsx", BIG, etag)

    assert graph_server.content(remote("big.xlsx")) == BIG
    assert info.etag == graph_server.etag(remote("big.xlsx")) and info.size == len(BIG)
    assert graph_server.counts["upload"] == 0 and graph_server.counts["createUploadSession"] == 1
    (create,) = graph_server.requests_of("createUploadSession")
    assert create.headers["If-Match"] == etag
    chunks = graph_server.requests_of("chunk")
    assert len(chunks) == 13
    ranges = [c.headers["Content-Range"] for c in chunks]
    assert (
        ranges[0] == "bytes 0-39/512" and ranges[1] == "bytes 40-79/512" and ranges[-1] == "bytes 480-511/512"
    )
    assert all("Authorization" not in c.headers for c in chunks)  # upload URLs are pre-authenticated
    assert not graph_server.sessions


def test_large_new_file_is_created_not_overwritten(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    sp_library.upload("big.xlsx", BIG, None)
    assert graph_server.content(remote("big.xlsx")) == BIG
    with pytest.raises(RemoteChanged):
        sp_library.upload("big.xlsx", NEW_BIG, None)
    assert graph_server.content(remote("big.xlsx")) == BIG
    assert graph_server.counts["chunk"] == 13  # the second create was refused before any fragment


def test_large_upload_with_stale_if_match_sends_nothing(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    pulled = graph_server.put(remote("big.xlsx"), b"v1")
    graph_server.edit(remote("big.xlsx"), b"colleague")
    with pytest.raises(RemoteChanged):
        sp_library.upload("big.xlsx", BIG, pulled)
    assert graph_server.counts["chunk"] == 0
    assert graph_server.content(remote("big.xlsx")) == b"colleague"


def test_colleague_edit_during_an_upload_session_is_remote_changed(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    pulled = graph_server.put(remote("big.xlsx"), b"v1")
    graph_server.on_next("chunk", lambda: graph_server.edit(remote("big.xlsx"), b"colleague"))
    with pytest.raises(RemoteChanged) as exc:  # our check before the last fragment sees the new eTag
        sp_library.upload("big.xlsx", BIG, pulled)
    assert "changed in the library" in one_line(exc)
    assert graph_server.content(remote("big.xlsx")) == b"colleague"


# -- throttling, outages, dropped connections ----------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(
    graph_server: FakeGraph, sp_library: SharePointLibrary, recorded_sleeps: list[float]
) -> None:
    graph_server.fail_next(2, 429, kinds=("upload",), retry_after=7)
    sp_library.upload("a.xlsx", b"A", None)
    assert recorded_sleeps == [7.0, 7.0]
    assert graph_server.counts["upload"] == 3
    assert graph_server.content(remote("a.xlsx")) == b"A"


def test_429_on_a_fragment_waits_and_resumes(
    graph_server: FakeGraph, sp_library: SharePointLibrary, recorded_sleeps: list[float]
) -> None:
    graph_server.fail_next(1, 429, kinds=("chunk",), retry_after=3, skip=4)
    sp_library.upload("big.xlsx", BIG, None)
    assert recorded_sleeps == [3.0]
    assert graph_server.content(remote("big.xlsx")) == BIG
    assert graph_server.counts["chunk"] == 14 and graph_server.counts["createUploadSession"] == 1


def test_503_is_retried(
    graph_server: FakeGraph, sp_library: SharePointLibrary, recorded_sleeps: list[float]
) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    graph_server.fail_next(2, 503, kinds=("children", "content"))
    graph_server.fail_next(1, 503, kinds=("download",), retry_after=5)
    assert [f.name for f in sp_library.list()] == ["a.xlsx"]
    assert sp_library.download("a.xlsx")[0] == b"A"
    assert recorded_sleeps == [1.0, 2.0, 5.0]  # backoff without Retry-After, the header's value with it


def test_persistent_503_gives_up_with_a_clear_message(
    graph_server: FakeGraph, sp_library: SharePointLibrary, recorded_sleeps: list[float]
) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    sp_library.list()
    graph_server.reset_log()
    graph_server.fail_next(1000, 503)
    with pytest.raises(LibraryError) as exc:
        sp_library.download("a.xlsx")
    message = one_line(exc)
    assert type(exc.value) is LibraryError
    assert message.startswith("gave up trying to download a.xlsx from Documents/TOM 2025 on https://")
    assert (
        "after 4 attempts and 7 s of waiting: SharePoint kept answering HTTP 503 (service unavailable); "
        "try again later" in message
    )
    assert graph_server.counts["download"] == 4  # the listing's download URL; max_retries=3: bounded
    assert len(recorded_sleeps) == 3


def test_an_unreasonable_retry_after_is_not_slept_through(
    graph_server: FakeGraph, sp_library: SharePointLibrary, recorded_sleeps: list[float]
) -> None:
    graph_server.fail_next(1, 429, retry_after=3600)
    with pytest.raises(LibraryError) as exc:
        sp_library.list()
    assert "asked us to wait 3600 s; try again later" in one_line(exc)
    assert recorded_sleeps == []


def test_dropped_connection_on_download_is_retried(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    graph_server.drop_next(1, kinds=("download",))
    assert sp_library.download("a.xlsx")[0] == b"A"
    assert graph_server.counts["download"] == 2


def test_unreachable_server_gives_up(make_library: Callable[..., SharePointLibrary]) -> None:
    library = make_library(graph_url="http://127.0.0.1:9/v1.0", max_retries=1)
    with pytest.raises(LibraryError) as exc:
        library.list()
    assert "could not reach SharePoint (check the network connection)" in one_line(exc)


def watch(graph_server: FakeGraph, path: str) -> list[bytes | None]:
    """What the library held at ``path`` after every request the server saw."""
    states: list[bytes | None] = []

    def observe(_seen: Seen) -> None:
        states.append(graph_server.content(path))

    graph_server.observers.append(observe)
    return states


def test_connection_dropped_mid_session_resumes_and_never_leaves_half_a_file(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    etag = graph_server.put(remote("big.xlsx"), b"old")
    states = watch(graph_server, remote("big.xlsx"))
    graph_server.drop_next(1, kinds=("chunk",), skip=5)  # fragment request 6 is lost on the way in
    graph_server.drop_next(1, kinds=("chunk",), skip=8, after_apply=True)  # request 9 lands, answer lost

    sp_library.upload("big.xlsx", BIG, etag)

    assert graph_server.content(remote("big.xlsx")) == BIG
    assert set(states) <= {b"old", BIG} and states[-1] == BIG
    assert graph_server.counts["session_status"] == 2  # asked where to carry on, twice
    assert graph_server.counts["chunk"] == 14  # 13 fragments + the one that never arrived
    assert graph_server.counts["createUploadSession"] == 1


def test_answer_to_the_last_fragment_lost_after_commit_is_not_a_conflict(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    etag = graph_server.put(remote("big.xlsx"), b"old")
    graph_server.drop_next(1, kinds=("chunk",), skip=12, after_apply=True)
    info = sp_library.upload("big.xlsx", BIG, etag)
    assert graph_server.content(remote("big.xlsx")) == BIG
    assert info.etag == graph_server.etag(remote("big.xlsx"))
    assert sp_library.uploads == 1


def test_small_upload_dropped_before_or_after_it_landed(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    graph_server.drop_next(1, kinds=("upload",))
    sp_library.upload("a.xlsx", b"first", None)
    assert graph_server.content(remote("a.xlsx")) == b"first"

    etag = graph_server.etag(remote("a.xlsx"))
    graph_server.drop_next(1, kinds=("upload",), after_apply=True)
    info = sp_library.upload("a.xlsx", b"second", etag)  # the retry sees 412 for our own write
    assert graph_server.content(remote("a.xlsx")) == b"second"
    assert info.etag == graph_server.etag(remote("a.xlsx"))


def test_lost_answer_and_a_real_conflict_is_still_a_conflict(
    graph_server: FakeGraph, sp_library: SharePointLibrary
) -> None:
    pulled = graph_server.put(remote("a.xlsx"), b"v1")
    graph_server.edit(remote("a.xlsx"), b"theirs!!")  # same size as ours, so the bytes get compared
    graph_server.drop_next(1, kinds=("upload",))
    with pytest.raises(RemoteChanged):
        sp_library.upload("a.xlsx", b"mine!!!!", pulled)
    assert graph_server.content(remote("a.xlsx")) == b"theirs!!"
    assert graph_server.counts["upload"] == 2 and graph_server.counts["download"] == 1  # looked, then refused


def test_fragment_retries_are_bounded_and_nothing_is_committed(
    graph_server: FakeGraph, sp_library: SharePointLibrary, recorded_sleeps: list[float]
) -> None:
    etag = graph_server.put(remote("big.xlsx"), b"old")
    states = watch(graph_server, remote("big.xlsx"))
    graph_server.drop_next(1000, kinds=("chunk",), skip=3)
    with pytest.raises(LibraryError) as exc:
        sp_library.upload("big.xlsx", BIG, etag)
    message = one_line(exc)
    assert "gave up trying to upload big.xlsx" in message and "nothing was changed in the library" in message
    assert graph_server.content(remote("big.xlsx")) == b"old" and set(states) == {b"old"}
    assert graph_server.counts["chunk"] == 3 + 4 and len(recorded_sleeps) == 3
    assert graph_server.counts["session_delete"] == 1 and not graph_server.sessions


def test_expired_session_starts_again(graph_server: FakeGraph, sp_library: SharePointLibrary) -> None:
    def expire() -> None:
        graph_server.sessions.clear()

    graph_server.fail_next(1, 503, kinds=("chunk",), skip=6)
    graph_server.on_next("session_status", expire)
    sp_library.upload("big.xlsx", BIG, None)
    assert graph_server.content(remote("big.xlsx")) == BIG
    assert graph_server.counts["createUploadSession"] == 2


# -- sign-in and permissions ---------------------------------------------------------------------------


def test_401_is_auth_error(graph_server: FakeGraph, sp_library: SharePointLibrary) -> None:
    graph_server.fail_next(1, 401)
    with pytest.raises(AuthError) as exc:
        sp_library.list()
    assert one_line(exc).startswith("sign in again: ")
    assert graph_server.counts["site"] == 1  # not retried


def test_rejected_token_is_auth_error(make_library: Callable[..., SharePointLibrary]) -> None:
    with pytest.raises(AuthError, match="^sign in again: "):
        make_library(token=lambda: {"access_token": "expired", "token_type": "Bearer"}).list()


def test_failed_token_acquisition_is_auth_error(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary]
) -> None:
    def no_token() -> dict[str, str]:
        raise RuntimeError("AADSTS700082: The refresh token has expired\ndue to inactivity.")

    with pytest.raises(AuthError) as exc:
        make_library(token=no_token).list()
    assert "refresh token has expired due to inactivity" in one_line(exc)
    with pytest.raises(AuthError, match="interaction_required"):
        make_library(token=lambda: {"error": "interaction_required"}).list()
    assert not graph_server.seen


def test_msal_style_token_dict_is_sent(
    graph_server: FakeGraph, make_library: Callable[..., SharePointLibrary]
) -> None:
    graph_server.tokens.add("from-msal")
    make_library(
        token=lambda: {"access_token": "from-msal", "token_type": "Bearer", "expires_in": 3599}
    ).list()
    assert graph_server.seen[0].headers["Authorization"] == "Bearer from-msal"


def test_403_names_the_permission(graph_server: FakeGraph, sp_library: SharePointLibrary) -> None:
    graph_server.put(remote("a.xlsx"), b"A")
    graph_server.fail_next(1, 403, kinds=("upload",))
    with pytest.raises(AccessDenied) as exc:
        sp_library.upload("a.xlsx", b"B", graph_server.etag(remote("a.xlsx")))
    message = one_line(exc)
    assert message.startswith("not allowed to upload a.xlsx to Documents/TOM 2025 on https://")
    assert "Sites.Selected application permission granted on this site" in message
    assert "Sites.ReadWrite.All" in message and "Files.ReadWrite.All" in message
    assert graph_server.content(remote("a.xlsx")) == b"A"


def test_fragment_size_follows_graphs_320_kib_rule() -> None:
    library = SharePointLibrary(
        "https://contoso.sharepoint.com/sites/careers",
        token=lambda: "t",
        upload_chunk_size=1_000_000,
        upload_chunk_threshold=300 * 1000 * 1000,
    )
    assert library.upload_chunk_size == 3 * 320 * 1024
    assert library.upload_chunk_threshold == 250 * 1000 * 1000  # a single PUT never exceeds Graph's limit
    default = SharePointLibrary("https://contoso.sharepoint.com/sites/c", token=lambda: "t")
    assert default.upload_chunk_threshold == 250 * 1000 * 1000  # conditional PUT wherever Graph allows it
    assert library.client.service_root_url == "https://graph.microsoft.com/v1.0"
