"""Choose the document library a command works against: `--library DIR` or a `tomsync.toml`.

The one place where configuration turns into a backend, so the CLI, the ribbon's Pull / Push and
scripts cannot disagree about which library they talk to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sync.config import ConfigError, FolderLibraryConfig, find_config, load_config
from sync.folder import FolderLibrary
from sync.library import AuthError, Library


@dataclass
class Connection:
    library: Library
    description: str
    token: object | None = None  # the TokenProvider, when signing in is involved

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
    if isinstance(lib, FolderLibraryConfig):
        if not lib.folder.is_dir():
            raise ConfigError(f"{cfg_path}: library.folder {lib.folder} does not exist")
        return Connection(FolderLibrary(lib.folder), f"folder library {lib.folder}")
    from sync.auth import TokenProvider  # msal only when SharePoint is really used
    from sync.sharepoint import SharePointLibrary

    token = TokenProvider.from_config(lib)
    library = SharePointLibrary(lib.site_url, lib.drive, lib.folder, token=token, graph_url=lib.graph_url)
    where = f"SharePoint {lib.site_url} / {lib.drive}" + (f" / {lib.folder}" if lib.folder else "")
    return Connection(library, f"{where} (token cache: {token.cache_kind})", token)


__all__ = ["AuthError", "ConfigError", "Connection", "connect"]
