"""``tomsync.toml``: where the workbooks live and how to sign in, checked strictly on load.

The file says *where* (a local folder, or a SharePoint site + document library + folder) and *how to
sign in* (device code for staff, a certificate for unattended runs). It never holds a secret: keys that
look like one are refused, and the only secret input, a certificate's passphrase, comes from the
environment variable ``TOMSYNC_CERT_PASSPHRASE`` at sign-in time. Every error is one line naming the
file and the key at fault, so a typo is fixed in seconds rather than surfacing as an HTTP error later.

Example (SharePoint, staff)::

    [library]
    site_url  = "https://contoso.sharepoint.com/sites/careers"
    drive     = "Documents"
    folder    = "TOM/2025-26"
    tenant_id = "contoso.onmicrosoft.com"
    client_id = "11111111-2222-3333-4444-555555555555"
    auth      = "device_code"

Example (a folder, e.g. OneDrive-synced)::

    [library]
    folder = "../Careers TOM"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

CONFIG_NAME = "tomsync.toml"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_DRIVE = "Documents"
CERT_PASSPHRASE_ENV = "TOMSYNC_CERT_PASSPHRASE"
AUTH_MODES = ("device_code", "certificate")

AuthMode = Literal["device_code", "certificate"]

_SHAREPOINT_KEYS = frozenset(
    {
        "site_url",
        "drive",
        "folder",
        "tenant_id",
        "client_id",
        "auth",
        "certificate_path",
        "certificate_thumbprint",
        "graph_url",
        "token_cache",
    }
)
_CERT_KEYS = ("certificate_path", "certificate_thumbprint")
# A key is taken for a secret when one of its ``_``-separated words is one of these...
_SECRET_WORDS = frozenset(
    {"secret", "secrets", "password", "passwd", "pwd", "passphrase", "credential", "credentials"}
)
# ...or it ends in "token" (so ``token_cache``, a path, is fine but ``access_token`` is not)...
_SECRET_LAST_WORDS = frozenset({"token", "tokens"})
# ...or it is one of these.
_SECRET_NAMES = frozenset({"private_key", "api_key", "access_key", "client_key", "signing_key"})
_PRIVATE_KEY_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_THUMBPRINT = re.compile(r"^[0-9A-F]{40}$")


class ConfigError(Exception):
    """``tomsync.toml`` is unreadable or wrong: one line naming the file and the key at fault."""


@dataclass(frozen=True)
class FolderLibraryConfig:
    """A plain directory as the library (absolute; relative paths were resolved against the file)."""

    folder: Path


@dataclass(frozen=True)
class SharePointConfig:
    """A SharePoint document library reached through Microsoft Graph, and how to sign in to it.

    ``folder`` is ``/``-separated inside the drive, without leading or trailing slashes ("" = root).
    ``certificate_thumbprint`` is the SHA-1 thumbprint as Entra ID shows it (40 hex digits, upper case).
    ``token_cache`` is None for the default location chosen by ``sync.auth``.
    """

    site_url: str
    tenant_id: str
    client_id: str
    auth: AuthMode = "device_code"
    drive: str = DEFAULT_DRIVE
    folder: str = ""
    certificate_path: Path | None = None
    certificate_thumbprint: str | None = None
    graph_url: str = DEFAULT_GRAPH_URL
    token_cache: Path | None = None

    @property
    def hostname(self) -> str:
        """The SharePoint host (``contoso.sharepoint.com``), as Graph's ``/sites/{host}:{path}`` needs it."""
        return urlsplit(self.site_url).hostname or ""

    @property
    def site_path(self) -> str:
        """The site's server-relative path (``/sites/careers``; "" for the root site)."""
        return urlsplit(self.site_url).path.rstrip("/")


@dataclass(frozen=True)
class SyncConfig:
    """The loaded ``tomsync.toml``.

    ``sections`` keeps the file's other top-level tables (read-only) for the components that own them;
    only ``[library]`` is interpreted here.
    """

    path: Path
    library: FolderLibraryConfig | SharePointConfig
    sections: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_sharepoint(self) -> bool:
        return isinstance(self.library, SharePointConfig)


def find_config(start_dir: str | Path) -> Path | None:
    """The nearest ``tomsync.toml`` in ``start_dir`` or a parent, so commands work from any subfolder."""
    here = Path(start_dir).expanduser().resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path) -> SyncConfig:
    """Read and check ``tomsync.toml``; raise ``ConfigError`` naming the key at fault."""
    path = Path(path).expanduser().resolve()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None

    _refuse_secrets(path, data, "")
    sections: dict[str, Any] = {}
    for key, value in data.items():
        if key == "library":
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {key}: unknown key (settings belong in a [section])")
        sections[key] = value
    if "library" not in data:
        raise ConfigError(f"{path}: library: missing [library] section")
    library = data["library"]
    if not isinstance(library, dict):
        raise ConfigError(f"{path}: library: must be a table ([library]), not {_type_name(library)}")
    return SyncConfig(path=path, library=_library(path, library), sections=MappingProxyType(sections))


def _refuse_secrets(path: Path, node: Any, prefix: str) -> None:
    """Secrets in a config file end up in backups, shares and git; refuse them before anything else."""
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            words = [w for w in re.split(r"[_\-\s.]+", str(key).lower()) if w]
            if words and (
                _SECRET_WORDS.intersection(words)
                or words[-1] in _SECRET_LAST_WORDS
                or "_".join(words) in _SECRET_NAMES
            ):
                raise ConfigError(
                    f"{path}: {dotted}: looks like a secret; secrets must not be stored in config "
                    f"(use certificate sign-in; a certificate passphrase goes in {CERT_PASSPHRASE_ENV})"
                )
            _refuse_secrets(path, value, dotted + ".")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _refuse_secrets(path, item, f"{prefix[:-1]}[{i}].")
    elif isinstance(node, str) and _PRIVATE_KEY_PEM.search(node):
        raise ConfigError(
            f"{path}: {prefix[:-1]}: holds a private key; secrets must not be stored in config "
            "(point certificate_path at a PEM file instead)"
        )


def _library(path: Path, table: dict[str, Any]) -> FolderLibraryConfig | SharePointConfig:
    """A folder library when only ``folder`` is given, else SharePoint (which then requires site_url)."""
    unknown = sorted(set(table) - _SHAREPOINT_KEYS)
    if unknown:
        raise ConfigError(f"{path}: library.{unknown[0]}: unknown key")
    if set(table) == {"folder"}:
        folder = _str(path, table, "folder")
        if not folder:
            raise ConfigError(
                f'{path}: library.folder: must not be empty (use "." for the folder of {path.name})'
            )
        return FolderLibraryConfig(folder=_resolve(path, folder))
    if not table:
        raise ConfigError(f"{path}: library: set folder (a local folder) or site_url (SharePoint)")
    return _sharepoint(path, table)


def _sharepoint(path: Path, table: dict[str, Any]) -> SharePointConfig:
    site_url = _https_url(path, table, "site_url", required=True)
    site = urlsplit(site_url)
    if not site.hostname or site.query or site.fragment:
        raise ConfigError(
            f"{path}: library.site_url: expected a site address like "
            "https://contoso.sharepoint.com/sites/careers"
        )
    tenant_id = _str(path, table, "tenant_id", required=True)
    client_id = _str(path, table, "client_id", required=True)
    if not _GUID.match(client_id):
        raise ConfigError(
            f"{path}: library.client_id: expected the app's Application (client) ID, a GUID "
            "like 11111111-2222-3333-4444-555555555555"
        )
    auth = _str(path, table, "auth", default="device_code")
    if auth not in AUTH_MODES:
        raise ConfigError(
            f"{path}: library.auth: unknown auth mode {auth!r} (expected one of: {', '.join(AUTH_MODES)})"
        )
    drive = _str(path, table, "drive", default=DEFAULT_DRIVE)
    folder = _str(path, table, "folder", default="").replace("\\", "/").strip("/")
    if any(part in (".", "..") for part in folder.split("/")) or "//" in folder:
        raise ConfigError(f"{path}: library.folder: must be a plain path inside the drive, like TOM/2025-26")

    certificate_path: Path | None = None
    thumbprint: str | None = None
    if auth == "certificate":
        certificate_path = _resolve(path, _str(path, table, "certificate_path", required=True))
        raw = _str(path, table, "certificate_thumbprint", required=True)
        thumbprint = re.sub(r"[\s:]", "", raw).upper()
        if not _THUMBPRINT.match(thumbprint):
            raise ConfigError(
                f"{path}: library.certificate_thumbprint: expected the certificate's SHA-1 thumbprint "
                "(40 hex digits, as shown under the app's Certificates & secrets)"
            )
    else:
        for key in _CERT_KEYS:
            if key in table:
                raise ConfigError(f'{path}: library.{key}: only used with auth = "certificate"')

    graph_url = _https_url(path, table, "graph_url", default=DEFAULT_GRAPH_URL)
    token_cache = table.get("token_cache")
    return SharePointConfig(
        site_url=site_url,
        tenant_id=tenant_id,
        client_id=client_id,
        auth=auth,  # type: ignore[arg-type]  # checked against AUTH_MODES above
        drive=drive,
        folder=folder,
        certificate_path=certificate_path,
        certificate_thumbprint=thumbprint,
        graph_url=graph_url,
        token_cache=None if token_cache is None else _resolve(path, _str(path, table, "token_cache")),
    )


def _str(path: Path, table: dict[str, Any], key: str, *, required: bool = False, default: str = "") -> str:
    if key not in table:
        if required:
            raise ConfigError(f"{path}: library.{key}: missing key")
        return default
    value = table[key]
    if not isinstance(value, str):
        raise ConfigError(f"{path}: library.{key}: must be a string, not {_type_name(value)}")
    value = value.strip()
    if not value and (required or key != "folder"):
        raise ConfigError(f"{path}: library.{key}: must not be empty")
    return value


_LOOPBACK = ("127.0.0.1", "localhost", "::1")  # plain http only to a Graph stand-in on this machine


def _https_url(
    path: Path, table: dict[str, Any], key: str, *, required: bool = False, default: str = ""
) -> str:
    value = _str(path, table, key, required=required, default=default)
    parts = urlsplit(value)
    loopback = key == "graph_url" and parts.scheme == "http" and parts.hostname in _LOOPBACK
    if (parts.scheme != "https" and not loopback) or not parts.hostname:
        raise ConfigError(f"{path}: library.{key}: must be an https:// address, not {value!r}")
    return value.rstrip("/")


def _resolve(config_path: Path, value: str) -> Path:
    """Relative paths mean "next to tomsync.toml", whatever the current directory."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else (config_path.parent / p).resolve()


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
        str: "a string",
    }.get(type(value), type(value).__name__)
