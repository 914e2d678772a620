"""Entra ID sign-in for tests: a test RSA key, its JWKS and OpenID discovery document served over HTTP
on 127.0.0.1, tokens signed with it (PyJWT) in the shapes Entra issues for an add-in, and the add-in
server itself run by uvicorn on 127.0.0.1.

xlwings Server fetches Microsoft's keys from the discovery document at a module constant; tests point
that constant at `JwksServer` and nothing else, so its token validation runs unmodified.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
CLIENT_ID = "7a4b7c0e-1f7e-4bd6-9c8f-3a1d2e5f6a70"  # the add-in's app registration
CLIENT_SECRET = "test-secret-not-real"


class SigningKey:
    """An RSA key as Entra uses (RS256), with its public half as a JWK."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        doc = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**doc, "kid": self.kid, "use": "sig", "kty": "RSA", "alg": "RS256"}

    def token(self, name: str, roles: list[str] | None = None, *, audience: str = CLIENT_ID,
              tenant: str = TENANT_ID, lifetime: int = 3600, **extra: Any) -> str:
        """An add-in's SSO access token (version 2.0) for ``name``, as Office.auth.getAccessToken gives."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience, "iss": f"https://login.microsoftonline.com/{tenant}/v2.0", "iat": now,
            "nbf": now, "exp": now + lifetime, "name": name, "oid": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
            "preferred_username": name.lower().replace(" ", ".") + "@borders.example.org",
            "scp": "access_as_user", "tid": tenant, "ver": "2.0", "sub": uuid.uuid4().hex,
        }
        if roles is not None:
            claims["roles"] = roles
        claims.update(extra)
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


class JwksServer:
    """``http://127.0.0.1:PORT``: the OpenID discovery document (naming ``jwks_uri``) and the key set."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.hits = 0
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> JwksServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                server.hits += 1
                if self.path.endswith("/.well-known/openid-configuration"):
                    doc: dict[str, Any] = {"jwks_uri": f"{server.url}/discovery/v2.0/keys",
                                           "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"}
                elif self.path == "/discovery/v2.0/keys":
                    doc = {"keys": [k.jwk() for k in server.keys]}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/common/v2.0/.well-known/openid-configuration"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


class AppServer:
    """An ASGI app served by uvicorn on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def start(self) -> AppServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the add-in server did not start")
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
