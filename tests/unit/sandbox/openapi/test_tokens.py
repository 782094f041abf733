from __future__ import annotations

import re

import pytest

from services.sandbox.openapi.clock import SandboxClock
from services.sandbox.openapi.errors import OAuthError
from services.sandbox.openapi.tokens import TokenLifetimes, TokenStore, china_stamp

LIFE = TokenLifetimes(
    access_seconds=60, refresh_seconds=90 * 86400, code_seconds=120, postpone_window_days=30
)


def _store() -> tuple[SandboxClock, TokenStore]:
    clock = SandboxClock()
    clock.set(1_718_000_000.0, frozen=True)
    return clock, TokenStore(clock, LIFE)


def test_code_exchange_gives_a_pair_once() -> None:
    clock, store = _store()
    code, lifetime = store.mint_code("app")
    assert lifetime == 120
    pair = store.exchange_code("app", code, with_refresh=True)
    assert pair["expires_in"] == "60"
    assert re.fullmatch(r"\d{17}\+0800", pair["refresh_token_timeout"])
    assert store.access_valid("app", pair["access_token"])
    assert not store.access_valid("other", pair["access_token"])
    with pytest.raises(OAuthError) as reused:
        store.exchange_code("app", code, with_refresh=True)
    assert reused.value.body() == {
        "error": "invalid_grant",
        "error_description": "authorization code is invalid or expired",
    }
    late, _ = store.mint_code("app")
    clock.advance(121)
    with pytest.raises(OAuthError):
        store.exchange_code("app", late, with_refresh=True)
    code, _ = store.mint_code("app")
    assert "refresh_token" not in store.exchange_code("app", code, with_refresh=False)


def test_access_expires_and_refresh_keeps_the_refresh_token() -> None:
    clock, store = _store()
    pair = store.mint_pair("app")
    clock.advance(59.9)
    assert store.access_valid("app", pair["access_token"])
    clock.advance(0.1)
    assert not store.access_valid("app", pair["access_token"])
    renewed = store.refresh("app", pair["refresh_token"])
    assert "refresh_token" not in renewed
    assert store.access_valid("app", renewed["access_token"])
    again = store.refresh("app", pair["refresh_token"])
    assert again["access_token"] != renewed["access_token"]
    with pytest.raises(OAuthError):
        store.refresh("other", pair["refresh_token"])
    clock.advance(90 * 86400)
    with pytest.raises(OAuthError) as expired:
        store.refresh("app", pair["refresh_token"])
    assert expired.value.description == "refresh_token is expired"


def test_postpone_only_in_the_last_days() -> None:
    clock, store = _store()
    pair = store.mint_pair("app")
    with pytest.raises(OAuthError) as early:
        store.postpone("app", pair["refresh_token"])
    assert early.value.error == "invalid_request"
    clock.advance(61 * 86400)
    renewed = store.postpone("app", pair["refresh_token"])
    assert renewed["refresh_token"] != pair["refresh_token"]
    assert renewed["refresh_token_timeout"] == china_stamp(clock.time() + 90 * 86400)
    with pytest.raises(OAuthError):
        store.refresh("app", pair["refresh_token"])


def test_china_stamp_format() -> None:
    assert china_stamp(1_718_000_000.123) == "20240610141320123+0800"
