"""``[sync]`` in tomsync.toml: workers and retry_budget reach the library and the run; bad values
fail in one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import ConfigError
from sync.connect import SyncSettings, connect


def config(tmp_path: Path, sync_table: str) -> Path:
    (tmp_path / "lib").mkdir(exist_ok=True)
    path = tmp_path / "tomsync.toml"
    path.write_text(f'[library]\nfolder = "lib"\n\n[sync]\n{sync_table}\n')
    return path


def test_defaults_and_settings(tmp_path: Path) -> None:
    assert connect(tmp_path, config=config(tmp_path, "")).settings == SyncSettings(4, 300.0)
    conn = connect(tmp_path, config=config(tmp_path, "workers = 8\nretry_budget = 60"))
    assert conn.settings == SyncSettings(8, 60.0)


@pytest.mark.parametrize("table, key", [("workers = 0", "sync.workers"), ("workers = 'four'", "sync.workers"),
                                        ("retry_budget = -1", "sync.retry_budget"),
                                        ("threads = 2", "sync.threads")])
def test_bad_settings_name_the_key(tmp_path: Path, table: str, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        connect(tmp_path, config=config(tmp_path, table))
    assert key in str(exc.value) and "\n" not in str(exc.value)


def test_sharepoint_library_gets_the_budget_and_a_delta_state_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.sharepoint import SharePointLibrary

    monkeypatch.setenv("TOMSYNC_HOME", str(tmp_path / "home"))
    path = tmp_path / "tomsync.toml"
    path.write_text('[library]\nsite_url = "https://contoso.sharepoint.com/sites/careers"\n'
                    'tenant_id = "contoso.onmicrosoft.com"\n'
                    'client_id = "11111111-2222-3333-4444-555555555555"\n'
                    '\n[sync]\nretry_budget = 42\n')
    library = connect(tmp_path, config=path).library
    assert isinstance(library, SharePointLibrary) and library.retry_budget == 42.0
    assert library.state_path == tmp_path / ".tomsync" / "graph-delta.json"
