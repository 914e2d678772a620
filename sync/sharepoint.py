"""The SharePoint backend: a site's document library (a Graph "drive") as a `Library`.

All HTTP goes through office365-rest-python-client's `GraphClient`: its request pipeline adds the
bearer token (from our token callable) and a ``client-request-id``, sends through its pooled
``requests`` transport and classifies error bodies. We build each drive-item request ourselves
(``RequestOptions`` + ``execute_request_direct``) rather than through the entity layer, because the
entity layer cannot send ``If-Match`` on a content PUT, and its retry sleeps with ``time.sleep`` and
ignores ``Retry-After`` unless given a callback; retries here are explicit, bounded and testable.

Safety rules, in the order they matter:
- A push never overwrites a version it has not seen: uploads carry ``If-Match: <eTag>``, creates carry
  ``@microsoft.graph.conflictBehavior=fail``; 412 and 409 (resourceModified / nameAlreadyExists) are
  `RemoteChanged`.
- A conditional simple PUT (``If-Match``) is used up to 250 MB, Graph's current limit for
  ``PUT .../content``; only bigger files go through an upload session. Graph checks ``If-Match`` on a
  session only when it is created, not when the last fragment commits, so before that fragment we read
  the item's eTag again (a change means `RemoteChanged`: the session is cancelled, nothing written),
  and after the commit we check that the version counter moved by exactly one (else somebody saved in
  the instant between: `LostRace`, one line, exit 2, both versions in SharePoint's version history).
  Graph commits only when the last fragment arrives, so a failure midway leaves nothing behind; a
  dropped fragment is resumed from ``nextExpectedRanges``, a lost session is started again, and a
  given-up session is deleted.
- Throttling as Graph asks: every ``Retry-After`` is honoured, and shared by all the workers of one
  library (`Throttle`), so one 429 slows them all; retrying stops on a total time budget
  (``retry_budget``, 5 minutes by default), not after a number of tries, and a Retry-After longer than
  the budget fails at once.
- A write whose answer was lost may still have happened. If a retry is then refused as a conflict, we
  compare the library's bytes with ours before calling it a conflict.
- A download reads the item's eTag *before* its bytes, so the tag handed back is never newer than the
  bytes: at worst a later push is refused as a conflict, never a silent overwrite. With a listing in
  hand that is one request: the listing's ``@microsoft.graph.downloadUrl`` (pre-authenticated, kept in
  memory only), its eTag read with the listing; an expired URL falls back to item + ``/content``.
- With ``state_path``, ``list()`` uses the drive's ``/delta`` (SharePoint offers it on the drive root
  only): the first run enumerates the drive, later runs send the stored link and get only what
  changed, so a quiet run is one request; 410 Gone (token too old) starts a full enumeration. The
  stored map never decides a write: uploads still carry If-Match, so a stale map costs a refused push
  (then a merge), never a lost edit.
- Workers of a parallel run each get their own GraphClient (connection pool); the counters and the
  drive lookup are locked, and `Throttle` is shared.
"""

from __future__ import annotations

import builtins
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests
from office365.graph_client import GraphClient
from office365.graph_request import GraphRequest
from office365.runtime.client_request_exception import ClientRequestException
from office365.runtime.http.http_method import HttpMethod
from office365.runtime.http.request_options import RequestOptions
from office365.runtime.retry import response_retry_after
from urllib3.exceptions import NewConnectionError

from sync.config import DEFAULT_GRAPH_URL
from sync.library import AccessDenied, AuthError, LibraryError, RemoteChanged, RemoteFile, RemoteNotFound
from workbook_templates.atomic import atomic_write_bytes

log = logging.getLogger("tomsync.sharepoint")  # methods, actions and status codes only: never URLs
SIMPLE_UPLOAD_LIMIT = 250 * 1000 * 1000  # Graph's documented ceiling for a single PUT .../content (250 MB)
DEFAULT_RETRY_BUDGET = 300.0  # seconds of waiting on throttling and outages before giving up
FRAGMENT_UNIT = 320 * 1024  # upload-session fragments must be multiples of this (except the last)
DEFAULT_FRAGMENT_SIZE = 16 * FRAGMENT_UNIT  # 5 MiB

PERMISSION_HINT = (
    "the app needs the Sites.Selected application permission granted on this site "
    "(or, for staff sign-in, the Sites.ReadWrite.All or Files.ReadWrite.All delegated permission); "
    "ask your Microsoft 365 administrator"
)

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_DROPPED = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout)
_STATUS_WORDS = {
    429: "too many requests",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}

TokenSource = Callable[[], "dict[str, Any] | str"]


def _one_line(text: object, limit: int = 200) -> str:
    """Error text from a server or a library, squeezed onto one readable line."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _status(exc: ClientRequestException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _connection_problem(exc: Exception) -> str:
    """Could not connect at all, or connected and lost the answer: the user's next step differs."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError):
        return "could not reach SharePoint (check the network connection)"
    return "the connection to SharePoint kept dropping"


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _json_object(response: requests.Response, action: str) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise LibraryError(f"could not {action}: SharePoint sent an answer that is not Graph JSON")
    return doc


def _need(doc: dict[str, Any], key: str, action: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise LibraryError(f"could not {action}: SharePoint's answer has no {key!r}")
    return value


class _GraphRequest(GraphRequest):
    """GraphRequest whose service root is ours (Graph, a national cloud, or a test server)."""

    def __init__(self, service_root: str) -> None:
        super().__init__()
        self._service_root = service_root.rstrip("/")

    @property
    def service_root_url(self) -> str:
        return self._service_root


class _GraphClient(GraphClient):
    """GraphClient pointed at an arbitrary service root.

    office365 3.x derives the root from an `AzureEnvironment` enum (graph.microsoft.com and the
    national clouds only), with no setting for any other address. So we override `pending_request`,
    the factory GraphClient itself uses for its one request object, to build a `GraphRequest` with our
    root and the same token callback; everything else (auth hook, client-request-id, transport, error
    classification) is the stock pipeline. Relies on office365 3.x internals (`_pending_request`,
    `_token_callback`): pin the major version.
    """

    def __init__(self, token_callback: Callable[[], dict[str, Any]], service_root: str) -> None:
        super().__init__(token_callback=token_callback)
        self._service_root = service_root

    def pending_request(self) -> GraphRequest:
        if self._pending_request is None:
            request = _GraphRequest(self._service_root)
            request.with_access_token(self._token_callback)  # type: ignore[arg-type]
            self._pending_request = request
        return self._pending_request  # type: ignore[return-value]


@dataclass
class _WriteState:
    """Whether a write may have reached SharePoint although its answer never came back."""

    maybe_written: bool = False


class _SessionGone(Exception):
    """The upload session expired or vanished: start a fresh one."""


class LostRace(LibraryError):
    """Somebody saved the file in the instant between our last check and an upload session's commit.

    Graph does not re-check If-Match at a session's commit, so ours replaced theirs; theirs is still in
    the file's version history in SharePoint. Rare (a window of one request), never silent."""


_ETAG_VERSION = re.compile(r'^"?\{?([0-9A-Fa-f-]+)\}?,(\d+)"?$')


def _etag_version(etag: str) -> tuple[str, int] | None:
    """SharePoint eTags read ``"{GUID},N"``, N counting the item's versions; None for other forms."""
    m = _ETAG_VERSION.match(etag.strip())
    return (m.group(1).upper(), int(m.group(2))) if m else None


class Throttle:
    """One pause shared by every worker of a library: a Retry-After holds them all, not just the one
    that was told. Waiting happens through the library's ``sleep``, so tests can record it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._resume_at = 0.0

    def hold(self, seconds: float, sleep: Callable[[float], None]) -> float:
        """Nobody sends before ``seconds`` from now (a later hold extends, an earlier one does not);
        the caller sleeps it out here. Returns the seconds waited."""
        with self._lock:
            resume_at = max(self._resume_at, self._clock() + seconds)
            self._resume_at = resume_at
        sleep(seconds)
        with self._lock:
            if self._resume_at == resume_at:
                self._resume_at = 0.0  # served: the next request goes straight out
        return seconds

    def wait(self, sleep: Callable[[float], None]) -> float:
        """Sleep out the current hold, if any; returns the seconds waited."""
        with self._lock:
            resume_at = self._resume_at
            remaining = resume_at - self._clock()
        if remaining <= 0:
            return 0.0
        sleep(remaining)
        with self._lock:
            if self._resume_at == resume_at:
                self._resume_at = 0.0  # served: the next request goes straight out
        return remaining


class SharePointLibrary:
    """A SharePoint document library (optionally one folder of it) as a `Library`, via Microsoft Graph.

    ``site_url`` is the site's address as staff see it (``https://contoso.sharepoint.com/sites/careers``),
    ``library`` the library's name ("Documents" is the default "Shared Documents"), ``folder`` a folder
    inside it that acts as the root. ``token`` returns an access token (a string, or an msal result
    dict); it is called per request, so msal's cache decides when to refresh. Nothing touches the
    network until the first call.
    """

    def __init__(
        self,
        site_url: str,
        library: str = "Documents",
        folder: str = "",
        *,
        token: TokenSource,
        graph_url: str = DEFAULT_GRAPH_URL,
        state_path: Path | None = None,
        upload_chunk_threshold: int = SIMPLE_UPLOAD_LIMIT,
        upload_chunk_size: int = DEFAULT_FRAGMENT_SIZE,
        max_retries: int | None = None,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (10.0, 120.0),
        throttle: Throttle | None = None,
    ) -> None:
        parts = urlsplit(site_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LibraryError(
                f"{site_url!r} is not a SharePoint site address (expected https://contoso.sharepoint.com/sites/name)"
            )
        if upload_chunk_size < 1 or upload_chunk_threshold < 0 or (max_retries or 0) < 0 or retry_budget < 0:
            raise ValueError("upload_chunk_size must be >= 1; upload_chunk_threshold, max_retries and "
                             "retry_budget >= 0")
        self.site_url = site_url.strip().rstrip("/")
        self.library = library
        self.folder = "/".join(self._parts(folder, allow_empty=True))
        self.graph_url = graph_url.rstrip("/")
        self.upload_chunk_threshold = min(upload_chunk_threshold, SIMPLE_UPLOAD_LIMIT)
        # Graph wants fragments in multiples of 320 KiB; smaller sizes are left alone for test servers.
        self.upload_chunk_size = (
            upload_chunk_size - upload_chunk_size % FRAGMENT_UNIT
            if upload_chunk_size >= FRAGMENT_UNIT
            else upload_chunk_size
        )
        self.max_retries = max_retries  # None: only the time budget bounds retrying
        self.retry_budget = float(retry_budget)
        self.throttle = throttle or Throttle()
        self._sleep = sleep
        self._token_source = token
        self._host = parts.hostname
        self._site_path = unquote(parts.path).rstrip("/")
        self.client = _GraphClient(self._token, self.graph_url).with_transport(timeout=timeout)
        self._timeout = timeout
        self._main_thread = threading.get_ident()
        self._local = threading.local()  # one GraphClient (and connection pool) per worker thread
        self._lock = threading.RLock()
        self._listed: dict[str, dict[str, Any]] = {}  # name -> the listing's item (eTag, downloadUrl)
        self._drive_id: str | None = None
        self.state_path = Path(state_path) if state_path is not None else None
        self.downloads = 0  # counted, so a re-run can prove it fetched nothing
        self.uploads = 0

    def __repr__(self) -> str:
        return f"SharePointLibrary({self.site_url!r}, {self.library!r}, folder={self.folder!r})"

    # -- a library found from a document, as the signed-in user (the hosted add-in) ------------

    @classmethod
    def for_drive(cls, drive_id: str, folder: str = "", *, token: TokenSource, web_url: str,
                  library: str = "library", graph_url: str = DEFAULT_GRAPH_URL, **kwargs: Any
                  ) -> SharePointLibrary:
        """The library by drive id (no site or drive lookup): the hosted add-in's Graph token is the
        user's own (``token`` returns it), the drive comes from `locate`. ``web_url`` (the folder's
        address as people see it) only names the library in messages."""
        lib = cls(web_url, library, folder, token=token, graph_url=graph_url, **kwargs)
        lib._drive_id = drive_id
        return lib

    @classmethod
    def locate(cls, url: str, *, token: TokenSource, graph_url: str = DEFAULT_GRAPH_URL
               ) -> tuple[str, str, dict[str, Any]]:
        """(drive id, folder path from the drive root, the driveItem) of a SharePoint or OneDrive
        address (a document or a folder), through Graph's ``/shares/u!{base64url}/driveItem``. The
        folder is the item's own for a folder, its parent's for a file."""
        probe = cls(url, token=token, graph_url=graph_url, max_retries=3)
        action = f"find {url} in SharePoint"
        try:
            item = probe._shared_item(url.strip(), action)
            parent = item.get("parentReference") or {}
            drive = _need(parent, "driveId", action)
            if "root" in item:
                return drive, "", item
            own = item if "folder" in item else None
            return drive, cls._folder_of(probe, drive, parent, action, own), item
        except ClientRequestException as exc:
            if _status(exc) in (400, 404):
                raise RemoteNotFound(f"{url} was not found in SharePoint (or you cannot open it)") from None
            raise probe._failure(exc, action) from None

    def _shared_item(self, url: str, action: str) -> dict[str, Any]:
        """The driveItem of ``url`` through ``/shares``. Desktop Excel may report an address with raw
        spaces or accents, where the browser's is percent-encoded: Graph's documentation encodes the
        address as the user sees it, so the address as given goes first and, only if Graph does not
        find it, the other spelling (encoded, or decoded) is tried once."""
        import base64

        spellings = [url]
        encoded = quote(url, safe=":/?#[]@!$&'()*+,;=%")
        if encoded != url:
            spellings.append(encoded)
        elif unquote(url) != url:
            spellings.append(unquote(url))
        for n, spelling in enumerate(spellings):
            share = "u!" + base64.urlsafe_b64encode(spelling.encode()).decode().rstrip("=")
            try:
                return self._call_json("GET", f"shares/{share}/driveItem", action=action)
            except ClientRequestException as exc:
                if n == len(spellings) - 1 or _status(exc) not in (400, 404):
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    @staticmethod
    def _folder_of(probe: SharePointLibrary, drive: str, parent: dict[str, Any], action: str,
                   item: dict[str, Any] | None = None) -> str:
        """The path from the drive root of ``parent`` (plus ``item``'s name when given). Graph gives
        ``parentReference.path`` as ``/drives/{id}/root:/a/b``; when it leaves it out (it may for
        shared items), the parent is read by id."""
        path = parent.get("path")
        if isinstance(path, str):
            inside = unquote(path.split("root:", 1)[1]) if "root:" in path else ""
        else:
            parent_id = _need(parent, "id", action)
            url = f"drives/{quote(drive, safe='!')}/items/{quote(parent_id, safe='!')}"
            doc = probe._call_json("GET", url, action=action)
            inside = "" if "root" in doc else SharePointLibrary._folder_of(
                probe, drive, doc.get("parentReference") or {}, action, doc)
        name = str(item.get("name", "")) if item is not None else ""
        return "/".join(p for p in (*inside.strip("/").split("/"), name) if p)

    def web_url(self, name: str) -> str | None:
        """The address people open ``name`` at (Graph's ``webUrl``), or None when it is not there."""
        try:
            item = self._call_json("GET", self._by_path(self._path(name)), action=f"find {name}")
        except ClientRequestException:
            return None
        url = item.get("webUrl")
        return url if isinstance(url, str) else None

    def versions(self, name: str) -> builtins.list[str]:
        """The ids of ``name``'s versions in SharePoint's version history, newest first."""
        action = f"read the version history of {name} in {self._where}"
        try:
            item = self._call_json("GET", self._by_path(self._path(name)), action=action)
            found = self._pages(self._item_url(item, "versions", action), action)
        except ClientRequestException as exc:
            raise self._failure(exc, action, name) from None
        return [str(v["id"]) for v in found if v.get("id")]

    def download_version(self, name: str, version: str) -> bytes:
        """The bytes of one version of ``name`` (an id from `versions`)."""
        action = f"download version {version} of {name} from {self._where}"
        try:
            item = self._call_json("GET", self._by_path(self._path(name)), action=action)
            url = self._item_url(item, f"versions/{quote(version, safe='')}/content", action)
            return self._call("GET", url, action=action).content
        except ClientRequestException as exc:
            raise self._failure(exc, action, name) from None

    @property
    def _where(self) -> str:
        """The library as a programme manager would name it in a message."""
        return (
            f"{self.library}/{self.folder} on {self.site_url}"
            if self.folder
            else f"{self.library} on {self.site_url}"
        )

    # -- paths ----------------------------------------------------------------------------------

    @staticmethod
    def _parts(name: str, allow_empty: bool = False) -> list[str]:
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if (not parts and not allow_empty) or any(p in (".", "..") for p in parts):
            raise LibraryError(f"invalid library path {name!r}")
        return parts

    def _path(self, name: str, allow_empty: bool = False) -> str:
        """Path from the drive root for a name relative to our folder."""
        return "/".join([*self._parts(self.folder, True), *self._parts(name, allow_empty)])

    def _by_path(self, path: str, suffix: str = "") -> str:
        """Graph path-based addressing: ``drives/{id}/root:/a/b.xlsx:/content``."""
        drive = quote(self._drive(), safe="!")
        if not path:
            return f"drives/{drive}/root" + (suffix and "/" + suffix)
        return f"drives/{drive}/root:/{quote(path, safe='/')}" + (f":/{suffix}" if suffix else "")

    # -- token ----------------------------------------------------------------------------------

    def _token(self) -> dict[str, Any]:
        """Adapt our token callable to GraphClient's; a failed sign-in is an AuthError, said plainly."""
        try:
            token = self._token_source()
        except LibraryError:
            raise
        except Exception as exc:  # msal and friends raise all sorts
            raise AuthError(f"sign in again: could not get a Microsoft 365 token ({_one_line(exc)})") from exc
        if isinstance(token, str):
            return {"access_token": token, "token_type": "Bearer"}
        if not isinstance(token, dict) or not token.get("access_token"):
            reason = token.get("error_description") or token.get("error") if isinstance(token, dict) else None
            raise AuthError(f"sign in again: no Microsoft 365 token ({_one_line(reason or 'none returned')})")
        return {"token_type": "Bearer", **token}

    # -- HTTP -----------------------------------------------------------------------------------

    def _client(self) -> _GraphClient:
        """This thread's GraphClient: office365's request object and requests' pool are not shared
        between the workers of a parallel pull."""
        if threading.get_ident() == self._main_thread:
            return self.client
        client: _GraphClient | None = getattr(self._local, "client", None)
        if client is None:
            client = _GraphClient(self._token, self.graph_url).with_transport(timeout=self._timeout)
            self._local.client = client
        return client

    def _once(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        json_body: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> requests.Response:
        """One request through GraphClient. ``auth=False`` for pre-authenticated upload URLs, which
        Graph says must not get an Authorization header; they still use the client's transport."""
        full = url if url.startswith(("http://", "https://")) else f"{self.graph_url}/{url}"
        request = RequestOptions(url=full, method=HttpMethod(method), headers=dict(headers or {}))
        if json_body is not None:
            request.data = json_body
            request.set_header("Content-Type", "application/json")
        else:
            request.data = data
        pending = self._client().pending_request()
        if auth:
            return pending.execute_request_direct(request)
        response = pending.transport.execute(request)
        if response.status_code >= 400:
            raise ClientRequestException.from_response(response)
        return response

    def _call(
        self,
        method: str,
        url: str,
        *,
        action: str,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        json_body: dict[str, Any] | None = None,
        auth: bool = True,
        write: _WriteState | None = None,
    ) -> requests.Response:
        """`_once`, retried on throttling (honouring Retry-After), outages and dropped connections.

        Other HTTP errors are raised as `ClientRequestException` for the caller to translate; running
        out of the time budget (or of ``max_retries``, when set) is a `LibraryError` saying what kept
        failing and how long we waited.
        """
        attempt = 0
        waited = 0.0
        last = ""
        while True:
            attempt += 1
            waited += self.throttle.wait(self._sleep)
            started = time.perf_counter()
            try:
                response = self._once(method, url, headers=headers, data=data, json_body=json_body,
                                      auth=auth)
                log.debug("%s (%s): HTTP %s in %.0f ms", action, method, response.status_code,
                          (time.perf_counter() - started) * 1000)
                return response
            except ClientRequestException as exc:
                status = _status(exc)
                log.info("%s (%s): HTTP %s in %.0f ms (attempt %d, %.0f s waited)", action, method, status,
                         (time.perf_counter() - started) * 1000, attempt, waited)
                if status not in _RETRY_STATUSES:
                    raise
                if write is not None and status != 429:
                    write.maybe_written = True
                wait = response_retry_after(exc.response)
                last = f"SharePoint kept answering HTTP {status} ({_STATUS_WORDS[status]})"
                if status != 429:
                    self._client().pending_request().transport.reset_connections()
            except _DROPPED as exc:
                if isinstance(exc, requests.exceptions.SSLError):
                    raise LibraryError(
                        f"could not {action}: secure connection failed ({_one_line(exc)})"
                    ) from exc
                if write is not None:
                    write.maybe_written = True
                wait = None
                last = _connection_problem(exc)
                log.info("%s (%s): connection dropped (attempt %d): %s", action, method, attempt,
                         type(exc).__name__)
                self._client().pending_request().transport.reset_connections()
            delay = self._delay(wait, attempt, action)
            out_of_tries = self.max_retries is not None and attempt > self.max_retries
            if out_of_tries or waited + delay > self.retry_budget:
                break
            if wait is not None:
                waited += self.throttle.hold(delay, self._sleep)  # every worker holds off, not just this one
            else:
                self._sleep(delay)
                waited += delay
        raise LibraryError(f"gave up trying to {action} after {attempt} attempts and {waited:.0f} s of "
                           f"waiting: {last}; try again later")

    def _delay(self, retry_after: float | None, attempt: int, action: str) -> float:
        """The server's Retry-After if it gave one, else 1, 2, 4 ... 30 s; a wait beyond the whole
        budget fails at once rather than keep somebody watching a frozen screen."""
        delay = float(retry_after) if retry_after is not None else float(min(2 ** (attempt - 1), 30))
        if retry_after is not None and delay > self.retry_budget:
            raise LibraryError(
                f"could not {action}: SharePoint is busy and asked us to wait {delay:.0f} s; try again later"
            )
        return delay

    def _failure(
        self, exc: ClientRequestException, action: str, name: str = "", if_match: str | None = None
    ) -> LibraryError:
        """One actionable line for an HTTP error Graph gave us."""
        status = _status(exc)
        code = exc.code or ""
        detail = _one_line(exc.message or code or f"HTTP {status}")
        if status == 401:
            return AuthError(
                f"sign in again: Microsoft 365 did not accept the sign-in while trying to {action} ({detail})"
            )
        if status == 403:
            return AccessDenied(f"not allowed to {action} on {self.site_url} (HTTP 403): {PERMISSION_HINT}")
        if status == 412 or (status == 409 and code.lower() == "resourcemodified"):
            expected = if_match or "no file"
            return RemoteChanged(
                f"{name} changed in the library since it was pulled (expected version {expected}); "
                "pull again, then push"
            )
        if status == 409 and code.lower() == "namealreadyexists":
            return RemoteChanged(
                f"{name} already exists in the library but was not pulled; pull it first, then push"
            )
        if status == 404:
            return RemoteNotFound(f"{name or 'the item'} is not in the library {self._where}")
        if status == 423:
            return LibraryError(
                f"{name} is locked in SharePoint (probably open in Excel); close it there and try again"
            )
        if status == 507:
            return LibraryError(f"could not {action}: the SharePoint site is out of storage space")
        return LibraryError(f"could not {action}: SharePoint answered HTTP {status} ({detail})")

    def _call_json(self, method: str, url: str, *, action: str, **kwargs: Any) -> dict[str, Any]:
        """`_call`, answered with a JSON object (anything else is a plain, one-line LibraryError)."""
        return _json_object(self._call(method, url, action=action, **kwargs), action)

    def _item_url(self, item: dict[str, Any], suffix: str, action: str) -> str:
        """``drives/{drive}/items/{id}/{suffix}``: by id, so a rename mid-walk cannot confuse us."""
        drive = quote(self._drive(), safe="!")
        return f"drives/{drive}/items/{quote(_need(item, 'id', action), safe='!')}/{suffix}"

    def _pages(self, url: str, action: str) -> list[dict[str, Any]]:
        """Every ``value`` entry of a collection, following ``@odata.nextLink``."""
        out: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            page = self._call_json("GET", next_url, action=action)
            out.extend(page.get("value", []))
            next_url = page.get("@odata.nextLink")
        return out

    # -- site and drive -------------------------------------------------------------------------

    def _drive(self) -> str:
        """The drive id of our library, looked up once (site by URL, then its drives by name)."""
        if self._drive_id is not None:
            return self._drive_id
        with self._lock:
            return self._drive_id or self._find_drive()

    def _find_drive(self) -> str:
        site_ref = f"sites/{self._host}" + (f":{quote(self._site_path, safe='/')}" if self._site_path else "")
        action = f"open the SharePoint site {self.site_url}"
        try:
            site = self._call_json("GET", site_ref, action=action)
            drives = self._pages(f"sites/{quote(_need(site, 'id', action), safe=',')}/drives", action=action)
        except ClientRequestException as exc:
            if _status(exc) == 404:
                raise LibraryError(
                    f"SharePoint site {self.site_url} not found: check the site address "
                    "(like https://contoso.sharepoint.com/sites/careers)"
                ) from None
            raise self._failure(exc, action) from None
        wanted = self.library.strip().lower()
        for drive in drives:
            web_name = unquote(str(drive.get("webUrl", "")).rstrip("/").rsplit("/", 1)[-1]).lower()
            if str(drive.get("name", "")).lower() == wanted or web_name == wanted:
                self._drive_id = _need(drive, "id", action)
                return self._drive_id
        names = ", ".join(sorted(str(d.get("name")) for d in drives)) or "none"
        raise LibraryError(
            f"no document library called {self.library!r} on {self.site_url} (it has: {names})"
        )

    # -- Library --------------------------------------------------------------------------------

    def _remote_file(self, name: str, item: dict[str, Any], size: int | None = None) -> RemoteFile:
        return RemoteFile(
            name,
            str(item.get("eTag", "")),
            int(item.get("size", 0)) if size is None else size,
            _parse_time(item.get("lastModifiedDateTime")),
        )

    def list(self, folder: str = "") -> list[RemoteFile]:
        """Every file under ``folder``, recursively, named relative to our root folder."""
        start = "/".join(self._parts(folder, allow_empty=True))
        if not start and self.state_path is not None:
            return self._delta_list()
        action = f"list {start or 'the files'} in {self._where}"
        out: list[RemoteFile] = []
        pending: list[tuple[str, str]] = [
            (start, self._by_path(self._path(start, allow_empty=True), "children"))
        ]
        while pending:
            prefix, url = pending.pop()
            try:
                items = self._pages(url, action)
            except ClientRequestException as exc:
                if _status(exc) == 404:
                    continue  # no such folder (yet), or removed while we walked: nothing in it
                raise self._failure(exc, action, start) from None
            for item in items:
                item_name = str(item.get("name", ""))
                if not item_name or item_name.startswith((".", "~$")):
                    continue  # hidden and Office lock files, as FolderLibrary skips them
                rel = f"{prefix}/{item_name}" if prefix else item_name
                if "folder" in item:
                    pending.append((rel, self._item_url(item, "children", action)))
                elif "file" in item:
                    out.append(self._remote_file(rel, item))
                    self._listed[rel] = item
        return sorted(out, key=lambda f: f.name)

    # -- delta: later runs ask only for what changed -------------------------------------------

    def _delta_key(self) -> str:
        return f"{self.graph_url}|{self.site_url}|{self.library}".lower()

    def _load_delta(self) -> dict[str, Any]:
        """The stored delta state: drive id, delta link, and every item of the drive (no URLs that
        grant access: download URLs are kept in memory for the run only)."""
        assert self.state_path is not None
        try:
            raw = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict) or raw.get("key") != self._delta_key() or raw.get("version") != 1:
            return {}
        return raw

    def _delta_list(self) -> builtins.list[RemoteFile]:
        """The listing through ``/delta``: the first run enumerates the drive, later runs ask only for
        changes since the stored link (a no-change run is one request); 410 Gone starts afresh."""
        action = f"list the files in {self._where}"
        stored = self._load_delta()
        items: dict[str, dict[str, Any]] = dict(stored.get("items", {}))
        link: str | None = stored.get("link")
        if stored.get("drive") and self._drive_id is None:
            self._drive_id = str(stored["drive"])  # no site and drive lookups on later runs
        url = link or self._by_path("", "delta")
        fetched: list[dict[str, Any]] = []
        while True:
            try:
                page = self._call_json("GET", url, action=action)
            except ClientRequestException as exc:
                status = _status(exc)
                if status == 410 and link is not None:  # the token expired: enumerate again
                    log.info("%s: delta token expired (410): taking a full listing", action)
                    items, link, fetched = {}, None, []
                    url = self._by_path("", "delta")
                    continue
                if status == 404 and stored.get("drive"):  # the drive we remembered is gone
                    raise LibraryError(f"could not {action}: the library is gone; check the site and "
                                       f"library in tomsync.toml (or delete {self.state_path})") from None
                raise self._failure(exc, action) from None
            fetched.extend(page.get("value", []))
            next_url = page.get("@odata.nextLink")
            if next_url:
                url = str(next_url)
                continue
            new_link = page.get("@odata.deltaLink")
            if not isinstance(new_link, str) or not new_link:
                raise LibraryError(f"could not {action}: SharePoint's delta answer has no deltaLink")
            break
        changed = new_link != link or bool(fetched)
        for entry in fetched:
            item_id = entry.get("id")
            if not isinstance(item_id, str):
                continue
            if "deleted" in entry:
                items.pop(item_id, None)
                continue
            kind = next((k for k in ("root", "folder", "file") if k in entry), "other")
            items[item_id] = {"name": str(entry.get("name", "")), "kind": kind,
                              "parent": str((entry.get("parentReference") or {}).get("id", "")),
                              "eTag": str(entry.get("eTag", "")), "size": int(entry.get("size", 0) or 0),
                              "lastModifiedDateTime": entry.get("lastModifiedDateTime")}
        downloads = {str(e["id"]): e["@microsoft.graph.downloadUrl"] for e in fetched
                     if isinstance(e.get("@microsoft.graph.downloadUrl"), str) and "id" in e}
        files = self._files_from(items, downloads)
        if changed:  # every item of the drive is kept: a folder moved in brings its files, unreported
            doc = {"version": 1, "key": self._delta_key(), "drive": self._drive(), "link": new_link,
                   "items": items}
            assert self.state_path is not None
            atomic_write_bytes(self.state_path, json.dumps(doc, separators=(",", ":")).encode())
        return files

    def _files_from(
        self, items: dict[str, dict[str, Any]], downloads: dict[str, str]
    ) -> builtins.list[RemoteFile]:
        """Files under our folder, named relative to it, from the id -> item map delta keeps."""
        paths: dict[str, str | None] = {}

        def path_of(item_id: str, depth: int = 0) -> str | None:
            if item_id in paths:
                return paths[item_id]
            item = items.get(item_id)
            if item is None or depth > 64:
                return None
            if item["kind"] == "root":
                result: str | None = ""
            else:
                parent = path_of(item["parent"], depth + 1)
                result = None if parent is None else (f"{parent}/{item['name']}" if parent else item["name"])
            paths[item_id] = result
            return result

        prefix = f"{self.folder}/" if self.folder else ""
        out: builtins.list[RemoteFile] = []
        for item_id, item in items.items():
            if item["kind"] != "file":
                continue
            full = path_of(item_id)
            if full is None or not full.startswith(prefix):
                continue
            rel = full[len(prefix):]
            if any(p.startswith((".", "~$")) for p in rel.split("/")):
                continue  # hidden and Office lock files, as the folder walk skips them
            listed = {**item, "id": item_id}
            if item_id in downloads:
                listed["@microsoft.graph.downloadUrl"] = downloads[item_id]
            self._listed[rel] = listed
            out.append(self._remote_file(rel, listed))
        return sorted(out, key=lambda f: f.name)

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        """The file's bytes and the eTag read just before them (never newer than the bytes)."""
        path = self._path(name)
        action = f"download {name} from {self._where}"
        listed = self._listed.get(name)
        url = listed.get("@microsoft.graph.downloadUrl") if listed else None
        if listed is not None and isinstance(url, str) and url:
            try:  # one request: the listing's pre-authenticated URL, its eTag read before these bytes
                content = self._call("GET", url, action=action, auth=False).content
            except ClientRequestException as exc:
                if _status(exc) not in (401, 403, 404, 410):
                    raise self._failure(exc, action, name) from None
                log.info("%s: the listing's download URL expired (HTTP %s): asking by path", action,
                         _status(exc))
            else:
                with self._lock:
                    self.downloads += 1
                return content, self._remote_file(name, listed, size=len(content))
        try:
            item = self._call_json("GET", self._by_path(path), action=action)
            if "file" not in item:
                raise LibraryError(f"{name} is a folder in {self._where}, not a workbook")
            content = self._call("GET", self._item_url(item, "content", action), action=action).content
        except ClientRequestException as exc:
            raise self._failure(exc, action, name) from None
        with self._lock:
            self.downloads += 1
        return content, self._remote_file(name, item, size=len(content))

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        """Write ``data`` only if the library still holds ``if_match`` (None: only if absent)."""
        path = self._path(name)
        action = f"upload {name} to {self._where}"
        state = _WriteState()
        self._listed.pop(name, None)  # its download URL and eTag are about to be out of date
        try:
            if len(data) <= self.upload_chunk_threshold:
                item = self._put_small(path, data, if_match, action, state)
            else:
                item = self._put_session(path, data, if_match, action, state)
        except ClientRequestException as exc:
            if state.maybe_written and _status(exc) in (409, 412):
                landed = self._already_there(name, path, data, action)
                if landed is not None:
                    with self._lock:
                        self.uploads += 1
                    return landed
            raise self._failure(exc, action, name, if_match) from None
        with self._lock:
            self.uploads += 1
        return self._remote_file(name, item, size=len(data))

    def _put_small(
        self, path: str, data: bytes, if_match: str | None, action: str, state: _WriteState
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/octet-stream"}
        url = self._by_path(path, "content")
        if if_match is None:
            url += "?@microsoft.graph.conflictBehavior=fail"
        else:
            headers["If-Match"] = if_match
        return self._call_json("PUT", url, action=action, headers=headers, data=data, write=state)

    def _put_session(
        self, path: str, data: bytes, if_match: str | None, action: str, state: _WriteState
    ) -> dict[str, Any]:
        body = {"item": {"@microsoft.graph.conflictBehavior": "fail" if if_match is None else "replace"}}
        headers = {"If-Match": if_match} if if_match is not None else {}

        def still_ours() -> None:
            """Graph checked If-Match when the session was made, not at commit: check again now."""
            if if_match is None:
                return
            current = self._current_etag(path, action)
            if current != if_match:
                log.info("%s: the item changed during the upload session (%s -> %s): not committing",
                         action, if_match, current)
                raise RemoteChanged(f"{path.rsplit('/', 1)[-1]} changed in the library during the upload "
                                    f"(expected version {if_match}); pull again, then push")

        for _ in range(self._tries + 1):
            url = self._by_path(path, "createUploadSession")
            session = self._call_json("POST", url, action=action, headers=headers, json_body=body)
            try:
                item = self._send_fragments(_need(session, "uploadUrl", action), data, action, state,
                                            still_ours)
            except _SessionGone:
                continue
            self._check_one_step(if_match, item, path)
            return item
        raise LibraryError(f"could not {action}: SharePoint kept losing the upload session; try again later")

    @property
    def _tries(self) -> int:
        """Retries of one upload-session step: ``max_retries`` if set, else a fixed few."""
        return self.max_retries if self.max_retries is not None else 6

    def _current_etag(self, path: str, action: str) -> str | None:
        try:
            return str(self._call_json("GET", self._by_path(path), action=action).get("eTag", ""))
        except ClientRequestException as exc:
            if _status(exc) == 404:
                return None
            raise

    def _check_one_step(self, if_match: str | None, item: dict[str, Any], path: str) -> None:
        """After a session's commit: our version must directly follow the one we started from."""
        before = _etag_version(if_match or "")
        after = _etag_version(str(item.get("eTag", "")))
        if before is None or after is None or before[0] != after[0] or after[1] == before[1] + 1:
            return
        name = path.rsplit("/", 1)[-1]
        log.warning("%s: versions jumped from %d to %d across our commit: somebody saved in between",
                    name, before[1], after[1])
        raise LostRace(
            f"{name}: somebody saved it in SharePoint while this upload was committing; your version is "
            f"now the library's, theirs is in the file's version history there (versions {before[1] + 1} "
            f"to {after[1] - 1}): compare them, then pull"
        )

    def _send_fragments(
        self, upload_url: str, data: bytes, action: str, state: _WriteState,
        before_commit: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """PUT the fragments, resuming where SharePoint says after a failure; returns the committed item.
        ``before_commit`` runs before the last fragment is sent (it raises to abandon the session)."""
        total = len(data)
        offset = 0
        failures = 0
        while True:
            end = min(offset + self.upload_chunk_size, total)
            last_fragment = end == total
            if last_fragment and before_commit is not None:
                try:
                    before_commit()
                except RemoteChanged:
                    self._cancel(upload_url)
                    raise
            headers = {
                "Content-Range": f"bytes {offset}-{end - 1}/{total}",
                "Content-Type": "application/octet-stream",
            }
            try:
                response = self._once("PUT", upload_url, headers=headers, data=data[offset:end], auth=False)
            except ClientRequestException as exc:
                status = _status(exc)
                if status == 404:
                    raise _SessionGone() from None
                if status in (409, 412):
                    raise  # the commit was refused: a conflict, the session is over
                if status not in _RETRY_STATUSES and status != 416:
                    self._cancel(upload_url)
                    raise
                if last_fragment and status != 429:
                    state.maybe_written = True
                wait = response_retry_after(exc.response)
                problem = f"SharePoint answered HTTP {status}"
            except _DROPPED as exc:
                if last_fragment:
                    state.maybe_written = True
                wait = None
                problem = _connection_problem(exc)
                self._client().pending_request().transport.reset_connections()
            else:
                doc = _json_object(response, action)
                if response.status_code in (200, 201):
                    return doc
                offset = self._next_offset(doc, default=end)
                failures = 0
                continue
            failures += 1
            if failures > self._tries:
                self._cancel(upload_url)
                raise LibraryError(
                    f"gave up trying to {action} after {failures} failed attempts at one part of the file "
                    f"({problem}); nothing was changed in the library, try again later"
                )
            delay = self._delay(wait, failures, action)
            if wait is not None:
                self.throttle.hold(delay, self._sleep)  # a fragment's Retry-After holds every worker too
            else:
                self._sleep(delay)
            try:  # where to carry on: a fragment may have arrived although its answer did not
                status_doc = self._call_json("GET", upload_url, action=action, auth=False)
            except ClientRequestException as exc:
                if _status(exc) == 404:
                    raise _SessionGone() from None
                raise
            offset = self._next_offset(status_doc, default=offset)

    @staticmethod
    def _next_offset(doc: dict[str, Any], default: int) -> int:
        ranges = doc.get("nextExpectedRanges")
        if ranges is None:
            return default
        if not ranges:
            raise _SessionGone()  # everything arrived yet nothing committed: start again
        return int(str(ranges[0]).split("-", 1)[0])

    def _cancel(self, upload_url: str) -> None:
        """Delete an abandoned upload session (best effort: Graph expires it anyway, uncommitted)."""
        try:
            self._once("DELETE", upload_url, auth=False)
        except (ClientRequestException, requests.RequestException):
            pass

    def _already_there(self, name: str, path: str, data: bytes, action: str) -> RemoteFile | None:
        """After a lost answer and a conflict on retry: did our own write land? Then it is no conflict."""
        try:
            item = self._call_json("GET", self._by_path(path), action=action)
            if "file" not in item or item.get("size") != len(data):
                return None
            content = self._call("GET", self._item_url(item, "content", action), action=action).content
        except ClientRequestException:
            return None
        return self._remote_file(name, item, size=len(data)) if content == data else None
