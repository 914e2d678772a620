"""The hosted add-in with single sign-on, all over real HTTP on 127.0.0.1.

The add-in server (xlwings Server with the TOM project) runs under uvicorn with
``XLWINGS_AUTH_PROVIDERS=["entraid"]``; its Entra ID validation fetches the test key set from
`tests.xl_addin.entra.JwksServer` (only the discovery address it reads is pointed there). Tokens are
signed with a test RSA key. The on-behalf-of exchange runs real msal against
`tests.sync.fake_authority.FakeAuthority` (https), and Sync month / Save to library run against
`tests.sync.graph_server.FakeGraph`, which accepts only the Graph tokens the authority issued.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import io
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
import requests

if importlib.util.find_spec("xlwings_server") is None:  # not imported here: it reads settings on import
    pytest.skip("xlwings-server is not installed", allow_module_level=True)

from openpyxl import load_workbook  # noqa: E402

from tests.sync.fake_authority import FakeAuthority  # noqa: E402
from tests.sync.graph_server import FakeGraph  # noqa: E402
from tests.xl_addin.conftest import MONTH  # noqa: E402
from tests.xl_addin.entra import CLIENT_ID, CLIENT_SECRET, TENANT_ID, AppServer, JwksServer, SigningKey  # noqa: E402
from tests.xl_addin.payload import payload_from_xlsx  # noqa: E402
from xl_addin.as_user import ON_SHAREPOINT  # noqa: E402
from xl_addin.server import load_app  # noqa: E402
from xl_addin.sso import PROGRAMME_MANAGER, STAFF  # noqa: E402

PRE_AUTHENTICATED = ("download", "chunk", "session_status", "session_delete")  # URLs that carry no token


@dataclass
class Hosted:
    url: str
    key: SigningKey
    graph: FakeGraph
    authority: FakeAuthority
    jwks: JwksServer
    temp: Path

    def post(self, path: str, token: str | None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(f"{self.url}{path}", headers=headers, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    import msal.application
    import msal.authority

    asgi, _ = load_app()  # first: xlwings Server reads its settings when it is imported
    import xlwings_server.auth.entraid as entraid
    from xlwings_server.config import settings

    folder = tmp_path_factory.mktemp("sso")
    key = SigningKey()
    jwks = JwksServer(key).start()
    authority = FakeAuthority(folder, TENANT_ID, CLIENT_ID).start()
    authority.client_secret = CLIENT_SECRET
    graph = FakeGraph(tokens=()).start()  # only tokens the authority issues are accepted
    authority.on_issue.append(graph.tokens.add)
    temp = folder / "tmp"
    temp.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in (("auth_providers", ["entraid"]), ("auth_entraid_client_id", CLIENT_ID),
                            ("auth_entraid_tenant_id", TENANT_ID),
                            ("auth_entraid_client_secret", CLIENT_SECRET)):
            mp.setattr(settings, name, value)
        # xlwings Server's key fetch reads Microsoft's discovery document: read ours instead
        mp.setattr(entraid, "OPENID_CONNECT_DISCOVERY_DOCUMENT_URL", jwks.discovery_url)
        asyncio.run(entraid.get_jwks_json_default.cache.clear())
        # msal: trust the authority's test certificate; send its instance discovery there
        mp.setenv("REQUESTS_CA_BUNDLE", str(authority.cert))
        mp.setenv("CURL_CA_BUNDLE", str(authority.cert))
        for module in (msal.application, msal.authority):
            mp.setattr(module, "_get_instance_discovery_endpoint", lambda instance: authority.discovery_url)
        mp.setenv("TOMSYNC_ENTRAID_AUTHORITY", authority.host)
        mp.setenv("TOMSYNC_GRAPH_URL", graph.graph_url)
        mp.delenv("TOMSYNC_LIBRARY_URL", raising=False)
        mp.setattr(tempfile, "tempdir", str(temp))
        server = AppServer(asgi).start()
        try:
            yield Hosted(server.url, key, graph, authority, jwks, temp)
        finally:
            server.stop()
            asyncio.run(entraid.get_jwks_json_default.cache.clear())
    graph.stop()
    authority.stop()
    jwks.stop()


def place(graph: FakeGraph, folder: str, data: bytes, name: str = "borders.xlsx") -> str:
    """Put a workbook in the library; its address as Excel on the web reports it."""
    graph.put(f"{folder}/{name}", data)
    return f"{graph.drive().web_url}/{folder}/{name}"


def edited(data: bytes, sheet: str, cell: str, value: object) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[sheet][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def assert_as_user(hosted: Hosted, sso: str, since: int) -> int:
    """Every Graph request since ``since`` carried the Graph token issued for ``sso`` (none the sign-in
    token itself); only pre-authenticated download and upload URLs may carry none. Returns how many."""
    graph_token = hosted.authority.obo[sso]
    calls = hosted.graph.seen[since:]
    for seen in calls:
        auth = seen.headers.get("Authorization")
        if auth is None:  # (a same-host redirect to a download URL keeps the header: the same token)
            assert seen.kind in PRE_AUTHENTICATED, seen.path
        else:
            assert auth == f"Bearer {graph_token}", seen.path
    return len(calls)


# -- sign-in and roles ------------------------------------------------------------------------------

def test_validate_runs_for_staff_signed_in_with_a_valid_token(hosted: Hosted, demo: Path) -> None:
    token = hosted.key.token("Sam Staff", [STAFF])
    r = hosted.post("/xlwings/custom-scripts-call/tom_validate", token, json=payload_from_xlsx(demo))
    assert r.status_code == 200, r.text
    actions = r.json()["actions"]
    assert any(a["func"] == "addSheet" for a in actions)  # the Issues tab is written
    assert actions[-1]["func"] == "alert" and "see the Issues tab" in actions[-1]["args"][0]


@pytest.mark.parametrize("problem", ["foreign key", "wrong audience", "expired", "no token"])
def test_a_token_xlwings_server_cannot_validate_is_refused(hosted: Hosted, demo: Path, problem: str) -> None:
    if problem == "foreign key":
        token: str | None = SigningKey(hosted.key.kid).token("Mallory", [PROGRAMME_MANAGER])
    elif problem == "wrong audience":
        token = hosted.key.token("Mallory", [PROGRAMME_MANAGER], audience="api://another-app")
    elif problem == "expired":
        token = hosted.key.token("Mallory", [PROGRAMME_MANAGER], lifetime=-600)
    else:
        token = None
    seen = len(hosted.graph.seen)
    r = hosted.post("/tom/sync-month", token, json={"document_url": "https://x.example.org/a.xlsx"})
    assert r.status_code == 401
    assert len(hosted.graph.seen) == seen


def test_a_signed_in_user_without_a_tom_role_gets_one_line(hosted: Hosted, demo: Path) -> None:
    token = hosted.key.token("Nora Nobody", [])
    r = hosted.post("/xlwings/custom-scripts-call/tom_validate", token, json=payload_from_xlsx(demo))
    assert r.status_code == 200, r.text
    actions = r.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]  # nothing written to the workbook
    assert actions[0]["args"][0] == (f"Validate needs the {STAFF} role, which Nora Nobody does not have: "
                                     "ask IT to assign it (Entra ID › Enterprise applications › TOM › Users "
                                     "and groups)")


def test_the_hosted_add_in_never_syncs_a_folder_on_the_server(hosted: Hosted, demo: Path) -> None:
    token = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    for script, label in (("tom_pull", "Pull"), ("tom_push", "Push")):
        r = hosted.post(f"/xlwings/custom-scripts-call/{script}", token, json=payload_from_xlsx(demo))
        actions = r.json()["actions"]
        assert [a["func"] for a in actions] == ["alert"]
        assert actions[0]["args"][0].startswith(f"{label} syncs a folder on the add-in's server")


def test_staff_is_refused_sync_month_before_anything_is_touched(hosted: Hosted, demo_master: Path) -> None:
    url = place(hosted.graph, "Refused", demo_master.read_bytes())
    before = (hosted.graph.etag("Refused/borders.xlsx"), len(hosted.graph.seen),
              len(hosted.authority.obo_forms))
    r = hosted.post("/tom/sync-month", hosted.key.token("Sam Staff", [STAFF]), json={"document_url": url})
    assert r.status_code == 403
    assert r.json()["message"] == (f"Sync month needs the {PROGRAMME_MANAGER} role, which Sam Staff does not "
                                   "have: ask IT to assign it (Entra ID › Enterprise applications › TOM › "
                                   "Users and groups)")
    assert (hosted.graph.etag("Refused/borders.xlsx"), len(hosted.graph.seen),
            len(hosted.authority.obo_forms)) == before


def test_without_single_sign_on_the_buttons_say_what_to_configure(hosted: Hosted,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from xlwings_server.config import settings

    monkeypatch.setattr(settings, "auth_providers", [])
    seen = len(hosted.graph.seen)
    for path, body in (("/tom/sync-month", {"document_url": "https://contoso.sharepoint.com/a.xlsx"}),
                       ("/tom/save-to-library", {"document_url": r"C:\TOM\b.xlsx", "file": "UEsDBA=="})):
        r = hosted.post(path, None, json=body)
        assert r.status_code == 400
        message = r.json()["message"]
        assert 'XLWINGS_AUTH_PROVIDERS=["entraid"]' in message and "XLWINGS_AUTH_ENTRAID_CLIENT_ID" in message
    assert len(hosted.graph.seen) == seen  # nothing else happened


# -- the on-behalf-of exchange ----------------------------------------------------------------------

def test_the_exchange_sends_the_user_token_and_the_app_secret(hosted: Hosted, demo_master: Path) -> None:
    url = place(hosted.graph, "Exchange", demo_master.read_bytes())
    sso = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    r = hosted.post("/tom/save-to-library", sso, json={"document_url": url})
    assert r.json()["message"] == ON_SHAREPOINT  # a SharePoint file needs no push: no exchange either
    assert sso not in hosted.authority.obo
    r = hosted.post("/tom/sync-month", sso, json={"document_url": url, "month": MONTH})
    assert r.status_code == 200, r.text
    form = next(f for f in hosted.authority.obo_forms if f.get("assertion") == [sso])
    assert form["requested_token_use"] == ["on_behalf_of"] and form["client_secret"] == [CLIENT_SECRET]
    assert form["client_id"] == [CLIENT_ID] and "https://graph.microsoft.com/.default" in form["scope"][0]


def test_no_admin_consent_is_one_line(hosted: Hosted, demo_master: Path) -> None:
    url = place(hosted.graph, "Consent", demo_master.read_bytes())
    sso = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    hosted.authority.needs_consent.add(sso)
    seen = len(hosted.graph.seen)
    r = hosted.post("/tom/sync-month", sso, json={"document_url": url, "month": MONTH})
    assert r.status_code == 502
    assert r.json()["message"] == ("Sync month: Microsoft 365 needs an administrator's consent before TOM "
                                   "may open SharePoint for you: ask IT to grant admin consent to the TOM "
                                   "app's Graph permissions")
    assert len(hosted.graph.seen) == seen


# -- Sync month ------------------------------------------------------------------------------------

def test_sync_month_runs_the_cycle_on_the_open_workbook_s_library_as_the_user(
        hosted: Hosted, demo_master: Path) -> None:
    url = place(hosted.graph, "Borders TOM", demo_master.read_bytes())
    hosted.graph.put("Elsewhere/other.xlsx", demo_master.read_bytes())  # another folder: not this library
    sso = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    since = len(hosted.graph.seen)
    r = hosted.post("/tom/sync-month", sso, json={"document_url": url, "month": MONTH})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["ok"] and result["month"] == MONTH
    assert result["message"].startswith(f"{MONTH}: {len(result['rated'])} school(s) rated, "
                                        f"{len(result['not_updated'])} not updated")
    assert len(result["rated"]) >= 5 and all(rag in "RAG" for _, rag in result["rated"])
    assert result["errors"]  # the demo workbook holds deliberate mistakes: counted, pointing at the report
    report = f"Borders TOM/reports/{MONTH}/tom-report-{MONTH}.xlsx"
    assert hosted.graph.content(report) is not None
    web = hosted.graph.drive().web_url
    assert result["report_url"] == f"{web}/Borders%20TOM/reports/{MONTH}/tom-report-{MONTH}.xlsx"
    assert hosted.graph.content(f"Borders TOM/archive/{MONTH}/borders.xlsx") == demo_master.read_bytes()
    assert hosted.graph.content(f"Elsewhere/reports/{MONTH}/tom-report-{MONTH}.xlsx") is None
    claim = hosted.graph.content(f"Borders TOM/.tomsync/months/{MONTH}.json")
    assert claim is not None and b'"status": "done"' in claim and b"Pat Manager" in claim
    assert assert_as_user(hosted, sso, since) > 5
    assert not list(hosted.temp.iterdir())  # the working folder is gone

    # pressed again with nothing changed: nothing is rewritten
    again = hosted.post("/tom/sync-month", sso, json={"document_url": url, "month": MONTH}).json()
    assert again["unchanged"]
    assert again["message"] == f"{MONTH}: nothing changed since the last run; the report stands"
    assert hosted.graph.drive().items[report].version == 1


def test_two_people_pressing_sync_month_at_once_cannot_both_write_it(hosted: Hosted,
                                                                     demo_master: Path) -> None:
    url = place(hosted.graph, "Race", demo_master.read_bytes())
    tokens = [hosted.key.token("Pat Manager", [PROGRAMME_MANAGER]),
              hosted.key.token("Robin Manager", [PROGRAMME_MANAGER])]
    start = Barrier(2)
    hosted.graph.latency = 0.01  # a real network's pace, so the two runs overlap

    def press(token: str) -> requests.Response:
        start.wait()
        return hosted.post("/tom/sync-month", token, json={"document_url": url, "month": MONTH})

    try:
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(press, tokens))
    finally:
        hosted.graph.latency = 0.0
    assert sorted(a.status_code for a in answers) == [200, 409]
    busy = next(a.json() for a in answers if a.status_code == 409)["message"]
    winner = "Pat Manager" if answers[0].status_code == 200 else "Robin Manager"
    assert busy.startswith(f"Sync month {MONTH} is already running: started by {winner} at ")
    report = hosted.graph.drive().items[f"Race/reports/{MONTH}/tom-report-{MONTH}.xlsx"]
    assert report.version == 1  # written once
    uploads = [s for s in hosted.graph.seen if s.kind == "upload" and "/Race/" in s.path.replace("%20", " ")
               and "/reports/" in s.path]
    assert len(uploads) == 2  # the .xlsx and the .html, by one run


# -- Save to library ------------------------------------------------------------------------------

def save(hosted: Hosted, token: str, data: bytes, path: str = r"C:\Users\sam\Documents\borders.xlsx"
         ) -> requests.Response:
    return hosted.post("/tom/save-to-library", token,
                       json={"document_url": path, "file": base64.b64encode(data).decode()})


@pytest.fixture
def library_folder(hosted: Hosted, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    folder = f"Save {request.node.name[:40]}"
    hosted.graph.mkdir(folder)
    monkeypatch.setenv("TOMSYNC_LIBRARY_URL", f"{hosted.graph.drive().web_url}/{folder}")
    return folder


def test_save_to_library_merges_a_local_copy_as_the_user(hosted: Hosted, demo_master: Path,
                                                         library_folder: str) -> None:
    original = demo_master.read_bytes()
    place(hosted.graph, library_folder, original)
    colleague = edited(original, "Hawick High", "J2", "Careers fair booked for March")
    hosted.graph.edit(f"{library_folder}/borders.xlsx", colleague)
    theirs_etag = hosted.graph.etag(f"{library_folder}/borders.xlsx")
    mine = edited(original, "Hawick High", "J3", "Two employer talks done")  # from the first version
    sso = hosted.key.token("Sam Staff", [STAFF])
    since = len(hosted.graph.seen)
    r = save(hosted, sso, mine)
    assert r.status_code == 200, r.text
    assert r.json()["message"].startswith("borders.xlsx: saved to the library")
    saved = load_workbook(io.BytesIO(hosted.graph.content(f"{library_folder}/borders.xlsx") or b""))
    assert saved["Hawick High"]["J2"].value == "Careers fair booked for March"  # the colleague's edit kept
    assert saved["Hawick High"]["J3"].value == "Two employer talks done"  # ours added
    put = [s for s in hosted.graph.seen[since:] if s.kind == "upload"]
    assert len(put) == 1 and put[0].headers.get("If-Match") == theirs_etag
    assert_as_user(hosted, sso, since)


def test_a_conflict_lists_the_cells_and_leaves_the_library_untouched(hosted: Hosted, demo_master: Path,
                                                                     library_folder: str) -> None:
    original = demo_master.read_bytes()
    place(hosted.graph, library_folder, original)
    hosted.graph.edit(f"{library_folder}/borders.xlsx", edited(original, "Hawick High", "J3", "Theirs"))
    name = f"{library_folder}/borders.xlsx"
    before = (hosted.graph.content(name), hosted.graph.etag(name))
    r = save(hosted, hosted.key.token("Sam Staff", [STAFF]), edited(original, "Hawick High", "J3", "Mine"))
    assert r.status_code == 409
    result = r.json()
    assert result["message"] == ("borders.xlsx: 1 cell(s) were changed differently in the library; nothing "
                                 "was saved: agree the values, then save again")
    (clash,) = result["conflicts"]
    assert (clash["sheet"], clash["cell"], clash["yours"], clash["library"]) == ("Hawick High", "J3", "Mine",
                                                                                 "Theirs")
    assert (hosted.graph.content(name), hosted.graph.etag(name)) == before


def test_staff_may_not_change_the_master(hosted: Hosted, demo_master: Path, library_folder: str) -> None:
    original = demo_master.read_bytes()
    place(hosted.graph, library_folder, original)
    name = f"{library_folder}/borders.xlsx"
    before = (hosted.graph.content(name), hosted.graph.etag(name))
    changed = edited(original, "Master", "C2", "A new expectation, typed by staff")
    r = save(hosted, hosted.key.token("Sam Staff", [STAFF]), changed)
    assert r.status_code == 403
    assert r.json()["message"] == ("borders.xlsx: your copy changes the Master tab, which only the "
                                   "TOM.ProgrammeManager role may change; nothing was saved")
    assert (hosted.graph.content(name), hosted.graph.etag(name)) == before
    r = save(hosted, hosted.key.token("Pat Manager", [PROGRAMME_MANAGER]), changed)
    assert r.status_code == 200, r.text
    saved = load_workbook(io.BytesIO(hosted.graph.content(name) or b""))
    assert saved["Master"]["C2"].value == "A new expectation, typed by staff"


def test_a_workbook_on_sharepoint_needs_no_save(hosted: Hosted) -> None:
    seen = len(hosted.graph.seen)
    r = hosted.post("/tom/save-to-library", hosted.key.token("Sam Staff", [STAFF]),
                    json={"document_url": "https://contoso.sharepoint.com/sites/careers/Shared%20Documents/b.xlsx"})
    assert r.status_code == 200 and r.json()["message"] == ON_SHAREPOINT
    assert len(hosted.graph.seen) == seen


# -- the exchange with a certificate, and what reaches the logs --------------------------------------

def _rsa_certificate(folder: Path) -> Path:
    """A PEM file with an RSA certificate and its private key, as IT would upload to the app."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TOM add-in")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    path = folder / "tom-app.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
                     + cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_the_exchange_with_a_certificate_signs_a_client_assertion(hosted: Hosted, tmp_path: Path) -> None:
    from xl_addin.sso import OboSettings, graph_token

    cfg = OboSettings(CLIENT_ID, TENANT_ID, certificate=_rsa_certificate(tmp_path),
                      authority=hosted.authority.host, graph_url=hosted.graph.graph_url)
    sso = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    assert graph_token(sso, cfg) == hosted.authority.obo[sso]
    form = next(f for f in hosted.authority.obo_forms if f.get("assertion") == [sso])
    assert "client_secret" not in form
    assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]


def test_no_token_or_secret_reaches_the_log(hosted: Hosted, demo_master: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    url = place(hosted.graph, "Logged", demo_master.read_bytes())
    sso = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    with caplog.at_level("DEBUG"):
        r = hosted.post("/tom/sync-month", sso, json={"document_url": url, "month": MONTH})
    assert r.status_code == 200, r.text
    # ours at every level; everyone's at INFO, the production level (xlwings Server and aiocache print
    # the sign-in token at DEBUG: never run the hosted add-in with XLWINGS_LOG_LEVEL=DEBUG)
    kept = [r for r in caplog.records if r.name.startswith("tomsync") or r.levelno >= 20]
    text = "\n".join(r.getMessage() for r in kept)
    assert f"month {MONTH}: done" in text  # the run was logged
    for secret in (sso, hosted.authority.obo[sso], CLIENT_SECRET):
        assert secret not in text


def test_sync_month_from_a_local_workbook_uses_the_configured_library(
        hosted: Hosted, demo_master: Path, library_folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    place(hosted.graph, library_folder, demo_master.read_bytes())
    sso = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    body = {"document_url": r"C:\Users\pat\Documents\borders.xlsx", "month": MONTH}
    r = hosted.post("/tom/sync-month", sso, json=body)
    assert r.status_code == 200, r.text
    assert hosted.graph.content(f"{library_folder}/reports/{MONTH}/tom-report-{MONTH}.xlsx") is not None
    monkeypatch.delenv("TOMSYNC_LIBRARY_URL")
    r = hosted.post("/tom/sync-month", sso, json=body)
    assert r.status_code == 400
    assert r.json()["message"] == ("this workbook is not on SharePoint and no library is configured: open it "
                                   "from SharePoint, or ask the administrator to set TOMSYNC_LIBRARY_URL")


# -- Sync month's progress ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "roles"), [("Nora Nobody", []), ("Sam Staff", [STAFF])])
def test_sync_month_s_progress_is_refused_without_the_role(hosted: Hosted, demo_master: Path, name: str,
                                                           roles: list[str]) -> None:
    url = place(hosted.graph, "Status refused", demo_master.read_bytes())
    before = (len(hosted.graph.seen), len(hosted.authority.obo_forms))
    r = hosted.post("/tom/sync-month/status", hosted.key.token(name, roles),
                    json={"document_url": url, "month": MONTH})
    assert r.status_code == 403
    assert r.json()["message"] == (f"Sync month needs the {PROGRAMME_MANAGER} role, which {name} does not "
                                   "have: ask IT to assign it (Entra ID › Enterprise applications › TOM › "
                                   "Users and groups)")
    assert (len(hosted.graph.seen), len(hosted.authority.obo_forms)) == before  # nothing read


def test_the_task_pane_sees_sync_month_s_progress_while_it_runs(hosted: Hosted, demo_master: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import sync.hosted

    url = place(hosted.graph, "Progress", demo_master.read_bytes())
    sso = hosted.key.token("Pat Manager", [PROGRAMME_MANAGER])
    monkeypatch.setattr(sync.hosted, "PROGRESS_EVERY", 0.05)
    hosted.graph.latency = 0.02  # a real network's pace, so the run lasts a few polls
    polls: list[dict[str, Any]] = []
    since = len(hosted.graph.seen)
    try:
        with ThreadPoolExecutor(1) as pool:
            run = pool.submit(hosted.post, "/tom/sync-month", sso, json={"document_url": url})
            month = None  # as the task pane: no month typed; the first answer names the workbook's
            while not run.done():
                r = hosted.post("/tom/sync-month/status", sso, json={"document_url": url, "month": month})
                assert r.status_code == 200, r.text
                polls.append(r.json())
                month = polls[-1]["month"]
            done = run.result()
    finally:
        hosted.graph.latency = 0.0
    assert done.status_code == 200, done.text
    assert {p["month"] for p in polls} == {done.json()["month"]}  # found as the run found it
    live = [p for p in polls if p["running"]]
    assert live and all(p["by"] == "Pat Manager" and p["ok"] for p in live)
    steps = {p["step"] for p in live}
    assert steps <= {"start", "pull", "read", "report", "upload"} and len(steps) >= 2, polls
    for p in live:
        if p["step"] == "read":
            assert p["message"] == f"Reading the workbooks: {p['done']} of {p['total']} done"
    after = hosted.post("/tom/sync-month/status", sso, json={"document_url": url, "month": month}).json()
    assert not after["running"] and after["state"] == "done" and after["message"] == done.json()["message"]
    # each poll is its own exchange: every Graph call carries a Graph token the authority issued
    issued = {f"Bearer {t}" for t in hosted.graph.tokens}
    for seen in hosted.graph.seen[since:]:
        auth = seen.headers.get("Authorization")
        assert auth in issued if auth is not None else seen.kind in PRE_AUTHENTICATED, seen.path
