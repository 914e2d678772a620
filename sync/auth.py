"""Microsoft Graph access tokens for the SharePoint library, through msal, built lazily.

Two ways in:

- ``device_code`` (staff): a token from the persisted cache if one is there (silently refreshed),
  else the device-code flow: the user is shown a short code to enter at microsoft.com/devicelogin.
- ``certificate`` (unattended runs): app-only, a client assertion signed with the certificate's
  private key; the app is granted the one site through ``Sites.Selected``.

Nothing msal is constructed until a token is actually needed: ``msal.PublicClientApplication`` and
``ConfidentialClientApplication`` fetch the tenant's metadata in their constructors, so building them
eagerly would make ``tomsync --help`` or a folder-library run reach the network.

The token cache is persisted through msal-extensions, encrypted where the OS offers it (DPAPI on
Windows, Keychain on macOS, libsecret on Linux), else a plain file created with mode 0600;
``TokenProvider.cache_kind`` says which, so the CLI can tell the user. No code here logs or prints a
token, and errors carry msal's ``error_description`` (first line), never a token.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from sync.config import CERT_PASSPHRASE_ENV, DEFAULT_GRAPH_URL, AuthMode, SharePointConfig
from sync.library import AuthError, LibraryError


class SignInUnavailable(LibraryError):
    """The sign-in service could not be reached or answered with a service error (5xx, outage).

    Not a failed sign-in: the cached sign-in stays, and the same command works once the service is
    back. A `LibraryError`, so the CLI says one line and exits 2 without dropping the token cache."""

CacheKind = Literal["encrypted", "plain-0600"]

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
CACHE_FILE_NAME = "msal_token_cache.bin"
# Delegated permissions the staff sign-in asks for (relative to the Graph resource).
DELEGATED_PERMISSIONS = ("Files.ReadWrite.All", "Sites.ReadWrite.All")
# msal only hands out cached tokens with >= 5 minutes left; tell the Graph client a minute less than
# that, so a token is never sent in the last seconds of its life.
_EXPIRY_MARGIN_S = 60

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----.+?-----END \1-----", re.DOTALL
)
_CERT_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class AppFactory(Protocol):
    """Builds the msal application; injected so tests can hand in fakes that never reach the network."""

    def __call__(
        self,
        *,
        confidential: bool,
        client_id: str,
        authority: str,
        token_cache: Any,
        client_credential: dict[str, str] | None,
    ) -> Any: ...


def msal_app_factory(
    *,
    confidential: bool,
    client_id: str,
    authority: str,
    token_cache: Any,
    client_credential: dict[str, str] | None,
    **msal_kwargs: Any,
) -> Any:
    """The real factory. Constructing the app contacts the authority, hence only called when needed."""
    import msal

    if confidential:
        return msal.ConfidentialClientApplication(
            client_id,
            authority=authority,
            client_credential=client_credential,
            token_cache=token_cache,
            **msal_kwargs,
        )
    return msal.PublicClientApplication(
        client_id, authority=authority, token_cache=token_cache, **msal_kwargs
    )


def default_cache_path() -> Path:
    """``~/.tomsync/msal_token_cache.bin``, or under ``$TOMSYNC_HOME`` when that is set."""
    home = os.environ.get("TOMSYNC_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".tomsync"
    return base / CACHE_FILE_NAME


def _encrypted_persistence_default(location: str) -> Any:
    from msal_extensions import build_encrypted_persistence

    return build_encrypted_persistence(location)


def open_token_cache(
    path: Path,
    encrypted_persistence: Callable[[str], Any] | None = _encrypted_persistence_default,
) -> tuple[Any, CacheKind]:
    """A persisted msal token cache at ``path`` and how it is protected.

    Tries the OS's encrypted store first; where that is unavailable (e.g. Linux without a keyring, or
    ``encrypted_persistence=None``) falls back to a plain file that is created 0600 and verified to be
    so, because a refresh token on disk is as good as a signed-in session.
    """
    from msal_extensions import FilePersistence, PersistedTokenCache

    path = Path(path).expanduser()
    _make_private_dir(path.parent)
    persistence = None
    if encrypted_persistence is not None:
        try:
            persistence = encrypted_persistence(str(path))
        except Exception:  # ImportError (no gi/pywin32), RuntimeError (no keyring service), OSError...
            persistence = None
        if persistence is not None and not getattr(persistence, "is_encrypted", False):
            persistence = None
    if persistence is None:
        _make_private_file(path)
        persistence = FilePersistence(str(path))
        kind: CacheKind = "plain-0600"
    else:
        kind = "encrypted"
    return PersistedTokenCache(persistence), kind


def _make_private_dir(directory: Path) -> None:
    """Create the cache's folder owner-only; an existing folder is left as the user set it."""
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700, exist_ok=True)


def _make_private_file(path: Path) -> None:
    """Create (or tighten) the plain cache file to 0600 and check it took: some mounts ignore chmod."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise AuthError(f"cannot create the token cache {path}: {exc.strerror or exc}") from None
    if os.name == "posix" and mode & 0o077:
        raise AuthError(
            f"token cache {path} is readable by others (mode {mode:04o}) and chmod 0600 did not take; "
            "set token_cache in tomsync.toml to a path on a local disk"
        )


def first_line(text: object) -> str:
    """The first non-empty line: msal's descriptions carry trace and correlation ids on later lines."""
    for line in str(text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _msal_error(result: Mapping[str, Any] | None, doing: str) -> LibraryError:
    if _service_trouble(result):
        detail = first_line((result or {}).get("error_description")) or str((result or {}).get("error"))
        return SignInUnavailable(f"{doing}: the Microsoft sign-in service is unavailable ({detail}); "
                                 "you are still signed in, try again later")
    result = result or {}
    detail = first_line(result.get("error_description")) or str(result.get("error") or "no token returned")
    return AuthError(f"{doing} failed: {detail}")


class TokenProvider:
    """Callable handing Graph access tokens to office365's ``GraphClient(token_callback=...)``.

    Each call returns ``{"token_type": "Bearer", "access_token": ..., "expires_in": seconds}``:
    the shape ``office365`` turns into a ``TokenResponse`` and re-asks for once ``expires_in`` passes.
    Repeated calls are cheap: msal answers from its cache until the token nears expiry.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        mode: AuthMode = "device_code",
        certificate_path: str | Path | None = None,
        certificate_thumbprint: str | None = None,
        graph_url: str = DEFAULT_GRAPH_URL,
        cache_path: str | Path | None = None,
        prompt: Callable[[str], None] | None = None,
        interactive: bool = True,
        app_factory: AppFactory = msal_app_factory,
        encrypted_persistence: Callable[[str], Any] | None = _encrypted_persistence_default,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        environ: Mapping[str, str] | None = None,
        extra_permissions: tuple[str, ...] = (),
    ) -> None:
        if mode not in ("device_code", "certificate"):
            raise ValueError(f"unknown auth mode {mode!r}")
        if mode == "certificate" and not (certificate_path and certificate_thumbprint):
            raise ValueError("certificate sign-in needs certificate_path and certificate_thumbprint")
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.mode: AuthMode = mode
        self.certificate_path = Path(certificate_path).expanduser() if certificate_path else None
        self.certificate_thumbprint = (
            re.sub(r"[\s:]", "", certificate_thumbprint).upper() if certificate_thumbprint else None
        )
        self.cache_path = Path(cache_path).expanduser() if cache_path else default_cache_path()
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self.interactive = interactive
        self.extra_permissions = extra_permissions  # e.g. ("Mail.Send",) for `tomsync remind --send` only
        self._graph_resource = _resource_of(graph_url)
        self._prompt = prompt or _print_to_stderr
        self._app_factory = app_factory
        self._encrypted_persistence = encrypted_persistence
        self._environ = os.environ if environ is None else environ
        self._lock = threading.RLock()
        self._token_cache: Any = None
        self._cache_kind: CacheKind | None = None
        self._app: Any = None

    @classmethod
    def from_config(cls, config: SharePointConfig, **kwargs: Any) -> TokenProvider:
        """A provider for the ``[library]`` section of ``tomsync.toml``; ``kwargs`` as for ``__init__``."""
        return cls(
            tenant_id=config.tenant_id,
            client_id=config.client_id,
            mode=config.auth,
            certificate_path=config.certificate_path,
            certificate_thumbprint=config.certificate_thumbprint,
            graph_url=config.graph_url,
            cache_path=config.token_cache,
            **kwargs,
        )

    def __repr__(self) -> str:
        return (
            f"TokenProvider(mode={self.mode!r}, tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"
        )

    @property
    def scopes(self) -> list[str]:
        """App-only asks for the app's granted permissions (``.default``); staff for the delegated ones."""
        if self.mode == "certificate":
            return [f"{self._graph_resource}/.default"]
        return [f"{self._graph_resource}/{p}" for p in (*DELEGATED_PERMISSIONS, *self.extra_permissions)]

    @property
    def cache_kind(self) -> CacheKind:
        """``"encrypted"`` or ``"plain-0600"``: opens the cache (no msal app, no network) if not yet open."""
        self._cache()
        assert self._cache_kind is not None
        return self._cache_kind

    def cached_username(self) -> str | None:
        """Who is signed in according to the cache (for "signed in as ..."), without any network call."""
        from msal import TokenCache

        for account in self._cache().search(TokenCache.CredentialType.ACCOUNT):
            if account.get("username"):
                return str(account["username"])
        return None

    def __call__(self) -> dict[str, Any]:
        return self.acquire()

    def acquire(self) -> dict[str, Any]:
        """A token for Graph, or ``AuthError`` saying why not (msal's first line of explanation)."""
        with self._lock:
            try:
                if self.mode == "certificate":
                    result = self._app_instance().acquire_token_for_client(scopes=self.scopes)
                    if not result or "access_token" not in result:
                        raise _msal_error(result, "certificate sign-in")
                else:
                    result = self._acquire_delegated()
            except LibraryError:
                raise
            except Exception as exc:
                raise _unexpected(exc, self.authority) from None
            return _token_dict(result)

    def _acquire_delegated(self) -> Mapping[str, Any]:
        app = self._app_instance()
        silent_failure: Mapping[str, Any] | None = None
        accounts = app.get_accounts()
        if accounts:
            # the _with_error variant says why a refresh failed (revoked, expired) instead of None
            silent = getattr(app, "acquire_token_silent_with_error", None) or app.acquire_token_silent
            result = silent(self.scopes, account=accounts[0])
            if result and "access_token" in result:
                return result
            if _service_trouble(result):  # an outage: no reason to make the user sign in again
                raise _msal_error(result, "sign-in from the token cache")
            silent_failure = result
        if not self.interactive:
            if silent_failure:
                raise _msal_error(silent_failure, "sign-in from the token cache")
            raise AuthError(
                "not signed in (no account in the token cache): sign in with the device code first"
            )
        flow = app.initiate_device_flow(scopes=self.scopes)
        if "user_code" not in flow:
            raise _msal_error(flow, "starting the device-code sign-in")
        self._prompt(str(flow["message"]))
        result = app.acquire_token_by_device_flow(flow)
        if not result or "access_token" not in result:
            raise _msal_error(result, "device-code sign-in")
        return result

    def forget(self) -> None:
        """Sign out: drop every cached account and token, so the next call signs in afresh.

        Called after Graph answers 401 (the token was revoked or the password changed). Clears the
        persisted cache directly and never through the msal app: ``get_accounts()`` may go to the
        network (instance metadata), and this runs inside an error handler, maybe during an outage.
        """
        from msal import TokenCache

        with self._lock:
            cache = self._cache()
            kinds = TokenCache.CredentialType
            for kind in (
                kinds.ACCESS_TOKEN,
                kinds.REFRESH_TOKEN,
                kinds.ID_TOKEN,
                kinds.ACCOUNT,
                kinds.APP_METADATA,
            ):
                for entry in list(cache.search(kind)):
                    cache.modify(kind, entry)

    sign_out = forget

    def _cache(self) -> Any:
        with self._lock:
            if self._token_cache is None:
                self._token_cache, self._cache_kind = open_token_cache(
                    self.cache_path, self._encrypted_persistence
                )
            return self._token_cache

    def _app_instance(self) -> Any:
        with self._lock:
            if self._app is None:
                credential = self._certificate_credential() if self.mode == "certificate" else None
                self._app = self._app_factory(
                    confidential=self.mode == "certificate",
                    client_id=self.client_id,
                    authority=self.authority,
                    token_cache=self._cache(),
                    client_credential=credential,
                )
            return self._app

    def _certificate_credential(self) -> dict[str, str]:
        """msal's certificate credential from one PEM file (key + certificate), checked before use.

        Checking the thumbprint against the certificate here turns Entra's opaque AADSTS700027 into a
        message that says which of the two is wrong.
        """
        assert self.certificate_path is not None and self.certificate_thumbprint is not None
        path = self.certificate_path
        try:
            pem = path.read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise AuthError(f"cannot read the certificate file {path}: {exc.strerror or exc}") from None
        key = _PRIVATE_KEY_BLOCK.search(pem)
        if not key:
            raise AuthError(f"{path} holds no PEM private key (expected the private key and the certificate)")
        credential = {"private_key": key.group(0), "thumbprint": self.certificate_thumbprint}
        passphrase = self._environ.get(CERT_PASSPHRASE_ENV)
        encrypted = key.group(1).startswith("ENCRYPTED") or "Proc-Type: 4,ENCRYPTED" in key.group(0)
        if passphrase:
            credential["passphrase"] = passphrase
        elif encrypted:
            raise AuthError(f"the private key in {path} is encrypted: set {CERT_PASSPHRASE_ENV}")
        cert = _CERT_BLOCK.search(pem)
        if cert:
            actual = _sha1_thumbprint(cert.group(0))
            if actual and actual != self.certificate_thumbprint:
                raise AuthError(
                    f"certificate_thumbprint {self.certificate_thumbprint} does not match the certificate "
                    f"in {path} (its SHA-1 thumbprint is {actual})"
                )
        return credential


def _sha1_thumbprint(cert_pem: str) -> str | None:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        cert = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
    except Exception:  # no cryptography, or a certificate it cannot parse: let Entra be the judge
        return None
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def _unexpected(exc: Exception, authority: str) -> LibraryError:
    """An exception out of msal: the service failing (`SignInUnavailable`, the sign-in is kept) or a
    sign-in problem (`AuthError`, the user's to fix).

    msal raises ``MsalServiceError`` for a 5xx from the authority (its metadata, instance discovery),
    requests' errors when the authority cannot be reached; ValueError for an unknown tenant, and the
    key libraries raise for an unusable key. Messages never include a token: msal puts none in its
    exceptions, and only the first line is kept.
    """
    import requests
    from msal.exceptions import MsalServiceError

    detail = f"{type(exc).__name__}: {first_line(exc)}"
    if isinstance(exc, requests.RequestException | ConnectionError | TimeoutError):
        return SignInUnavailable(f"could not reach the Microsoft sign-in service ({authority}): {detail}; "
                                 "you are still signed in, try again later")
    if isinstance(exc, MsalServiceError):
        return SignInUnavailable(f"the Microsoft sign-in service is not answering properly ({authority}): "
                                 f"{detail}; you are still signed in, try again later")
    return AuthError(f"sign-in failed: {detail}")


_SERVICE_ERRORS = frozenset({"temporarily_unavailable", "server_error"})


def _service_trouble(result: Mapping[str, Any] | None) -> bool:
    """An OAuth error answer that means "the service is down", not "your sign-in is bad"."""
    return bool(result) and str((result or {}).get("error", "")) in _SERVICE_ERRORS


def _token_dict(result: Mapping[str, Any]) -> dict[str, Any]:
    """Only what the Graph client needs: no refresh token or id token travels further than msal."""
    expires_in = int(result.get("expires_in") or 0)
    return {
        "token_type": str(result.get("token_type") or "Bearer"),
        "access_token": result["access_token"],
        "expires_in": max(expires_in - _EXPIRY_MARGIN_S, 0),
    }


def _resource_of(graph_url: str) -> str:
    """``https://graph.microsoft.com`` from ``https://graph.microsoft.com/v1.0``: scopes name the host."""
    parts = urlsplit(graph_url)
    loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")  # a stand-in
    if (parts.scheme != "https" and not loopback) or not parts.netloc:
        raise ValueError(f"graph_url must be an https:// address, not {graph_url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
