"""Token acquisition: lazy msal, silent-then-device-code, certificate app-only, cache protection.

No test reaches the network: sockets are disabled for the whole module, msal applications are fakes
injected through ``app_factory``, except where real msal is given a fake ``http_client``.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import msal
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sync import auth
from sync.auth import TokenProvider, msal_app_factory, open_token_cache
from sync.config import CERT_PASSPHRASE_ENV, SharePointConfig
from sync.library import AuthError, LibraryError

TENANT = "contoso.onmicrosoft.com"
CLIENT = "11111111-2222-3333-4444-555555555555"
GRAPH_SCOPES = [
    "https://graph.microsoft.com/Files.ReadWrite.All",
    "https://graph.microsoft.com/Sites.ReadWrite.All",
]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


class FakeApp:
    """Stands in for msal's Public/ConfidentialClientApplication, recording every call."""

    def __init__(
        self,
        accounts: list[dict[str, Any]] | None = None,
        silent: dict[str, Any] | None = None,
        flow: dict[str, Any] | None = None,
        device: dict[str, Any] | None = None,
        client: dict[str, Any] | None = None,
    ) -> None:
        self.accounts = list(accounts or [])
        self.silent = silent
        self.flow = flow or {
            "user_code": "ABCD1234",
            "message": "Go to https://microsoft.com/devicelogin, enter ABCD1234",
        }
        self.device = device or {"access_token": "device-AT", "token_type": "Bearer", "expires_in": 3600}
        self.client = client or {"access_token": "app-AT", "token_type": "Bearer", "expires_in": 3599}
        self.calls: list[tuple[str, Any]] = []

    def get_accounts(self, username: str | None = None) -> list[dict[str, Any]]:
        self.calls.append(("get_accounts", None))
        return list(self.accounts)

    def acquire_token_silent(self, scopes: list[str], account: Any) -> dict[str, Any] | None:
        self.calls.append(("acquire_token_silent", (scopes, account)))
        return self.silent

    def initiate_device_flow(self, scopes: list[str]) -> dict[str, Any]:
        self.calls.append(("initiate_device_flow", scopes))
        return self.flow

    def acquire_token_by_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("acquire_token_by_device_flow", flow))
        return self.device

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        self.calls.append(("acquire_token_for_client", scopes))
        return self.client

    def remove_account(self, account: dict[str, Any]) -> None:
        self.calls.append(("remove_account", account))
        self.accounts.remove(account)

    def remove_tokens_for_client(self) -> None:
        self.calls.append(("remove_tokens_for_client", None))

    def called(self, name: str) -> list[Any]:
        return [arg for n, arg in self.calls if n == name]


class Factory:
    """Records how the provider asked for its msal application."""

    def __init__(self, app: FakeApp) -> None:
        self.app = app
        self.kwargs: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> FakeApp:
        self.kwargs.append(kwargs)
        return self.app


def provider(tmp_path: Path, app: FakeApp | None = None, **kwargs: Any) -> tuple[TokenProvider, Factory]:
    factory = Factory(app or FakeApp())
    kwargs.setdefault("cache_path", tmp_path / "cache" / "msal_token_cache.bin")
    kwargs.setdefault("encrypted_persistence", None)  # never touch the developer's real keyring
    kwargs.setdefault("prompt", lambda message: None)
    return TokenProvider(tenant_id=TENANT, client_id=CLIENT, app_factory=factory, **kwargs), factory


# --- laziness --------------------------------------------------------------------------------------


def test_constructing_and_inspecting_builds_no_msal_object(tmp_path: Path) -> None:
    p, factory = provider(tmp_path)
    assert p.scopes == GRAPH_SCOPES
    assert p.cache_kind == "plain-0600"
    assert p.cached_username() is None
    assert "TokenProvider" in repr(p)
    p.forget()
    assert factory.kwargs == []


def test_default_factory_is_not_called_until_a_token_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_app(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("msal application built")

    monkeypatch.setattr(msal, "PublicClientApplication", no_app)
    monkeypatch.setattr(msal, "ConfidentialClientApplication", no_app)
    p = TokenProvider(
        tenant_id=TENANT, client_id=CLIENT, cache_path=tmp_path / "c.bin", encrypted_persistence=None
    )
    assert p.cache_kind == "plain-0600"
    p.forget()
    with pytest.raises(AuthError, match="msal application built"):
        p()  # only now is the application asked for


# --- device code (staff) ---------------------------------------------------------------------------


def test_silent_path_used_when_the_cache_has_an_account(tmp_path: Path) -> None:
    account = {"username": "adviser@contoso.org", "home_account_id": "u.t"}
    app = FakeApp(
        accounts=[account], silent={"access_token": "cached-AT", "token_type": "Bearer", "expires_in": 1800}
    )
    shown: list[str] = []
    p, factory = provider(tmp_path, app, prompt=shown.append)

    token = p()

    assert token == {"token_type": "Bearer", "access_token": "cached-AT", "expires_in": 1740}
    assert app.called("acquire_token_silent") == [(GRAPH_SCOPES, account)]
    assert app.called("initiate_device_flow") == []
    assert shown == []
    (kwargs,) = factory.kwargs
    assert kwargs["confidential"] is False
    assert kwargs["client_credential"] is None
    assert kwargs["authority"] == f"https://login.microsoftonline.com/{TENANT}"
    assert kwargs["client_id"] == CLIENT


def test_device_flow_prints_the_message_and_returns_the_token(tmp_path: Path) -> None:
    app = FakeApp()
    shown: list[str] = []
    p, _ = provider(tmp_path, app, prompt=shown.append)

    token = p()

    assert shown == ["Go to https://microsoft.com/devicelogin, enter ABCD1234"]
    assert app.called("initiate_device_flow") == [GRAPH_SCOPES]
    assert app.called("acquire_token_by_device_flow") == [app.flow]
    assert token == {"token_type": "Bearer", "access_token": "device-AT", "expires_in": 3540}


def test_device_flow_follows_a_failed_silent_attempt(tmp_path: Path) -> None:
    app = FakeApp(
        accounts=[{"username": "x"}], silent={"error": "invalid_grant", "error_description": "AADSTS50173"}
    )
    p, _ = provider(tmp_path, app)
    assert p()["access_token"] == "device-AT"
    assert len(app.called("initiate_device_flow")) == 1


def test_default_prompt_is_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    factory = Factory(FakeApp())
    p = TokenProvider(
        tenant_id=TENANT,
        client_id=CLIENT,
        app_factory=factory,
        cache_path=tmp_path / "c.bin",
        encrypted_persistence=None,
    )
    p()
    out, err = capsys.readouterr()
    assert out == ""
    assert "ABCD1234" in err and "device-AT" not in err


def test_failure_raises_auth_error_with_first_line_only(tmp_path: Path) -> None:
    app = FakeApp(
        device={
            "error": "authorization_declined",
            "error_description": "AADSTS70000: The user declined.\r\nTrace ID: 1234\r\nCorrelation ID: 5678",
        }
    )
    p, _ = provider(tmp_path, app)
    with pytest.raises(AuthError) as info:
        p()
    assert str(info.value) == "device-code sign-in failed: AADSTS70000: The user declined."


def test_device_flow_that_cannot_start_raises(tmp_path: Path) -> None:
    app = FakeApp(
        flow={"error": "invalid_client", "error_description": "AADSTS7000218: public client flows off"}
    )
    p, _ = provider(tmp_path, app)
    with pytest.raises(AuthError, match="AADSTS7000218"):
        p()
    assert app.called("acquire_token_by_device_flow") == []


def test_non_interactive_without_account_does_not_prompt(tmp_path: Path) -> None:
    app = FakeApp()
    p, _ = provider(tmp_path, app, interactive=False)
    with pytest.raises(AuthError, match="not signed in"):
        p()
    assert app.called("initiate_device_flow") == []


def test_connection_failure_is_a_library_error_not_an_auth_error(tmp_path: Path) -> None:
    import requests

    def unreachable(**kwargs: Any) -> Any:
        raise requests.ConnectionError("Max retries exceeded with url: /contoso/v2.0/.well-known")

    p = TokenProvider(
        tenant_id=TENANT,
        client_id=CLIENT,
        app_factory=unreachable,
        cache_path=tmp_path / "c.bin",
        encrypted_persistence=None,
    )
    with pytest.raises(LibraryError, match="could not reach") as info:
        p()
    assert not isinstance(info.value, AuthError)


# --- certificate (unattended) ----------------------------------------------------------------------


def make_certificate(directory: Path, passphrase: bytes | None = None) -> tuple[Path, str, rsa.RSAPrivateKey]:
    """A self-signed certificate and its key in one PEM file, as Entra ID's docs produce with openssl."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tomsync test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    path = directory / "tomsync-app.pem"
    path.write_bytes(key_pem + cert.public_bytes(serialization.Encoding.PEM))
    return path, cert.fingerprint(hashes.SHA1()).hex().upper(), key


def test_certificate_path_passes_thumbprint_private_key_and_default_scope(tmp_path: Path) -> None:
    pem, thumbprint, _ = make_certificate(tmp_path)
    app = FakeApp()
    p, factory = provider(
        tmp_path,
        app,
        mode="certificate",
        certificate_path=pem,
        certificate_thumbprint=":".join(thumbprint[i : i + 2] for i in range(0, 40, 2)).lower(),
        environ={},
    )

    token = p()

    assert token == {"token_type": "Bearer", "access_token": "app-AT", "expires_in": 3539}
    (kwargs,) = factory.kwargs
    assert kwargs["confidential"] is True
    credential = kwargs["client_credential"]
    assert credential["thumbprint"] == thumbprint
    assert credential["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert credential["private_key"].rstrip().endswith("-----END PRIVATE KEY-----")
    assert "CERTIFICATE" not in credential["private_key"]
    assert "passphrase" not in credential
    assert app.called("acquire_token_for_client") == [["https://graph.microsoft.com/.default"]]
    assert app.called("get_accounts") == [] and app.called("initiate_device_flow") == []


def test_certificate_passphrase_comes_from_the_environment(tmp_path: Path) -> None:
    pem, thumbprint, _ = make_certificate(tmp_path, passphrase=b"correct horse")
    p, factory = provider(
        tmp_path,
        mode="certificate",
        certificate_path=pem,
        certificate_thumbprint=thumbprint,
        environ={CERT_PASSPHRASE_ENV: "correct horse"},
    )
    p()
    credential = factory.kwargs[0]["client_credential"]
    assert credential["passphrase"] == "correct horse"
    assert credential["private_key"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_encrypted_key_without_passphrase_says_which_variable(tmp_path: Path) -> None:
    pem, thumbprint, _ = make_certificate(tmp_path, passphrase=b"pw")
    p, factory = provider(
        tmp_path, mode="certificate", certificate_path=pem, certificate_thumbprint=thumbprint, environ={}
    )
    with pytest.raises(AuthError, match=CERT_PASSPHRASE_ENV):
        p()
    assert factory.kwargs == []


def test_wrong_thumbprint_is_caught_before_asking_entra(tmp_path: Path) -> None:
    pem, thumbprint, _ = make_certificate(tmp_path)
    p, factory = provider(
        tmp_path, mode="certificate", certificate_path=pem, certificate_thumbprint="AB" * 20, environ={}
    )
    with pytest.raises(AuthError, match=f"its SHA-1 thumbprint is {thumbprint}"):
        p()
    assert factory.kwargs == []


def test_missing_certificate_file_is_an_auth_error(tmp_path: Path) -> None:
    p, _ = provider(
        tmp_path, mode="certificate", certificate_path=tmp_path / "nope.pem", certificate_thumbprint="AB" * 20
    )
    with pytest.raises(AuthError, match="nope.pem"):
        p()


def test_certificate_app_error_is_an_auth_error(tmp_path: Path) -> None:
    pem, thumbprint, _ = make_certificate(tmp_path)
    app = FakeApp(
        client={
            "error": "invalid_client",
            "error_description": "AADSTS700027: Client assertion failed.\nTrace",
        }
    )
    p, _ = provider(
        tmp_path, app, mode="certificate", certificate_path=pem, certificate_thumbprint=thumbprint
    )
    with pytest.raises(
        AuthError, match=r"^certificate sign-in failed: AADSTS700027: Client assertion failed\.$"
    ):
        p()


def test_from_config(tmp_path: Path) -> None:
    cfg = SharePointConfig(
        site_url="https://contoso.sharepoint.com/sites/careers",
        tenant_id=TENANT,
        client_id=CLIENT,
        auth="certificate",
        certificate_path=tmp_path / "app.pem",
        certificate_thumbprint="AB" * 20,
        graph_url="https://graph.microsoft.us/v1.0",
        token_cache=tmp_path / "tc.bin",
    )
    p = TokenProvider.from_config(cfg, app_factory=Factory(FakeApp()), encrypted_persistence=None)
    assert p.mode == "certificate"
    assert p.scopes == ["https://graph.microsoft.us/.default"]
    assert p.cache_path == tmp_path / "tc.bin"
    assert p.certificate_path == tmp_path / "app.pem"


# --- real msal, offline: the credential and token shape work end to end ----------------------------


class FakeHttp:
    """Plays login.microsoftonline.com for a real msal application: metadata, device code, token."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []

    class Response:
        def __init__(self, body: dict[str, Any]) -> None:
            self.status_code = 200
            self.text = json.dumps(body)
            self.headers: dict[str, str] = {}

        def raise_for_status(self) -> None:
            pass

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Response:
        self.requests.append(("GET", url, {}))
        base = f"https://login.microsoftonline.com/{TENANT}"
        return self.Response(
            {
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
            }
        )

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> Response:
        form = parse_qs(data) if isinstance(data, str) else {k: [v] for k, v in (data or {}).items()}
        self.requests.append(("POST", url, form))
        if url.endswith("/devicecode"):
            return self.Response(
                {
                    "device_code": "dc",
                    "user_code": "WXYZ9876",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 0,
                    "message": "To sign in, open https://microsoft.com/devicelogin and enter WXYZ9876.",
                }
            )
        if form.get("grant_type") == ["client_credentials"]:  # app-only: no refresh token, no user
            return self.Response({"access_token": "real-AT", "token_type": "Bearer", "expires_in": 3599})
        client_info = base64.urlsafe_b64encode(json.dumps({"uid": "u1", "utid": "t1"}).encode()).decode()
        return self.Response(
            {
                "access_token": "real-AT",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "real-RT",
                "scope": " ".join(GRAPH_SCOPES),
                "client_info": client_info,
                "id_token": _unsigned_jwt(
                    {
                        "aud": CLIENT,
                        "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
                        "exp": 4102444800,
                        "iat": 1700000000,
                        "tid": "t1",
                        "oid": "u1",
                        "preferred_username": "adviser@contoso.org",
                    }
                ),
            }
        )

    def close(self) -> None:
        pass


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def real_factory(http: FakeHttp) -> Any:
    return functools.partial(msal_app_factory, http_client=http, instance_discovery=False)


def test_real_msal_certificate_assertion_is_signed_by_the_key_and_names_the_thumbprint(
    tmp_path: Path,
) -> None:
    import jwt

    pem, thumbprint, key = make_certificate(tmp_path)
    http = FakeHttp()
    p = TokenProvider(
        tenant_id=TENANT,
        client_id=CLIENT,
        mode="certificate",
        certificate_path=pem,
        certificate_thumbprint=thumbprint,
        cache_path=tmp_path / "c.bin",
        encrypted_persistence=None,
        app_factory=real_factory(http),
        environ={},
    )
    assert http.requests == []  # nothing built yet

    assert p()["access_token"] == "real-AT"
    assert p()["access_token"] == "real-AT"  # second call answered from the cache

    posts = [r for r in http.requests if r[0] == "POST"]
    assert len(posts) == 1
    form = posts[0][2]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["https://graph.microsoft.com/.default"]
    assertion = form["client_assertion"][0]
    header = jwt.get_unverified_header(assertion)
    assert base64.urlsafe_b64decode(header["x5t"] + "==").hex().upper() == thumbprint
    claims = jwt.decode(assertion, key.public_key(), algorithms=["RS256"], audience=posts[0][1])
    assert claims["iss"] == CLIENT


def test_real_msal_device_flow_then_silent_from_the_persisted_cache(tmp_path: Path) -> None:
    from office365.graph_client import GraphClient
    from office365.runtime.http.request_options import RequestOptions

    cache_path = tmp_path / "c.bin"
    shown: list[str] = []
    http = FakeHttp()
    first = TokenProvider(
        tenant_id=TENANT,
        client_id=CLIENT,
        cache_path=cache_path,
        encrypted_persistence=None,
        app_factory=real_factory(http),
        prompt=shown.append,
    )
    client = GraphClient(token_callback=first)
    request = RequestOptions("https://graph.microsoft.com/v1.0/sites/root")
    client.pending_request().authenticate_request(request)
    assert request.headers["Authorization"] == "Bearer real-AT"
    assert shown == ["To sign in, open https://microsoft.com/devicelogin and enter WXYZ9876."]
    assert first.cached_username() == "adviser@contoso.org"
    assert "real-RT" in cache_path.read_text()  # plain-0600 cache: it really is on disk

    # A later run: a new provider on the same cache signs in silently, without the device code.
    http2 = FakeHttp()
    shown.clear()
    second = TokenProvider(
        tenant_id=TENANT,
        client_id=CLIENT,
        cache_path=cache_path,
        encrypted_persistence=None,
        app_factory=real_factory(http2),
        prompt=shown.append,
        interactive=False,
    )
    assert second()["access_token"] == "real-AT"
    assert shown == []
    assert [r for r in http2.requests if r[0] == "POST"] == []

    # Signing out empties the cache: the next non-interactive run must ask for a sign-in.
    second.forget()
    assert "real-RT" not in cache_path.read_text()
    assert "real-AT" not in cache_path.read_text()
    third = TokenProvider(
        tenant_id=TENANT,
        client_id=CLIENT,
        cache_path=cache_path,
        encrypted_persistence=None,
        app_factory=real_factory(FakeHttp()),
        interactive=False,
    )
    assert third.cached_username() is None
    with pytest.raises(AuthError, match="not signed in"):
        third()


# --- forget ----------------------------------------------------------------------------------------


def test_forget_removes_accounts_and_the_next_call_signs_in_again(tmp_path: Path) -> None:
    account = {"username": "adviser@contoso.org"}
    app = FakeApp(
        accounts=[account], silent={"access_token": "cached-AT", "token_type": "Bearer", "expires_in": 900}
    )
    shown: list[str] = []
    p, _ = provider(tmp_path, app, prompt=shown.append)
    assert p()["access_token"] == "cached-AT"

    calls_before = len(app.calls)
    p.forget()

    # never through the msal app: get_accounts() may reach the network, and forget runs in error
    # handlers (real msal clearing its cache: tests/sync/test_auth_msal.py)
    assert app.calls[calls_before:] == []
    from msal import TokenCache

    assert list(p._cache().search(TokenCache.CredentialType.ACCOUNT)) == []


def test_sign_out_in_certificate_mode_drops_app_tokens(tmp_path: Path) -> None:
    pem, thumbprint, _ = make_certificate(tmp_path)
    app = FakeApp()
    p, _ = provider(
        tmp_path, app, mode="certificate", certificate_path=pem, certificate_thumbprint=thumbprint
    )
    p()
    p.sign_out()
    assert app.called("remove_tokens_for_client") == []  # the cache is cleared directly, no msal call
    from msal import TokenCache

    assert list(p._cache().search(TokenCache.CredentialType.ACCESS_TOKEN)) == []


# --- the token cache -------------------------------------------------------------------------------


def test_plain_cache_file_is_created_0600_in_a_0700_folder(tmp_path: Path) -> None:
    old = os.umask(0)  # the worst case: nothing masked by the user's umask
    try:
        path = tmp_path / "home" / ".tomsync" / "msal_token_cache.bin"
        cache, kind = open_token_cache(path, encrypted_persistence=None)
    finally:
        os.umask(old)
    assert kind == "plain-0600"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    cache.add(
        {
            "client_id": CLIENT,
            "scope": ["s"],
            "token_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            "response": {"access_token": "x", "token_type": "Bearer", "expires_in": 60},
        }
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # still, after msal wrote to it


def test_existing_loose_cache_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "msal_token_cache.bin"
    path.write_text("{}")
    path.chmod(0o644)
    _, kind = open_token_cache(path, encrypted_persistence=None)
    assert kind == "plain-0600"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_chmod_that_does_not_take_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "msal_token_cache.bin"
    path.write_text("{}")
    path.chmod(0o644)
    monkeypatch.setattr(auth.os, "chmod", lambda *a, **k: None)  # as on a mount that ignores modes
    with pytest.raises(AuthError, match="readable by others"):
        open_token_cache(path, encrypted_persistence=None)


def test_unavailable_encryption_falls_back_to_plain_0600(tmp_path: Path) -> None:
    def no_keyring(location: str) -> Any:
        raise RuntimeError("libsecret did not perform properly")

    p, _ = provider(tmp_path, encrypted_persistence=no_keyring)
    assert p.cache_kind == "plain-0600"
    assert stat.S_IMODE(p.cache_path.stat().st_mode) == 0o600


def test_encrypted_persistence_is_preferred(tmp_path: Path) -> None:
    from msal_extensions import FilePersistence

    class Encrypted(FilePersistence):
        is_encrypted = True

    used: list[str] = []

    def encrypted(location: str) -> Any:
        used.append(location)
        return Encrypted(location)

    p, _ = provider(tmp_path, encrypted_persistence=encrypted)
    assert p.cache_kind == "encrypted"
    assert used == [str(p.cache_path)]


def test_default_cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TOMSYNC_HOME", raising=False)
    assert auth.default_cache_path() == Path.home() / ".tomsync" / "msal_token_cache.bin"
    monkeypatch.setenv("TOMSYNC_HOME", str(tmp_path))
    assert auth.default_cache_path() == tmp_path / "msal_token_cache.bin"
