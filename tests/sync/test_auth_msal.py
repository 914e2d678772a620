"""Sign-in with REAL msal and its token cache against a fake authority on 127.0.0.1 (https).

Instance discovery, the tenant's metadata, the device code and the token endpoint are all served by
`tests.sync.fake_authority`; msal runs unmodified except for where it connects (``verify`` = the test
certificate; msal's instance-discovery URL helper answers the fake's address, because msal sends
discovery for any unknown host to login.microsoftonline.com). What a user sees: the device-code
prompt once, silent runs after it, and a sign-in service outage (503) that is one line, exit 2, and
keeps the cached sign-in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from msal import TokenCache
from typer.testing import CliRunner

from sync.auth import SignInUnavailable, TokenProvider, msal_app_factory
from sync.library import AuthError
from tests.sync.conftest import BASE
from tests.sync.fake_authority import FakeAuthority
from tests.sync.graph_server import FakeGraph

TENANT = "contoso.onmicrosoft.com"
CLIENT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAuthority]:
    server = FakeAuthority(tmp_path, TENANT, CLIENT).start()
    # requests lets these variables override a session's ``verify``: point them at the test certificate
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(server.cert))
    # msal sends instance discovery (at construction, and for the cache's authority aliases in
    # get_accounts) to login.microsoftonline.com for any host it does not know: send it here instead
    import msal.application
    import msal.authority

    for module in (msal.application, msal.authority):
        monkeypatch.setattr(module, "_get_instance_discovery_endpoint", lambda instance: server.discovery_url)
    yield server
    server.stop()


def make_provider(authority: FakeAuthority, home: Path, shown: list[str] | None = None,
                  interactive: bool = True, **kwargs: Any) -> TokenProvider:
    factory = functools.partial(msal_app_factory, verify=str(authority.cert))
    return TokenProvider(tenant_id=TENANT, client_id=CLIENT, cache_path=home / "msal_token_cache.bin",
                         encrypted_persistence=None, app_factory=factory, authority_host=authority.host,
                         prompt=(shown if shown is not None else []).append, interactive=interactive,
                         **kwargs)


def accounts(provider: TokenProvider) -> list[dict[str, Any]]:
    return list(provider._cache().search(TokenCache.CredentialType.ACCOUNT))


def signed_in(authority: FakeAuthority, home: Path) -> str:
    """A first run: device code shown once, a token, an account in the persisted cache."""
    shown: list[str] = []
    token = make_provider(authority, home, shown)()["access_token"]
    assert len(shown) == 1 and "ABCD-EFGH" in shown[0]
    return str(token)


def test_device_code_then_silent_runs_from_the_persisted_cache(
    authority: FakeAuthority, tmp_path: Path
) -> None:
    first = signed_in(authority, tmp_path)
    assert first == authority.issued[0]
    assert authority.counts["discovery"] >= 1 and authority.counts["openid"] == 1
    assert authority.counts["devicecode"] == 1 and authority.counts["token"] == 1

    again: list[str] = []
    later = make_provider(authority, tmp_path, again)  # the next run: a new process, the same cache file
    assert later.cached_username() == "adviser@contoso.org"
    assert later()["access_token"] == first  # from the cache: no prompt, no token request
    assert again == [] and authority.counts["token"] == 1


def test_a_503_from_the_sign_in_service_is_one_line_and_keeps_the_sign_in(
    authority: FakeAuthority, tmp_path: Path
) -> None:
    signed_in(authority, tmp_path)
    authority.fail_next("openid", 5)
    later = make_provider(authority, tmp_path)
    with pytest.raises(SignInUnavailable) as exc:
        later()
    message = str(exc.value)
    assert "\n" not in message and "sign-in service" in message and "still signed in" in message
    assert not isinstance(exc.value, AuthError)  # not a failed sign-in: nothing to drop
    assert accounts(later) and later.cached_username() == "adviser@contoso.org"
    authority.failures.clear()
    assert make_provider(authority, tmp_path)()["access_token"]  # back: the cached sign-in works


def test_a_503_while_refreshing_keeps_the_sign_in(authority: FakeAuthority, tmp_path: Path) -> None:
    authority.access_lifetime = 60  # msal refreshes tokens with under 5 minutes left
    signed_in(authority, tmp_path)
    authority.fail_next("token", 5)
    shown: list[str] = []
    later = make_provider(authority, tmp_path, shown)
    with pytest.raises(SignInUnavailable) as exc:
        later()
    assert "\n" not in str(exc.value)
    assert shown == []  # an outage is no reason to ask the user to sign in again
    assert accounts(later)


def test_a_revoked_refresh_token_is_a_failed_sign_in(authority: FakeAuthority, tmp_path: Path) -> None:
    authority.access_lifetime = 60
    signed_in(authority, tmp_path)
    authority.revoke_all()
    unattended = make_provider(authority, tmp_path, interactive=False)
    with pytest.raises(AuthError) as exc:
        unattended()
    assert not isinstance(exc.value, SignInUnavailable)
    assert str(exc.value) == ("sign-in from the token cache failed: AADSTS50173: The provided grant has "
                              "expired due to it being revoked, a fresh auth token is needed.")
    shown: list[str] = []
    assert make_provider(authority, tmp_path, shown)()["access_token"]  # staff: the device code again
    assert len(shown) == 1


def test_forget_clears_the_cache_without_asking_the_service(
    authority: FakeAuthority, tmp_path: Path
) -> None:
    signed_in(authority, tmp_path)
    provider = make_provider(authority, tmp_path)
    provider()
    before = sum(authority.counts.values())
    for kind in ("discovery", "openid", "devicecode", "token"):
        authority.fail_next(kind, 100)
    provider.forget()
    assert sum(authority.counts.values()) == before
    assert make_provider(authority, tmp_path).cached_username() is None


def test_cli_sign_in_outage_exits_2_with_one_line_and_keeps_the_sign_in(
    authority: FakeAuthority, graph_server: FakeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tomsync.cli import app

    home = tmp_path / "home"
    signed_in(authority, home)
    config = tmp_path / "work" / "tomsync.toml"
    config.parent.mkdir()
    config.write_text(f"""
[library]
site_url = "{graph_server.site_url}"
drive = "Documents"
folder = "{BASE}"
tenant_id = "{TENANT}"
client_id = "{CLIENT}"
auth = "device_code"
graph_url = "{graph_server.graph_url}"
token_cache = "{(home / 'msal_token_cache.bin').as_posix()}"
""")
    real = TokenProvider.from_config.__func__  # type: ignore[attr-defined]

    def from_config(cls: type[TokenProvider], cfg: Any, **kwargs: Any) -> TokenProvider:
        factory = functools.partial(msal_app_factory, verify=str(authority.cert))
        return real(cls, cfg, app_factory=factory, authority_host=authority.host, encrypted_persistence=None,
                    **kwargs)

    monkeypatch.setattr(TokenProvider, "from_config", classmethod(from_config))
    authority.fail_next("openid", 100)
    result = CliRunner().invoke(app, ["pull", "--workdir", str(config.parent)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "sign-in service" in line]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "dropped" not in result.output
    assert make_provider(authority, home).cached_username() == "adviser@contoso.org"


def test_an_unreachable_sign_in_service_keeps_the_sign_in(authority: FakeAuthority, tmp_path: Path) -> None:
    signed_in(authority, tmp_path)
    authority.stop()  # nothing listens any more: connection refused
    later = make_provider(authority, tmp_path)
    with pytest.raises(SignInUnavailable) as exc:
        later()
    assert str(exc.value).startswith("could not reach the Microsoft sign-in service")
    assert "\n" not in str(exc.value) and later.cached_username() == "adviser@contoso.org"
