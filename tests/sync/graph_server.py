"""A small fake Microsoft Graph drive server for testing SharePointLibrary over real HTTP.

Standard library only. It speaks the subset of Graph that `sync.sharepoint` uses, shaped like the real
service (site lookup by URL, drives, paged children, path and id addressing, ``/content`` answered with
a 302 to a pre-authenticated download URL, conditional PUT, upload sessions with ``Content-Range``
chunks), holds files in memory, and lets tests inject faults (throttling, outages, auth failures,
dropped connections) and simulate a colleague's edit.

Choices where Graph's exact behaviour is undocumented or tenant-dependent:
- ``If-Match`` on a path that does not exist answers 412 (RFC 9110 semantics).
- Upload sessions, by default, behave as Graph documents: ``If-Match`` is checked when the session is
  created (412), and NOT when the last fragment commits, so a colleague's save during the upload is
  overwritten unless the client checks for itself. ``FakeGraph(session_commit_check=True)`` instead
  re-checks at the commit and answers 409 ``resourceModified`` (the "some tenants 409" case in
  DESIGN.md); the client must be safe in both modes.
- The upload URL rejects an ``Authorization`` header with 401, as Graph's documentation warns it may.
- Paths are case-sensitive (SharePoint is not); tests do not depend on either.

Mail (``POST /me/sendMail``): the JSON body is recorded in ``mail`` and answered 202 Accepted with
no body, as Graph does; a message without recipients is 400.

Delta (``GET /drives/{id}/root/delta``), in the documented shapes: a first call enumerates every item
(root, folders, files) in pages linked by ``@odata.nextLink``, the last page carrying
``@odata.deltaLink``; calling that link returns only what changed since, deleted items with a
``deleted`` facet; ``parentReference`` has ``id`` but no ``path`` (Graph leaves path out of delta).
`expire_delta_tokens` makes older links answer 410 Gone (``resyncRequired``), as Graph does when a
token is too old. File items in listings carry ``@microsoft.graph.downloadUrl`` (pre-authenticated).

``/shares/u!{base64url(url)}/driveItem`` resolves a SharePoint address (a file's or a folder's
``webUrl``) to its item, with ``parentReference`` carrying driveId and id but no path, as Graph answers
for shared items. ``/drives/{d}/items/{i}/versions`` lists a file's versions newest first (ids "N.0",
the current one included) and ``.../versions/{id}/content`` answers a 302 to that version's bytes.

``latency`` (seconds) delays every answer, outside the server's lock, to model a real network for
benchmarks; ``max_in_flight`` records the most requests the server was answering at once.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

API = "/v1.0"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Item:
    """A file or folder in a drive; ``path`` is relative to the drive root ("" is the root)."""

    id: str
    path: str
    folder: bool
    content: bytes = b""
    version: int = 1
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    modified: datetime = field(default_factory=_now)
    history: list[bytes] = field(default_factory=list)  # earlier versions' bytes, oldest first

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1] if self.path else "root"

    @property
    def parent(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""

    @property
    def etag(self) -> str:
        return f'"{{{self.guid}}},{self.version}"'

    @property
    def ctag(self) -> str:
        return f'"c:{{{self.guid}}},{self.version}"'


@dataclass
class Drive:
    id: str
    name: str
    web_url: str
    items: dict[str, Item] = field(default_factory=dict)  # by path
    seq: int = 0  # the drive's change counter: delta tokens are values of it
    changed: dict[str, int] = field(default_factory=dict)  # item id -> seq of its last change
    deleted: dict[str, tuple[int, Item]] = field(default_factory=dict)  # item id -> (seq, last state)

    ids: dict[str, Item] = field(default_factory=dict)  # by id

    def by_id(self, item_id: str) -> Item | None:
        return self.ids.get(item_id)

    def add(self, item: Item) -> Item:
        self.items[item.path] = item
        self.ids[item.id] = item
        self.touch(item)
        return item

    def touch(self, item: Item) -> None:
        self.seq += 1
        self.changed[item.id] = self.seq


@dataclass
class UploadSession:
    id: str
    drive: Drive
    path: str
    if_match: str | None
    behavior: str
    received: bytearray = field(default_factory=bytearray)
    total: int | None = None


@dataclass
class Fault:
    """What the next ``remaining`` matching requests get instead of a normal answer."""

    remaining: int
    kinds: frozenset[str] | None
    status: int | None = None
    retry_after: str | None = None
    code: str = ""
    message: str = ""
    drop: bool = False
    after_apply: bool = False  # drop the connection after the request took effect
    skip: int = 0  # let this many matching requests through first


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    kind: str
    headers: dict[str, str]
    body_size: int
    status: int = 0  # the answer's status (0: dropped), set before observers run


class _Resp:
    def __init__(
        self, status: int, body: bytes | dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, dict):
            self.body = json.dumps(body).encode()
            self.headers.setdefault("Content-Type", "application/json")
        else:
            self.body = body or b""


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> _Resp:
    return _Resp(status, {"error": {"code": code, "message": message}}, headers)


_DEFAULT_ERRORS = {
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("accessDenied", "Either scp or roles claim need to be present in the token."),
    429: ("TooManyRequests", "Too many requests, please retry later."),
    500: ("generalException", "An unspecified error has occurred."),
    502: ("badGateway", "Bad gateway."),
    503: ("serviceNotAvailable", "The service is temporarily unavailable."),
    504: ("gatewayTimeout", "Gateway timeout."),
}

_SITE_BY_PATH = re.compile(r"^/sites/(?P<host>[^/:]+):(?P<path>/[^:]*?):?$")
_SITE_BY_ID = re.compile(r"^/sites/(?P<id>[^/:]+)$")
_DRIVES = re.compile(r"^/sites/(?P<id>[^/]+)/drives$")
_ROOT = re.compile(
    r"^/drives/(?P<d>[^/]+)/root(?::(?P<p>/[^:]*))?:?(?P<op>/children|/content|/createUploadSession|/delta)?$"
)
_ITEM = re.compile(
    r"^/drives/(?P<d>[^/]+)/items/(?P<i>[^/:]+)(?P<op>/children|/content|/createUploadSession)?$"
)
_SHARES = re.compile(r"^/shares/(?P<s>[^/]+)/driveItem$")
_VERSIONS = re.compile(r"^/drives/(?P<d>[^/]+)/items/(?P<i>[^/:]+)/versions(?:/(?P<v>[^/]+)/content)?$")
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class FakeGraph:
    """In-memory Graph drive service. Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(
        self,
        hostname: str = "contoso.sharepoint.com",
        site_path: str = "/sites/careers",
        drives: tuple[str, ...] = ("Documents", "Reports"),
        page_size: int = 200,
        tokens: tuple[str, ...] = ("test-token",),
        session_commit_check: bool = False,
    ) -> None:
        self.hostname = hostname
        self.session_commit_check = session_commit_check
        self.delta_floor: dict[str, int] = {}  # drive id -> oldest delta token still honoured
        self.latency = 0.0  # seconds added to every answer (outside the lock), for benchmarks
        self.in_flight = 0
        self.max_in_flight = 0
        self.site_path = site_path
        self.site_id = f"{hostname},{uuid.uuid4()},{uuid.uuid4()}"
        self.page_size = page_size
        self.tokens = set(tokens)
        self.drives: dict[str, Drive] = {}
        for name in drives:
            drive_id = "b!" + uuid.uuid4().hex
            folder = "Shared Documents" if name == "Documents" else name
            web_url = f"https://{hostname}{site_path}/{quote(folder)}"
            drive = Drive(drive_id, name, web_url)
            drive.add(Item("ROOT-" + drive_id[2:10], "", folder=True))
            self.drives[drive_id] = drive
        self.sessions: dict[str, UploadSession] = {}
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.counts: Counter[str] = Counter()
        # Called for every request, dropped ones too, once it took effect and before its answer goes out.
        self.observers: list[Callable[[Seen], None]] = []
        self._before: list[tuple[str, Callable[[], None]]] = []
        self.mail: list[dict[str, Any]] = []  # every message POSTed to /me/sendMail, as sent
        # True: /shares finds an item only by its webUrl spelled exactly as Graph gives it (encoded), the
        # strictest Graph could be; False (default): either spelling, as Graph does for most addresses.
        self.strict_shares = False
        self.lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeGraph:
        handler = type("Handler", (_Handler,), {"graph": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-graph", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def graph_url(self) -> str:
        """The service root to give the client, like ``https://graph.microsoft.com/v1.0``."""
        return self.base_url + API

    @property
    def site_url(self) -> str:
        return f"https://{self.hostname}{self.site_path}"

    # -- test helpers ---------------------------------------------------------------------------

    def drive(self, name: str = "Documents") -> Drive:
        return next(d for d in self.drives.values() if d.name == name)

    def put(self, path: str, data: bytes, drive: str = "Documents") -> str:
        """Create or replace a file (and its folders) directly; returns its new eTag."""
        with self.lock:
            return self._write(self.drive(drive), path.strip("/"), data).etag

    def edit(self, path: str, data: bytes | None = None, drive: str = "Documents") -> str:
        """A colleague's edit: new content (or the same content re-saved), new eTag."""
        with self.lock:
            item = self.drive(drive).items[path.strip("/")]
            return self._write(self.drive(drive), item.path, item.content if data is None else data).etag

    def remove(self, path: str, drive: str = "Documents") -> None:
        """A colleague deletes a file (delta reports it with a ``deleted`` facet)."""
        with self.lock:
            d = self.drive(drive)
            item = d.items.pop(path.strip("/"))
            d.ids.pop(item.id, None)
            d.seq += 1
            d.changed.pop(item.id, None)
            d.deleted[item.id] = (d.seq, item)

    def expire_delta_tokens(self, drive: str = "Documents") -> None:
        """Every delta link handed out so far answers 410 Gone (the token is too old)."""
        with self.lock:
            d = self.drive(drive)
            d.seq += 1  # links handed out from now on carry this or later values
            self.delta_floor[d.id] = d.seq

    def mkdir(self, path: str, drive: str = "Documents") -> None:
        with self.lock:
            self._ensure_folders(self.drive(drive), path.strip("/"))

    def content(self, path: str, drive: str = "Documents") -> bytes | None:
        with self.lock:
            item = self.drive(drive).items.get(path.strip("/"))
            return None if item is None or item.folder else bytes(item.content)

    def etag(self, path: str, drive: str = "Documents") -> str | None:
        with self.lock:
            item = self.drive(drive).items.get(path.strip("/"))
            return None if item is None else item.etag

    def fail_next(
        self,
        n: int,
        status: int,
        *,
        kinds: tuple[str, ...] | None = None,
        retry_after: float | str | None = None,
        code: str | None = None,
        message: str | None = None,
        skip: int = 0,
    ) -> None:
        """The next ``n`` requests (of the given kinds, if any) answer ``status`` with a Graph error body.

        ``skip`` lets that many matching requests through first. Kinds: site, drives, children, item,
        content, download, upload (small PUT), createUploadSession, chunk, session_status, session_delete.
        """
        default_code, default_message = _DEFAULT_ERRORS.get(status, ("error", f"HTTP {status}"))
        with self.lock:
            self.faults.append(
                Fault(
                    n,
                    frozenset(kinds) if kinds else None,
                    status=status,
                    retry_after=None if retry_after is None else str(retry_after),
                    code=code or default_code,
                    message=message or default_message,
                    skip=skip,
                )
            )

    def drop_next(
        self, n: int = 1, *, kinds: tuple[str, ...] | None = None, after_apply: bool = False, skip: int = 0
    ) -> None:
        """Close the socket without answering the next ``n`` matching requests.

        ``after_apply=False``: the request is read and discarded (nothing changes server-side).
        ``after_apply=True``: the request takes effect, then the answer is lost (the ambiguous case).
        """
        with self.lock:
            self.faults.append(
                Fault(n, frozenset(kinds) if kinds else None, drop=True, after_apply=after_apply, skip=skip)
            )

    def on_next(self, kind: str, action: Callable[[], None]) -> None:
        """Run ``action`` once, just before the next ``kind`` request is handled (a colleague's edit)."""
        with self.lock:
            self._before.append((kind, action))

    def run_before(self, kind: str) -> None:
        with self.lock:
            due = [a for k, a in self._before if k == kind]
            self._before = [(k, a) for k, a in self._before if k != kind]
        for action in due:
            action()

    def reset_log(self) -> None:
        with self.lock:
            self.seen.clear()
            self.counts.clear()
            self.max_in_flight = self.in_flight

    def requests_of(self, kind: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.kind == kind]

    # -- model ----------------------------------------------------------------------------------

    def _ensure_folders(self, drive: Drive, path: str) -> None:
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            existing = drive.items.get(sub)
            if existing is None:
                drive.add(Item(uuid.uuid4().hex.upper(), sub, folder=True))
            elif not existing.folder:
                raise ValueError(f"{sub} is a file")

    def _write(self, drive: Drive, path: str, data: bytes) -> Item:
        self._ensure_folders(drive, path.rsplit("/", 1)[0] if "/" in path else "")
        item = drive.items.get(path)
        if item is None:
            item = drive.add(Item(uuid.uuid4().hex.upper(), path, folder=False, content=bytes(data)))
        else:
            item.history.append(item.content)
            item.content = bytes(data)
            item.version += 1
            item.modified = _now()
            drive.touch(item)
        return item

    def _item_json(self, drive: Drive, item: Item, in_delta: bool = False) -> dict[str, Any]:
        parent_path = f"/drives/{drive.id}/root" + (f":/{item.parent}" if item.parent else ":")
        parent = drive.items.get(item.parent) if item.path else None
        out: dict[str, Any] = {
            "id": item.id,
            "name": item.name,
            "eTag": item.etag,
            "cTag": item.ctag,
            "size": len(item.content)
            if not item.folder
            else sum(len(i.content) for i in drive.items.values() if i.path.startswith(item.path)),
            "createdDateTime": _iso(item.modified),
            "lastModifiedDateTime": _iso(item.modified),
            "webUrl": f"{drive.web_url}/{quote(item.path)}",
            "parentReference": {"driveId": drive.id, "driveType": "documentLibrary", "path": parent_path},
        }
        if parent is not None:
            out["parentReference"]["id"] = parent.id
        if not item.path:
            out["root"] = {}
        if in_delta:  # Graph leaves parentReference.path out of delta answers
            out["parentReference"].pop("path")
            if not item.path:
                out["root"] = {}
                del out["parentReference"]
        if item.folder:
            out["folder"] = {"childCount": len(self._children(drive, item)) if not in_delta else 0}
        else:
            out["file"] = {"mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
            token = f"{drive.id}/{item.id}/{uuid.uuid4().hex}"
            out["@microsoft.graph.downloadUrl"] = f"{self._base()}/download/{token}"
        return out

    def _delta(self, drive: Drive, query: dict[str, list[str]]) -> _Resp:
        """One page of a delta enumeration: everything (no token) or what changed after ``token``."""
        token = int(query["token"][0]) if "token" in query else None
        at = int(query["at"][0]) if "at" in query else drive.seq
        skip = int(query.get("skip", ["0"])[0])
        if token is not None and token < self.delta_floor.get(drive.id, 0):
            return _error(410, "resyncRequired", "The delta token has expired; enumerate again.")
        if token is None:
            entries: list[dict[str, Any]] = [
                self._item_json(drive, i, in_delta=True)
                for i in sorted(drive.items.values(), key=lambda i: i.path)
            ]
        else:
            entries = [self._item_json(drive, i, in_delta=True)
                       for i in sorted(drive.items.values(), key=lambda i: i.path)
                       if drive.changed.get(i.id, 0) > token]
            entries += [{"id": item_id, "name": old.name, "deleted": {"state": "deleted"},
                         "parentReference": {"driveId": drive.id}, "file": {}}
                        for item_id, (seq, old) in drive.deleted.items() if seq > token]
        page = entries[skip: skip + self.page_size]
        base = f"{self.graph_url}/drives/{drive.id}/root/delta"
        out: dict[str, Any] = {"value": page}
        if skip + self.page_size < len(entries):
            again = f"?skip={skip + self.page_size}&at={at}"
            out["@odata.nextLink"] = base + again + (f"&token={token}" if token is not None else "")
        else:
            out["@odata.deltaLink"] = f"{base}?token={at}"
        return _Resp(200, out)

    def _children(self, drive: Drive, folder: Item) -> list[Item]:
        return sorted(
            (i for i in drive.items.values() if i.path and i.parent == folder.path),
            key=lambda i: i.name.lower(),
        )

    # -- request handling -----------------------------------------------------------------------

    def classify(self, method: str, path: str) -> str:
        if path.startswith("/upload/"):
            return {"PUT": "chunk", "GET": "session_status", "DELETE": "session_delete"}.get(method, "other")
        if path.startswith("/download/"):
            return "download"
        if not path.startswith(API):
            return "other"
        rest = path[len(API) :]
        if _SHARES.match(rest):
            return "shares"
        if m := _VERSIONS.match(rest):
            return "version_content" if m.group("v") else "versions"
        if rest.lower() == "/me/sendmail":
            return "sendMail"
        if _DRIVES.match(rest):
            return "drives"
        if _SITE_BY_PATH.match(rest) or _SITE_BY_ID.match(rest):
            return "site"
        m = _ROOT.match(rest) or _ITEM.match(rest)
        if m is None:
            return "other"
        op = m.group("op")
        if op == "/children":
            return "children"
        if op == "/createUploadSession":
            return "createUploadSession"
        if op == "/delta":
            return "delta"
        if op == "/content":
            return "upload" if method == "PUT" else "content"
        return "item"

    def take_fault(self, kind: str) -> Fault | None:
        with self.lock:
            chosen = None
            for fault in self.faults:
                if fault.remaining <= 0 or (fault.kinds is not None and kind not in fault.kinds):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1  # every fault counts its own skips, from when it was set up
                elif chosen is None:
                    fault.remaining -= 1
                    chosen = fault
            return chosen

    def handle(
        self, method: str, raw_path: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> _Resp:
        with self.lock:
            if raw_path.startswith("/download/"):
                return self._download(raw_path[len("/download/") :])
            if raw_path.startswith("/upload/"):
                if headers.get("Authorization"):
                    return _error(401, "unauthenticated", "Do not send Authorization to an upload URL.")
                return self._session(method, raw_path[len("/upload/") :], headers, body)
            auth = headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.tokens:
                return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            if not raw_path.startswith(API):
                return _error(400, "BadRequest", "Unsupported API version.")
            return self._api(method, raw_path[len(API) :], query, headers, body)

    def _api(self, method: str, rest: str, query: dict[str, list[str]], headers: Any, body: bytes) -> _Resp:
        if m := _SHARES.match(rest):
            return self._share(m.group("s"))
        if m := _VERSIONS.match(rest):
            return self._versions(unquote(m.group("d")), unquote(m.group("i")), m.group("v"))
        if rest.lower() == "/me/sendmail":  # Graph: 202 Accepted, no body; the message is recorded
            if method != "POST":
                return _error(405, "invalidRequest", f"{method} not supported here")
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                return _error(400, "ErrorInvalidRequest", "The body is not JSON.")
            message = payload.get("message") if isinstance(payload, dict) else None
            if not isinstance(message, dict) or not message.get("toRecipients"):
                return _error(400, "ErrorInvalidRecipients", "At least one recipient is not valid.")
            self.mail.append(payload)
            return _Resp(202)
        if m := _DRIVES.match(rest):
            if unquote(m.group("id")) != self.site_id:
                return _error(404, "itemNotFound", "Site not found.")
            value = [
                {"id": d.id, "name": d.name, "webUrl": d.web_url, "driveType": "documentLibrary"}
                for d in self.drives.values()
            ]
            return _Resp(200, {"value": value})
        if m := _SITE_BY_PATH.match(rest):
            host, path = m.group("host"), unquote(m.group("path")).rstrip("/")
            if host != self.hostname or path.lower() != self.site_path.lower():
                return _error(404, "itemNotFound", "Requested site could not be found")
            return _Resp(200, self._site_json())
        if m := _SITE_BY_ID.match(rest):
            site = unquote(m.group("id"))
            if site == self.site_id or (site == self.hostname and self.site_path in ("", "/")):
                return _Resp(200, self._site_json())
            return _error(404, "itemNotFound", "Requested site could not be found")
        m = _ROOT.match(rest) or _ITEM.match(rest)
        if m is None:
            return _error(400, "invalidRequest", f"Unsupported request {method} {rest}")
        drive = self.drives.get(unquote(m.group("d")))
        if drive is None:
            return _error(404, "itemNotFound", "Drive not found.")
        if "i" in m.groupdict():
            found = drive.by_id(unquote(m.group("i")))
            path = found.path if found is not None else None
        else:
            path = unquote(m.group("p") or "").strip("/")
        op = m.group("op") or ""
        if op == "/delta":
            if method != "GET" or path != "":
                return _error(400, "invalidRequest", "delta is supported on the drive's root only")
            return self._delta(drive, query)
        item = drive.items.get(path) if path is not None else None
        if op == "/content" and method == "PUT":
            return self._put_content(drive, path, item, query, headers, body)
        if op == "/createUploadSession" and method == "POST":
            return self._create_session(drive, path, item, headers, body)
        if method != "GET":
            return _error(405, "invalidRequest", f"{method} not supported here")
        if item is None:
            return _error(404, "itemNotFound", "The resource could not be found.")
        if op == "/children":
            if not item.folder:
                return _error(400, "invalidRequest", "Item is not a folder.")
            return self._page(drive, item, query)
        if op == "/content":
            if item.folder:
                return _error(400, "invalidRequest", "Folders have no content.")
            token = f"{drive.id}/{item.id}/{uuid.uuid4().hex}"
            return _Resp(302, headers={"Location": f"{self._base()}/download/{token}"})
        return _Resp(200, self._item_json(drive, item))

    def _base(self) -> str:
        return self.base_url

    def _share(self, share_id: str) -> _Resp:
        """``/shares/u!{base64url(url)}/driveItem``: the item a SharePoint address points at. As for
        shared items in Graph, ``parentReference`` carries driveId and id but not path."""
        import base64

        if not share_id.startswith("u!"):
            return _error(400, "invalidRequest", "Invalid shares id.")
        raw = share_id[2:]
        try:
            url = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except ValueError:
            return _error(400, "invalidRequest", "Invalid shares id.")
        same = (lambda u: u) if self.strict_shares else unquote
        wanted = same(url.split("?", 1)[0]).rstrip("/").lower()
        for drive in self.drives.values():
            for item in drive.items.values():
                if same(self._item_json(drive, item)["webUrl"]).rstrip("/").lower() == wanted:
                    doc = self._item_json(drive, item)
                    doc["parentReference"].pop("path", None)
                    if not item.path:
                        doc["root"] = {}
                    return _Resp(200, doc)
        return _error(404, "itemNotFound", "The sharing link no longer exists, or you do not have "
                      "permission to access it.")

    def _versions(self, drive_id: str, item_id: str, version: str | None) -> _Resp:
        """A file's version history (newest first, the current version included), or one version's
        content (a 302 to a pre-authenticated URL, as ``/content``)."""
        drive = self.drives.get(drive_id)
        item = drive.by_id(item_id) if drive else None
        if drive is None or item is None or item.folder:
            return _error(404, "itemNotFound", "The resource could not be found.")
        contents = [*item.history, item.content]
        if version is None:
            value = [{"id": f"{n}.0", "lastModifiedDateTime": _iso(item.modified), "size": len(c)}
                     for n, c in reversed(list(enumerate(contents, start=1)))]
            return _Resp(200, {"value": value})
        number = version.split(".", 1)[0]
        if not number.isdigit() or not 1 <= int(number) <= len(contents):
            return _error(404, "itemNotFound", "The version could not be found.")
        token = f"{drive.id}/{item.id}/{uuid.uuid4().hex}/{number}"
        return _Resp(302, headers={"Location": f"{self._base()}/download/{token}"})

    def _site_json(self) -> dict[str, Any]:
        return {
            "id": self.site_id,
            "name": self.site_path.rsplit("/", 1)[-1],
            "displayName": "Careers",
            "webUrl": self.site_url,
        }

    def _page(self, drive: Drive, folder: Item, query: dict[str, list[str]]) -> _Resp:
        children = self._children(drive, folder)
        start = int(query.get("$skiptoken", ["0"])[0])
        page = children[start : start + self.page_size]
        out: dict[str, Any] = {"value": [self._item_json(drive, i) for i in page]}
        if start + self.page_size < len(children):
            out["@odata.nextLink"] = (
                f"{self.graph_url}/drives/{drive.id}/items/{folder.id}/children"
                f"?$skiptoken={start + self.page_size}"
            )
        return _Resp(200, out)

    def _download(self, token: str) -> _Resp:
        drive_id, item_id, _, version = (token.split("/") + ["", "", "", ""])[:4]
        drive = self.drives.get(drive_id)
        item = drive.by_id(item_id) if drive else None
        if item is None:
            return _error(404, "itemNotFound", "The download URL has expired or the file is gone.")
        if version:  # one version of the history (1 = the first)
            return _Resp(200, [*item.history, item.content][int(version) - 1],
                         {"Content-Type": "application/octet-stream"})
        return _Resp(200, item.content, {"Content-Type": "application/octet-stream", "ETag": item.etag})

    def _precondition(self, item: Item | None, headers: Any, behavior: str) -> _Resp | None:
        if_match = headers.get("If-Match")
        if if_match is not None and if_match != "*":
            if item is None or item.etag != if_match:
                return _error(412, "preconditionFailed", "ETag does not match current item's value")
        if behavior == "fail" and item is not None:
            return _error(409, "nameAlreadyExists", "The specified item name already exists.")
        return None

    def _put_content(
        self,
        drive: Drive,
        path: str | None,
        item: Item | None,
        query: dict[str, list[str]],
        headers: Any,
        body: bytes,
    ) -> _Resp:
        if path is None:
            return _error(404, "itemNotFound", "The resource could not be found.")
        if item is not None and item.folder:
            return _error(409, "nameAlreadyExists", "A folder with that name exists.")
        behavior = query.get("@microsoft.graph.conflictBehavior", ["replace"])[0]
        refused = self._precondition(item, headers, behavior)
        if refused is not None:
            return refused
        created = item is None
        written = self._write(drive, path, body)
        return _Resp(201 if created else 200, self._item_json(drive, written))

    def _create_session(
        self, drive: Drive, path: str | None, item: Item | None, headers: Any, body: bytes
    ) -> _Resp:
        if path is None:
            return _error(404, "itemNotFound", "The resource could not be found.")
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "invalidRequest", "Body is not JSON.")
        behavior = (payload.get("item") or {}).get("@microsoft.graph.conflictBehavior", "replace")
        refused = self._precondition(item, headers, behavior)
        if refused is not None:
            return refused
        if_match = headers.get("If-Match")
        session = UploadSession(
            uuid.uuid4().hex, drive, path, if_match if if_match != "*" else None, behavior
        )
        self.sessions[session.id] = session
        return _Resp(
            200,
            {
                "uploadUrl": f"{self._base()}/upload/{session.id}",
                "expirationDateTime": "2099-01-01T00:00:00Z",
                "nextExpectedRanges": ["0-"],
            },
        )

    def _session(self, method: str, session_id: str, headers: Any, body: bytes) -> _Resp:
        session = self.sessions.get(session_id)
        if session is None:
            return _error(404, "itemNotFound", "The upload session was not found.")
        if method == "DELETE":
            del self.sessions[session_id]
            return _Resp(204)
        if method == "GET":
            return _Resp(
                200,
                {
                    "expirationDateTime": "2099-01-01T00:00:00Z",
                    "nextExpectedRanges": [f"{len(session.received)}-"],
                },
            )
        if method != "PUT":
            return _error(405, "invalidRequest", f"{method} not supported on an upload URL")
        m = _RANGE.match(headers.get("Content-Range", ""))
        if m is None:
            return _error(400, "invalidRange", "Content-Range is missing or malformed.")
        start, end, total = (int(g) for g in m.groups())
        if session.total is not None and total != session.total:
            return _error(400, "invalidRange", "The total size changed between fragments.")
        if start != len(session.received):
            return _error(416, "invalidRange", f"Expected a fragment starting at {len(session.received)}.")
        if end - start + 1 != len(body) or end >= total:
            return _error(400, "invalidRange", "Content-Range does not match the fragment's length.")
        session.total = total
        session.received.extend(body)
        if len(session.received) < total:
            return _Resp(
                202,
                {
                    "expirationDateTime": "2099-01-01T00:00:00Z",
                    "nextExpectedRanges": [f"{len(session.received)}-"],
                },
            )
        # Last fragment: commit the whole file in one step, or not at all.
        del self.sessions[session_id]
        item = session.drive.items.get(session.path)
        if self.session_commit_check and session.if_match is not None and (
            item is None or item.etag != session.if_match
        ):
            return _error(409, "resourceModified", "The resource has changed since the upload session began.")
        if session.behavior == "fail" and item is not None:
            return _error(409, "nameAlreadyExists", "The specified item name already exists.")
        created = item is None
        written = self._write(session.drive, session.path, bytes(session.received))
        return _Resp(201 if created else 200, self._item_json(session.drive, written))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls
    graph: FakeGraph

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        graph = self.graph
        kind = graph.classify(self.command, parts.path)
        seen = Seen(self.command, self.path, kind, dict(self.headers.items()), len(body))
        with graph.lock:
            graph.counts[kind] += 1
            graph.seen.append(seen)
            graph.in_flight += 1
            graph.max_in_flight = max(graph.max_in_flight, graph.in_flight)
        self._seen: Seen | None = seen
        try:
            if graph.latency:
                time.sleep(graph.latency)
            self._answer(graph, kind, parts.path, parts.query, body)
        finally:
            with graph.lock:
                graph.in_flight -= 1
            self._observe()  # if the handler failed before answering

    def _observe(self) -> None:
        """Tell the observers about this request, once, *before* the client can learn its outcome.

        Run after the answer went out, an observer would race the client: the client could read the
        answer, finish, and have the test inspect what the observers saw before this thread got to
        them (the last state missing). Run here, every observation happens-before the client's next
        step, so a test sees one entry per request, in request order.
        """
        seen, self._seen = self._seen, None
        if seen is not None:
            for observer in list(self.graph.observers):
                observer(seen)

    def _answer(self, graph: FakeGraph, kind: str, path: str, query: str, body: bytes) -> None:
        graph.run_before(kind)
        fault = graph.take_fault(kind)
        if fault is not None and fault.drop and not fault.after_apply:
            return self._drop()
        if fault is not None and fault.status is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return self._send(_error(fault.status, fault.code, fault.message, headers))
        resp = graph.handle(self.command, path, parse_qs(query, keep_blank_values=True), self.headers, body)
        if fault is not None and fault.drop:
            return self._drop()
        self._send(resp)

    def _drop(self) -> None:
        self._observe()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, resp: _Resp) -> None:
        if self._seen is not None:
            self._seen.status = resp.status
        self._observe()
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve
