"""A fake Microsoft identity platform (Entra ID) on 127.0.0.1 over https, for running REAL msal.

msal insists on an ``https://`` authority, so the server makes a throwaway self-signed certificate
(``cryptography``) and the test hands msal ``verify=<that cert>``. It answers what msal asks, in the
documented shapes: instance discovery (``/common/discovery/instance``), the tenant's OpenID
configuration, the device-code endpoint and the token endpoint (device-code and refresh-token grants,
with an unsigned id_token and client_info so msal's cache holds an account; and the on-behalf-of grant
a confidential app uses to exchange a user's sign-in token for a Graph token, checking the app's secret
or certificate assertion and recording which access token went to which sign-in token). Tests can make
the next
requests of a kind answer 503, or revoke the refresh tokens (``invalid_grant``, as Entra does after a
password change).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TENANT_GUID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``folder``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "authority.pem", folder / "authority.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeAuthority:
    """``https://127.0.0.1:PORT/{tenant}``: start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, folder: Path, tenant: str, client_id: str, username: str = "adviser@contoso.org",
                 access_lifetime: int = 3600) -> None:
        self.tenant = tenant
        self.client_id = client_id
        self.username = username
        self.access_lifetime = access_lifetime
        self.cert, self._key = self_signed(folder)
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()  # kind -> how many more answers are 503
        self.refresh_tokens: list[str] = []
        self.revoked: set[str] = set()  # refresh tokens no longer honoured
        self.issued: list[str] = []  # access tokens handed out, in order
        self.client_secret: str | None = None  # what a confidential client must send (None: any)
        self.obo: dict[str, str] = {}  # user assertion (their sign-in token) -> the Graph token issued
        self.obo_forms: list[dict[str, list[str]]] = []  # every on-behalf-of request's form, for tests
        self.needs_consent: set[str] = set()  # assertions answered with AADSTS65001 (no admin consent)
        self.on_issue: list[Any] = []  # callables told each access token issued (a fake Graph's token set)
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> FakeAuthority:
        handler = type("Handler", (_Handler,), {"authority": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self._key)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def host(self) -> str:
        assert self._httpd is not None
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def discovery_url(self) -> str:
        return f"{self.host}/common/discovery/instance"

    def revoke_all(self) -> None:
        """Every refresh token issued so far stops working (a password change, an admin's revoke)."""
        self.revoked.update(self.refresh_tokens)

    def fail_next(self, kind: str, n: int = 1) -> None:
        """The next ``n`` requests of ``kind`` (discovery, openid, devicecode, token) answer 503."""
        self.failures[kind] += n

    # -- answers --------------------------------------------------------------------------------

    def openid(self) -> dict[str, Any]:
        base = f"{self.host}/{self.tenant}"
        return {
            "issuer": f"{self.host}/{TENANT_GUID}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        }

    def tokens(self) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": f"{self.host}/{TENANT_GUID}/v2.0", "sub": "subject", "aud": self.client_id,
                  "exp": now + 3600, "iat": now, "nbf": now, "oid": "oid-1", "tid": TENANT_GUID,
                  "preferred_username": self.username, "name": "Careers Adviser"}
        id_token = ".".join([_b64(b'{"alg":"none","typ":"JWT"}'), _b64(json.dumps(claims).encode()), ""])
        access, refresh = "AT-" + uuid.uuid4().hex, "RT-" + uuid.uuid4().hex
        self.issued.append(access)
        for tell in self.on_issue:
            tell(access)
        self.refresh_tokens.append(refresh)
        return {"token_type": "Bearer", "scope": "https://graph.microsoft.com/Files.ReadWrite.All "
                "https://graph.microsoft.com/Sites.ReadWrite.All", "expires_in": self.access_lifetime,
                "ext_expires_in": self.access_lifetime, "access_token": access,
                "refresh_token": refresh, "id_token": id_token,
                "client_info": _b64(json.dumps({"uid": "oid-1", "utid": TENANT_GUID}).encode())}

    def answer(self, method: str, path: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if path == "/common/discovery/instance":
            kind = "discovery"
        elif path == f"/{self.tenant}/v2.0/.well-known/openid-configuration":
            kind = "openid"
        elif path == f"/{self.tenant}/oauth2/v2.0/devicecode" and method == "POST":
            kind = "devicecode"
        elif path == f"/{self.tenant}/oauth2/v2.0/token" and method == "POST":
            kind = "token"
        else:
            return 404, {"error": "not_found"}
        self.counts[kind] += 1
        if self.failures[kind] > 0:
            self.failures[kind] -= 1
            return 503, {"error": "temporarily_unavailable",
                         "error_description": "AADSTS90033: A transient error has occurred."}
        if kind == "discovery":
            return 200, {"tenant_discovery_endpoint":
                         f"{self.host}/{self.tenant}/v2.0/.well-known/openid-configuration",
                         "api-version": "1.1",
                         "metadata": [{"preferred_network": "127.0.0.1", "preferred_cache": "127.0.0.1",
                                       "aliases": ["127.0.0.1"]}]}
        if kind == "openid":
            return 200, self.openid()
        if kind == "devicecode":
            return 200, {"device_code": "DC-1", "user_code": "ABCD-EFGH", "verification_uri":
                         "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 1,
                         "message": "To sign in, use a web browser to open https://microsoft.com/devicelogin "
                         "and enter the code ABCD-EFGH to authenticate."}
        grant = form.get("grant_type", [""])[0]
        if grant == "refresh_token" and form.get("refresh_token", [""])[0] in self.revoked:
            return 400, {"error": "invalid_grant", "error_description":
                         "AADSTS50173: The provided grant has expired due to it being revoked, a fresh "
                         "auth token is needed.\r\nTrace ID: 1\r\nCorrelation ID: 2", "error_codes": [50173]}
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.on_behalf_of(form)
        if grant not in ("refresh_token", "urn:ietf:params:oauth:grant-type:device_code"):
            return 400, {"error": "unsupported_grant_type"}
        return 200, self.tokens()

    def on_behalf_of(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """The OBO grant (RFC 7523 assertion, ``requested_token_use=on_behalf_of``), as Entra answers it."""
        self.obo_forms.append(form)
        one = {k: v[0] for k, v in form.items() if v}
        if one.get("requested_token_use") != "on_behalf_of" or not one.get("assertion"):
            return 400, {"error": "invalid_request", "error_description": "AADSTS900144: missing assertion"}
        secret_ok = self.client_secret is None or one.get("client_secret") == self.client_secret
        jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        assertion_ok = one.get("client_assertion_type") == jwt_bearer and bool(one.get("client_assertion"))
        credential_ok = secret_ok if "client_secret" in one else assertion_ok
        if one.get("client_id") != self.client_id or not credential_ok:
            return 401, {"error": "invalid_client", "error_codes": [7000215],
                         "error_description": "AADSTS7000215: Invalid client secret provided."}
        if one["assertion"] in self.needs_consent:
            return 400, {"error": "invalid_grant", "error_codes": [65001], "suberror": "consent_required",
                         "error_description": "AADSTS65001: The user or administrator has not consented to "
                         "use the application."}
        answer = self.tokens()
        self.obo[one["assertion"]] = answer["access_token"]
        return 200, answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    authority: FakeAuthority

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        status, doc = self.authority.answer(self.command, parts.path, parse_qs(body))
        raw = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _serve
