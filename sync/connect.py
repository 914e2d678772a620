"""Choose the document library a command works against: `--library DIR` or a `tomsync.toml`.

The one place where configuration turns into a backend, so the CLI, the ribbon's Pull / Push and
scripts cannot disagree about which library they talk to.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.config import ConfigError, FolderLibraryConfig, find_config, load_config
from sync.folder import FolderLibrary
from sync.library import AuthError, Library

DEFAULT_WORKERS = 4  # transfers in flight at once, as rclone and the OneDrive client do
DEFAULT_RETRY_BUDGET = 300.0  # seconds of waiting on throttling and outages before giving up


@dataclass(frozen=True)
class SyncSettings:
    """``[sync]`` in tomsync.toml: ``workers`` (parallel transfers, 1 = serial) and ``retry_budget``
    (seconds a run may spend waiting on SharePoint's Retry-After and outages before it gives up)."""

    workers: int = DEFAULT_WORKERS
    retry_budget: float = DEFAULT_RETRY_BUDGET


def sync_settings(path: Path, table: Mapping[str, Any]) -> SyncSettings:
    """Read and check the ``[sync]`` table; ConfigError names the key at fault."""
    unknown = sorted(set(table) - {"workers", "retry_budget"})
    if unknown:
        raise ConfigError(f"{path}: sync.{unknown[0]}: unknown key (known: workers, retry_budget)")
    workers = table.get("workers", DEFAULT_WORKERS)
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 32:
        raise ConfigError(f"{path}: sync.workers: must be a whole number from 1 to 32, not {workers!r}")
    budget = table.get("retry_budget", DEFAULT_RETRY_BUDGET)
    if not isinstance(budget, int | float) or isinstance(budget, bool) or budget < 0:
        raise ConfigError(f"{path}: sync.retry_budget: must be a number of seconds >= 0, not {budget!r}")
    return SyncSettings(workers, float(budget))


@dataclass
class Connection:
    library: Library
    description: str
    token: object | None = None  # the TokenProvider, when signing in is involved
    settings: SyncSettings = SyncSettings()

    def forget_sign_in(self) -> None:
        """After a 401: drop the cached token so the next run signs in afresh."""
        forget = getattr(self.token, "forget", None)
        if forget is not None:
            forget()


def connect(workdir: str | os.PathLike[str], library_dir: str | os.PathLike[str] | None = None,
            config: str | os.PathLike[str] | None = None) -> Connection:
    """The library named by ``library_dir``, else by ``config``, else by a tomsync.toml found from
    ``workdir`` upwards. Raises ConfigError with one line saying what is missing."""
    if library_dir is not None:
        path = Path(library_dir)
        if not path.is_dir():
            raise ConfigError(f"--library {path}: no such folder")
        return Connection(FolderLibrary(path), f"folder library {path}")
    cfg_path = Path(config) if config is not None else find_config(Path(workdir))
    if cfg_path is None:
        raise ConfigError("no library given: use --library DIR, --config tomsync.toml, or put a "
                          "tomsync.toml in this folder (see README)")
    cfg = load_config(cfg_path)
    lib = cfg.library
    table = cfg.sections.get("sync", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{cfg_path}: sync: must be a table ([sync])")
    settings = sync_settings(cfg_path, table)
    if isinstance(lib, FolderLibraryConfig):
        if not lib.folder.is_dir():
            raise ConfigError(f"{cfg_path}: library.folder {lib.folder} does not exist")
        return Connection(FolderLibrary(lib.folder), f"folder library {lib.folder}", settings=settings)
    from sync.auth import TokenProvider  # msal only when SharePoint is really used
    from sync.sharepoint import SharePointLibrary

    token = TokenProvider.from_config(lib)
    from sync.state import STATE_DIR

    library = SharePointLibrary(lib.site_url, lib.drive, lib.folder, token=token, graph_url=lib.graph_url,
                                retry_budget=settings.retry_budget,
                                state_path=Path(workdir) / STATE_DIR / "graph-delta.json")
    where = f"SharePoint {lib.site_url} / {lib.drive}" + (f" / {lib.folder}" if lib.folder else "")
    return Connection(library, f"{where} (token cache: {token.cache_kind})", token, settings)


__all__ = ["AuthError", "ConfigError", "Connection", "SyncSettings", "connect", "sync_settings"]
