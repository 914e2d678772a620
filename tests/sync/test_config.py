"""tomsync.toml: good files load into SyncConfig; bad ones fail in one line naming the file and key."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from sync.config import (
    DEFAULT_GRAPH_URL,
    ConfigError,
    FolderLibraryConfig,
    SharePointConfig,
    find_config,
    load_config,
)

SITE = 'site_url = "https://contoso.sharepoint.com/sites/careers"'
IDS = 'tenant_id = "contoso.onmicrosoft.com"\nclient_id = "11111111-2222-3333-4444-555555555555"'
THUMB = "3F2A9C1B7D4E5F60718293A4B5C6D7E8F9012345"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tomsync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path.resolve()) + ": ")
    return message


# --- good files ------------------------------------------------------------------------------------


def test_folder_library_resolves_against_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "area"
    project.mkdir()
    path = write(project, '[library]\nfolder = "../Careers TOM"\n')
    monkeypatch.chdir("/")
    cfg = load_config(path)
    assert cfg.library == FolderLibraryConfig(folder=(tmp_path / "Careers TOM").resolve())
    assert not cfg.is_sharepoint
    assert cfg.path == path.resolve()


def test_sharepoint_device_code_with_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, f"[library]\n{SITE}\n{IDS}\n"))
    lib = cfg.library
    assert isinstance(lib, SharePointConfig)
    assert lib == SharePointConfig(
        site_url="https://contoso.sharepoint.com/sites/careers",
        tenant_id="contoso.onmicrosoft.com",
        client_id="11111111-2222-3333-4444-555555555555",
    )
    assert (lib.auth, lib.drive, lib.folder, lib.graph_url, lib.token_cache) == (
        "device_code",
        "Documents",
        "",
        DEFAULT_GRAPH_URL,
        None,
    )
    assert (lib.hostname, lib.site_path) == ("contoso.sharepoint.com", "/sites/careers")
    assert cfg.is_sharepoint


def test_sharepoint_certificate_full(tmp_path: Path) -> None:
    text = f"""
[library]
site_url = "https://contoso.sharepoint.com/sites/careers/"
drive = "TOM Library"
folder = "/Borders/2025-26/"
{IDS}
auth = "certificate"
certificate_path = "secrets-dir/app.pem"
certificate_thumbprint = "{":".join(THUMB[i : i + 2] for i in range(0, 40, 2)).lower()}"
graph_url = "https://graph.microsoft.com/beta/"
token_cache = "state/cache.bin"

[report]
title = "Borders monthly"
"""
    cfg = load_config(write(tmp_path, text))
    lib = cfg.library
    assert isinstance(lib, SharePointConfig)
    assert lib.site_url == "https://contoso.sharepoint.com/sites/careers"
    assert lib.drive == "TOM Library"
    assert lib.folder == "Borders/2025-26"
    assert lib.auth == "certificate"
    assert lib.certificate_path == tmp_path.resolve() / "secrets-dir" / "app.pem"
    assert lib.certificate_thumbprint == THUMB
    assert lib.graph_url == "https://graph.microsoft.com/beta"
    assert lib.token_cache == tmp_path.resolve() / "state" / "cache.bin"
    assert cfg.sections["report"] == {"title": "Borders monthly"}


def test_config_is_frozen(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[library]\nfolder = "."\n'))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.path = tmp_path  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.sections["x"] = 1  # type: ignore[index]


# --- bad files: the key at fault is named ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"[library]\n{IDS}\nauth = 'device_code'\n", "library.site_url: missing key"),
        (
            f"[library]\n{SITE}\nclient_id = '11111111-2222-3333-4444-555555555555'\n",
            "library.tenant_id: missing key",
        ),
        (f"[library]\n{SITE}\ntenant_id = 't'\n", "library.client_id: missing key"),
        (f"[library]\n{SITE}\n{IDS}\nauth = 'certificate'\n", "library.certificate_path: missing key"),
        (
            f"[library]\n{SITE}\n{IDS}\nauth = 'certificate'\ncertificate_path = 'a.pem'\n",
            "library.certificate_thumbprint: missing key",
        ),
        (f"[library]\n{SITE}\n{IDS}\nauth = 'password'\n", "library.auth: unknown auth mode 'password'"),
        (f"[library]\n{SITE}\n{IDS}\nauth = 1\n", "library.auth: must be a string, not a number"),
        (f"[library]\n{SITE}\n{IDS}\ndrive = ['Documents']\n", "library.drive: must be a string, not a list"),
        (f"[library]\n{SITE}\n{IDS}\ndrvie = 'Documents'\n", "library.drvie: unknown key"),
        (f"[library]\n{SITE}\n{IDS}\ndrive = ''\n", "library.drive: must not be empty"),
        (
            '[library]\nsite_url = "http://contoso.sharepoint.com/sites/x"\n',
            "library.site_url: must be an https://",
        ),
        (
            f"[library]\n{SITE}\n{IDS}\ngraph_url = 'graph.microsoft.com'\n",
            "library.graph_url: must be an https://",
        ),
        (
            f"[library]\n{SITE}\ntenant_id = 't'\nclient_id = 'tomsync'\n",
            "library.client_id: expected the app's",
        ),
        (
            f"[library]\n{SITE}\n{IDS}\nauth = 'certificate'\ncertificate_path = 'a.pem'\n"
            "certificate_thumbprint = 'not-hex'\n",
            "library.certificate_thumbprint: expected the certificate's SHA-1 thumbprint",
        ),
        (
            f"[library]\n{SITE}\n{IDS}\ncertificate_path = 'a.pem'\n",
            "library.certificate_path: only used with auth",
        ),
        (f"[library]\n{SITE}\n{IDS}\nfolder = 'TOM/../x'\n", "library.folder: must be a plain path"),
        ("[library]\nfolder = ''\n", "library.folder: must not be empty"),
        ("[library]\n", "library: set folder (a local folder) or site_url (SharePoint)"),
        ("library = 'x'\n", "library: must be a table"),
        ("[report]\ntitle = 'x'\n", "library: missing [library] section"),
        ("verbose = true\n[library]\nfolder = '.'\n", "verbose: unknown key"),
        ("[library\nfolder = '.'\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error(tmp_path, text)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "tomsync.toml")


# --- secrets are refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "client_secret = 'abc~123'",
        "password = 'hunter2'",
        "secret = 'x'",
        "token = 'eyJ0eXAi'",
        "passphrase = 'x'",
        "access_token = 'eyJ0eXAi'",
        "certificate_passphrase = 'x'",
        "Client-Secret = 'x'",
    ],
)
def test_secrets_are_refused(tmp_path: Path, line: str) -> None:
    key = line.split(" =")[0]
    message = error(tmp_path, f"[library]\n{SITE}\n{IDS}\n{line}\n")
    assert f"library.{key}: " in message
    assert "secrets must not be stored in config" in message
    assert line.split("'")[1] not in message  # the value is never echoed


def test_secrets_are_refused_in_any_section(tmp_path: Path) -> None:
    message = error(tmp_path, "[library]\nfolder = '.'\n[mail.smtp]\npassword = 'x'\n")
    assert "mail.smtp.password: " in message and "secrets must not be stored in config" in message


def test_inline_private_key_is_refused(tmp_path: Path) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"
    text = f'[library]\n{SITE}\n{IDS}\ndrive = """{pem}"""\n'
    message = error(tmp_path, text)
    assert "library.drive: holds a private key" in message and "MIIE" not in message


def test_token_cache_is_not_mistaken_for_a_secret(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, f"[library]\n{SITE}\n{IDS}\ntoken_cache = '~/tc.bin'\n"))
    assert isinstance(cfg.library, SharePointConfig)
    assert cfg.library.token_cache == Path(os.path.expanduser("~/tc.bin"))


# --- find_config -----------------------------------------------------------------------------------


def test_find_config_walks_up(tmp_path: Path) -> None:
    path = write(tmp_path, '[library]\nfolder = "."\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == path.resolve()
    assert find_config(tmp_path) == path.resolve()


def test_find_config_none(tmp_path: Path) -> None:
    empty = tmp_path / "x"
    empty.mkdir()
    (empty / "tomsync.toml").mkdir()  # a directory of that name is not a config
    found = find_config(empty)
    assert found is None or found.parent not in (empty, tmp_path)
