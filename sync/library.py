"""The document-library boundary: the one small interface between sync and wherever workbooks live.

Modelled on httpx's transport base: every backend (`sync.folder.FolderLibrary` for a local or
OneDrive-synced folder, `sync.sharepoint.SharePointLibrary` for a drive through Microsoft Graph, and
`sync.memory.MemoryLibrary`, which ships with the package as httpx ships MockTransport) implements
the same three calls (list, download, upload), and nothing above this module knows which one it
talks to. Version tags ("etags") are opaque strings compared for equality only.

The one rule every backend enforces: an upload names the version it was based on (`if_match`), and
is refused with `RemoteChanged` when the library holds anything else, so a push never overwrites a
version it has not seen. `if_match=None` means "create; refuse if the file already exists".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class RemoteFile:
    """One file in a library: its path (``/``-separated, relative to the library root) and version."""

    name: str
    etag: str
    size: int
    modified: datetime | None = None


class LibraryError(Exception):
    """The library could not be used (network, permissions, missing file): say why in one line."""


class RemoteChanged(LibraryError):
    """The remote file is not the version the upload was based on (Graph: 412, or 409 resourceModified)."""


class RemoteNotFound(LibraryError):
    """No such file in the library."""


class AuthError(LibraryError):
    """Sign-in failed or expired (HTTP 401): the user must sign in again."""


class AccessDenied(LibraryError):
    """Signed in, but lacking a permission (HTTP 403): the message names what is missing."""


class Library(Protocol):
    """What sync needs from a document library. Paths are relative, ``/``-separated."""

    def list(self, folder: str = "") -> list[RemoteFile]:
        """Every file under ``folder`` (recursively), with its current version tag."""
        ...

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        """The file's bytes and the version they belong to."""
        ...

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        """Write ``data`` only if the remote version is still ``if_match`` (None: only if absent)."""
        ...


def content_etag(data: bytes) -> str:
    """A version tag derived from content, so equal bytes give equal tags on every machine."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
