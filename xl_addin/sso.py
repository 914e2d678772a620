"""Single sign-on for the hosted add-in: who may press what, and the user's own Graph token.

Sign-in itself is xlwings Server's: with ``XLWINGS_AUTH_PROVIDERS=["entraid"]`` it validates every
request's Entra ID token (signature against Microsoft's published keys, audience, issuer, expiry) and
hands us the user with the ``roles`` claim. Nothing here validates a token. We add two things:

- **Roles.** Two app roles of the add-in's app registration: ``TOM.Staff`` may Validate, Roll up, New
  month and Save to library; ``TOM.ProgrammeManager`` may do all of that, run Sync month and change the
  Master (a Staff user's Save to library that changes the Master tab is refused). A missing role is
  one line naming it. Without single sign-on (the add-in on one's own computer) Validate, Roll up and
  New month work as before, and Sync month and Save to library say what to configure.
- **On behalf of the user.** The user's sign-in token is exchanged for a Graph token with msal's
  ``acquire_token_on_behalf_of`` (the app's client secret or certificate), so SharePoint sees the user
  and applies the user's own permissions. msal caches each user's Graph token in memory (keyed by
  their sign-in token) until it expires; nothing is written to disk.

Settings (environment variables; the ``XLWINGS_`` ones are xlwings Server's own):

- ``XLWINGS_AUTH_PROVIDERS=["entraid"]``: turn single sign-on on.
- ``XLWINGS_AUTH_ENTRAID_CLIENT_ID``: the add-in's app registration (Application (client) ID).
- ``XLWINGS_AUTH_ENTRAID_TENANT_ID``: the directory (tenant) ID.
- ``XLWINGS_AUTH_ENTRAID_CLIENT_SECRET``: the app's client secret, for the exchange; or
- ``TOMSYNC_ENTRAID_CLIENT_CERTIFICATE``: a PEM file with the app's certificate and its private key
  (used instead of the secret when set).
- ``XLWINGS_AUTH_ENTRAID_TOKEN_SCOPES``: Graph scopes asked for (default
  ``["https://graph.microsoft.com/.default"]``: the delegated permissions granted to the app,
  Sites.ReadWrite.All or Files.ReadWrite.All).
- ``TOMSYNC_LIBRARY_URL`` (optional): the library folder (its https address) that Sync month and
  Save to library use for a workbook not opened from SharePoint.
- ``TOMSYNC_ENTRAID_AUTHORITY`` (optional): the sign-in service, default
  ``https://login.microsoftonline.com`` (another for national clouds).
- ``TOMSYNC_GRAPH_URL`` (optional): Microsoft Graph, default ``https://graph.microsoft.com/v1.0``.

No secret, token or certificate is ever logged or sent to the task pane.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.config import DEFAULT_GRAPH_URL
from sync.library import AuthError

PROGRAMME_MANAGER = "TOM.ProgrammeManager"
STAFF = "TOM.Staff"
NEEDS = {"Validate": STAFF, "Roll up": STAFF, "New month": STAFF, "Save to library": STAFF,
         "Sync month": PROGRAMME_MANAGER}
SERVER_FOLDER_ACTIONS = ("Pull", "Push")  # they sync a folder on the server: never on the hosted add-in
CERTIFICATE_ENV = "TOMSYNC_ENTRAID_CLIENT_CERTIFICATE"
LIBRARY_ENV = "TOMSYNC_LIBRARY_URL"
AUTHORITY_ENV = "TOMSYNC_ENTRAID_AUTHORITY"
GRAPH_ENV = "TOMSYNC_GRAPH_URL"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
SSO_SETTINGS = ('XLWINGS_AUTH_PROVIDERS=["entraid"], XLWINGS_AUTH_ENTRAID_CLIENT_ID and '
                "XLWINGS_AUTH_ENTRAID_TENANT_ID")
CREDENTIAL_SETTINGS = f"XLWINGS_AUTH_ENTRAID_CLIENT_SECRET or {CERTIFICATE_ENV}"


def sso_configured(settings: Any) -> bool:
    """xlwings Server checks Entra ID sign-in on every request (its settings name the app and tenant)."""
    return ("entraid" in (settings.auth_providers or []) and bool(settings.auth_entraid_client_id)
            and bool(settings.auth_entraid_tenant_id))


def refusal(action: str, user: Any, settings: Any) -> str | None:
    """Why ``user`` may not press ``action`` (one line), or None. ``user`` is xlwings Server's user."""
    sso = sso_configured(settings)
    if action in SERVER_FOLDER_ACTIONS:
        return None if not sso else (
            f"{action} syncs a folder on the add-in's server, which the hosted add-in never does: use "
            "Sync month or Save to library in the TOM task pane")
    if not sso:
        if NEEDS[action] == PROGRAMME_MANAGER or action == "Save to library":
            return (f"{action} needs single sign-on: the add-in's administrator sets {SSO_SETTINGS}, "
                    f"and {CREDENTIAL_SETTINGS} (see docs/excel-addin.md, IT deployment)")
        return None
    return missing_role(action, getattr(user, "roles", []) or [], getattr(user, "name", None))


def missing_role(action: str, roles: Iterable[str], name: str | None = None) -> str | None:
    """One line naming the role ``action`` needs, when ``roles`` lack it (the programme manager's role
    includes everything Staff may do)."""
    have, need = set(roles), NEEDS[action]
    if need in have or PROGRAMME_MANAGER in have:
        return None
    who = name or "your account"
    return (f"{action} needs the {need} role, which {who} does not have: ask IT to assign it "
            "(Entra ID › Enterprise applications › TOM › Users and groups)")


# -- on behalf of the user -----------------------------------------------------------------------

class SignInError(AuthError):
    """No Graph token for the user; the message says what to do (no token or secret in it)."""


@dataclass(frozen=True)
class OboSettings:
    """What the exchange needs, from the environment (see the module's docstring)."""

    client_id: str
    tenant_id: str
    secret: str | None = field(default=None, repr=False)
    certificate: Path | None = None
    authority: str = DEFAULT_AUTHORITY
    scopes: tuple[str, ...] = ("https://graph.microsoft.com/.default",)
    graph_url: str = DEFAULT_GRAPH_URL
    library_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Any, env: Mapping[str, str] | None = None) -> OboSettings:
        env = os.environ if env is None else env
        cert = env.get(CERTIFICATE_ENV, "").strip()
        return cls(
            client_id=str(settings.auth_entraid_client_id or ""),
            tenant_id=str(settings.auth_entraid_tenant_id or ""),
            secret=settings.auth_entraid_client_secret or None,
            certificate=Path(cert) if cert else None,
            authority=(env.get(AUTHORITY_ENV) or DEFAULT_AUTHORITY).rstrip("/"),
            scopes=tuple(settings.auth_entraid_token_scopes or ("https://graph.microsoft.com/.default",)),
            graph_url=(env.get(GRAPH_ENV) or DEFAULT_GRAPH_URL).rstrip("/"),
            library_url=env.get(LIBRARY_ENV, "").strip() or None,
        )

    def problem(self) -> str | None:
        """What is missing for the exchange, or None."""
        if not self.client_id or not self.tenant_id:
            return f"single sign-on is not configured: set {SSO_SETTINGS} on the add-in server"
        if self.certificate is None and not self.secret:
            return f"the add-in server has no credential for Graph: set {CREDENTIAL_SETTINGS}"
        if self.certificate is not None and not self.certificate.is_file():
            return f"{CERTIFICATE_ENV} names {self.certificate}, which is not a file"
        return None

    def credential(self) -> str | dict[str, str]:
        """msal's client credential: the certificate (key, SHA-1 thumbprint, certificate for x5c), else
        the secret."""
        if self.certificate is None:
            assert self.secret is not None
            return self.secret
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        pem = self.certificate.read_bytes()
        cert = x509.load_pem_x509_certificate(pem)
        key = serialization.load_pem_private_key(pem, password=None)
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return {"private_key": key_pem.decode(), "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),
                "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}


_apps: dict[OboSettings, Any] = {}
_lock = threading.Lock()


def _app(cfg: OboSettings) -> Any:
    """One msal app per configuration, built on first use (building one contacts the authority)."""
    with _lock:
        app = _apps.get(cfg)
        if app is None:
            import msal

            app = msal.ConfidentialClientApplication(
                cfg.client_id, client_credential=cfg.credential(),
                authority=f"{cfg.authority}/{cfg.tenant_id}")
            _apps[cfg] = app
        return app


CONSENT = ("Microsoft 365 needs an administrator's consent before TOM may open SharePoint for you: ask IT "
           "to grant admin consent to the TOM app's Graph permissions")


def graph_token(sso_token: str, cfg: OboSettings) -> str:
    """The user's Graph token, exchanged for their sign-in token (msal's on-behalf-of flow)."""
    problem = cfg.problem()
    if problem is not None:
        raise SignInError(problem)
    try:
        result = _app(cfg).acquire_token_on_behalf_of(user_assertion=sso_token, scopes=list(cfg.scopes))
    except Exception as exc:  # msal raises for an unreachable authority, a bad certificate...
        raise SignInError(f"could not reach Microsoft's sign-in service to open SharePoint for you "
                          f"({type(exc).__name__})") from None
    token = result.get("access_token") if isinstance(result, dict) else None
    if isinstance(token, str) and token:
        return token
    error = str(result.get("error", "")) if isinstance(result, dict) else ""
    description = str(result.get("error_description", "")) if isinstance(result, dict) else ""
    if error in ("consent_required", "interaction_required") or "AADSTS65001" in description:
        raise SignInError(CONSENT)
    code = description.split(":", 1)[0] if description.startswith("AADSTS") else ""
    raise SignInError(f"Microsoft 365 would not give TOM a SharePoint token for you ({error or 'no answer'}"
                      f"{' ' + code if code else ''}); sign out of Office and in again, or ask IT")
