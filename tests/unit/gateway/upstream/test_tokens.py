"""Access tokens: one refresh in flight, shared through the store, early refresh, warnings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.gateway.store.interface import Store, open_store
from services.gateway.upstream import errors
from services.gateway.upstream import metrics as upstream_metrics
from services.gateway.upstream.http import Limits, UpstreamHttp
from services.gateway.upstream.token_sealing import TokenSeal
from services.gateway.upstream.tokens import (
    OAuthRefresher,
    TokenManager,
    TokenPair,
    fingerprint,
    parse_expiry,
    parse_grant,
)
from tests.unit.gateway.local_http import LocalHttp, Received, Reply, json_reply

NOW = 1_800_000_000.0
SEAL = TokenSeal("app", "app-secret")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class FakeRefresher:
    """Hands out tok-1, tok-2 ... slowly, counting calls."""

    def __init__(self, clock: Clock, fail: bool = False) -> None:
        self.calls = 0
        self.clock = clock
        self.fail = fail

    async def __call__(self, pair: TokenPair) -> TokenPair:
        self.calls += 1
        await asyncio.sleep(0.02)
        if self.fail:
            raise errors.UpstreamError(errors.UNAVAILABLE, "down", api="getToken", transient=True)
        body = {"access_token": f"tok-{self.calls}", "expires_in": "36000"}
        return parse_grant(body, self.clock(), pair)


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = open_store("memory://")
    yield opened
    await opened.close()


def configured(expires_at: float | None = NOW + 36_000) -> TokenPair:
    return TokenPair("tok-0", "refresh-0", access_expires_at=expires_at)


async def test_many_callers_after_a_401_cause_one_refresh(store: Store) -> None:
    clock = Clock()
    refresher = FakeRefresher(clock)
    manager = TokenManager(configured(), store, refresher, "app", clock, seal=SEAL)
    assert await manager.access_token() == "tok-0"
    results = await asyncio.gather(*(manager.refresh("tok-0") for _ in range(50)))
    assert refresher.calls == 1
    assert set(results) == {"tok-1"}
    assert await manager.access_token() == "tok-1"


async def test_refresh_at_ninety_percent_of_life_once(store: Store) -> None:
    clock = Clock()
    refresher = FakeRefresher(clock)
    manager = TokenManager(configured(), store, refresher, "app", clock, seal=SEAL)
    clock.now = NOW + 36_000 * 0.89
    assert await manager.access_token() == "tok-0"
    clock.now = NOW + 36_000 * 0.91
    tokens = await asyncio.gather(*(manager.access_token() for _ in range(20)))
    assert set(tokens) == {"tok-1"}
    assert refresher.calls == 1


async def test_the_new_token_is_persisted_for_a_restart(store: Store) -> None:
    clock = Clock()
    first = TokenManager(configured(), store, FakeRefresher(clock), "app", clock, seal=SEAL)
    await first.refresh("tok-0")
    restarted_refresher = FakeRefresher(clock)
    restarted = TokenManager(configured(), store, restarted_refresher, "app", clock, seal=SEAL)
    assert await restarted.access_token() == "tok-1"
    assert restarted_refresher.calls == 0


async def test_a_reauthorized_pair_wins_over_the_store(store: Store) -> None:
    clock = Clock()
    first = TokenManager(configured(), store, FakeRefresher(clock), "app", clock, seal=SEAL)
    await first.refresh("tok-0")
    fresh_pair = TokenPair("new-0", "new-refresh", access_expires_at=NOW + 36_000)
    operator = TokenManager(fresh_pair, store, FakeRefresher(clock), "app", clock, seal=SEAL)
    assert await operator.access_token() == "new-0"


async def test_two_replicas_on_one_store_refresh_once(store: Store) -> None:
    clock = Clock()
    refresher = FakeRefresher(clock)
    replicas = [
        TokenManager(configured(), store, refresher, "app", clock, seal=SEAL) for _ in range(2)
    ]
    results = await asyncio.gather(
        *(replica.refresh("tok-0") for replica in replicas for _ in range(10))
    )
    assert refresher.calls == 1
    assert set(results) == {"tok-1"}


async def test_a_failed_refresh_after_a_401_is_raised(store: Store) -> None:
    clock = Clock()
    manager = TokenManager(
        configured(), store, FakeRefresher(clock, fail=True), "app", clock, seal=SEAL
    )
    with pytest.raises(errors.UpstreamError):
        await manager.refresh("tok-0")
    # The lease is given back: a later refresh can run.
    assert await store.counter("token:app:refreshing") == 0


async def test_a_failed_early_refresh_keeps_the_still_valid_token(store: Store) -> None:
    clock = Clock()
    manager = TokenManager(
        configured(), store, FakeRefresher(clock, fail=True), "app", clock, seal=SEAL
    )
    clock.now = NOW + 36_000 * 0.95
    assert await manager.access_token() == "tok-0"
    clock.now = NOW + 36_001
    with pytest.raises(errors.UpstreamError):
        await manager.access_token()


async def test_no_access_token_configured_refreshes_first(store: Store) -> None:
    clock = Clock()
    refresher = FakeRefresher(clock)
    manager = TokenManager(TokenPair("", "refresh-0"), store, refresher, "app", clock, seal=SEAL)
    assert await manager.access_token() == "tok-1"


async def test_a_refresh_token_near_its_end_is_reported(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    pair = TokenPair("tok-0", "refresh-0", refresh_expires_at=NOW + 10 * 86_400)
    manager = TokenManager(pair, store, FakeRefresher(clock), "app", clock, seal=SEAL)
    with caplog.at_level(logging.WARNING):
        await manager.access_token()
    assert upstream_metrics.REFRESH_TOKEN_EXPIRING._value.get() == 1
    assert upstream_metrics.REFRESH_TOKEN_EXPIRY._value.get() == pytest.approx(10 * 86_400)
    assert any("refresh token ends soon" in record.message for record in caplog.records)
    assert not any("refresh-0" in record.getMessage() for record in caplog.records)


class FakePostponer(FakeRefresher):
    """postponeToken: a new access token and a refresh token good for 180 more days."""

    async def __call__(self, pair: TokenPair) -> TokenPair:
        self.calls += 1
        if self.fail:
            raise errors.UpstreamError(errors.TOKEN_EXPIRED, "postponeToken refused", api="p")
        body = {
            "access_token": f"post-{self.calls}",
            "refresh_token": f"refresh-renewed-{self.calls}",
            "expires_in": "36000",
            "refresh_token_timeout": str(int(self.clock() + 180 * 86_400)),
        }
        return parse_grant(body, self.clock(), pair)


def renewing(
    store: Store, days_left: float, refused: bool = False
) -> tuple[TokenManager, FakeRefresher, FakePostponer]:
    """A manager whose refresh token has ``days_left``, with a refresh and a postpone fake."""
    clock = Clock()
    refresher, postponer = FakeRefresher(clock), FakePostponer(clock, fail=refused)
    pair = TokenPair(
        "tok-0",
        "refresh-0",
        access_expires_at=NOW + 36_000,
        refresh_expires_at=NOW + days_left * 86_400,
    )
    manager = TokenManager(pair, store, refresher, "app", clock, seal=SEAL, postponer=postponer)
    return manager, refresher, postponer


async def test_in_its_last_30_days_the_refresh_token_is_renewed(store: Store) -> None:
    manager, refresher, postponer = renewing(store, 29)
    assert await manager.refresh("tok-0") == "post-1"
    assert (postponer.calls, refresher.calls) == (1, 0)
    assert upstream_metrics.REFRESH_TOKEN_EXPIRING._value.get() == 0
    assert upstream_metrics.REFRESH_TOKEN_EXPIRY._value.get() == pytest.approx(180 * 86_400)
    # The renewed pair is what a restarted replica (same configured seed) picks up.
    restarted, _, _ = renewing(store, 29)
    assert await restarted.access_token() == "post-1"
    assert restarted.secrets() == ["post-1", "refresh-renewed-1"]


async def test_a_refused_renewal_falls_back_to_a_plain_refresh(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    manager, refresher, postponer = renewing(store, 5, refused=True)
    with caplog.at_level(logging.WARNING):
        assert await manager.refresh("tok-0") == "tok-1"
    assert (postponer.calls, refresher.calls) == (1, 1)
    assert manager.secrets() == ["tok-1", "refresh-0"]
    assert upstream_metrics.REFRESH_TOKEN_EXPIRING._value.get() == 1
    assert any("postponing the refresh token failed" in r.message for r in caplog.records)


async def test_a_refresh_token_with_more_than_30_days_is_not_renewed(store: Store) -> None:
    manager, refresher, postponer = renewing(store, 31)
    assert await manager.refresh("tok-0") == "tok-1"
    assert (postponer.calls, refresher.calls) == (0, 1)


@pytest.fixture
async def oauth_server() -> AsyncIterator[tuple[LocalHttp, UpstreamHttp]]:
    server = LocalHttp(lambda request: json_reply({}, 599))
    await server.start()
    http = UpstreamHttp(Limits(max_connections=2, max_keepalive=1, keepalive_expiry_s=5))
    yield server, http
    await http.aclose()
    await server.stop()


async def test_oauth_postpone_sends_both_tokens(
    oauth_server: tuple[LocalHttp, UpstreamHttp],
) -> None:
    server, http = oauth_server
    seen: dict[str, Any] = {}

    def handle(request: Received) -> Reply:
        seen["path"] = request.path
        seen["form"] = request.form
        return json_reply({"access_token": "a2", "refresh_token": "r2", "expires_in": "36000"})

    server.handler = handle
    oauth = OAuthRefresher(http, f"{server.url}/openapi", "app", "sec", "refreshToken", 5.0)
    pair = await oauth.postpone(TokenPair("a1", "r1"))
    assert (pair.access_token, pair.refresh_token) == ("a2", "r2")
    assert seen["path"] == "/openapi/param2/1/system.oauth2/postponeToken/app"
    assert seen["form"] == {
        "client_id": "app",
        "client_secret": "sec",
        "refreshToken": "r1",
        "access_token": "a1",
    }


async def test_the_store_holds_the_pair_sealed(store: Store) -> None:
    clock = Clock()
    manager = TokenManager(configured(), store, FakeRefresher(clock), "app", clock, seal=SEAL)
    await manager.refresh("tok-0")
    stored = await store.get("token:app")
    assert stored is not None
    assert b"tok-1" not in stored and b"refresh-0" not in stored
    opened = SEAL.open(stored)
    assert opened is not None and TokenPair.from_bytes(opened).access_token == "tok-1"


@pytest.mark.parametrize(
    "other",
    [
        TokenSeal("app", "another-secret"),  # the app secret was rotated
        TokenSeal("other-app", "app-secret"),
    ],
)
async def test_a_pair_sealed_with_other_credentials_is_not_used(
    store: Store, other: TokenSeal
) -> None:
    clock = Clock()
    first = TokenManager(configured(), store, FakeRefresher(clock), "app", clock, seal=other)
    await first.refresh("tok-0")
    restarted = TokenManager(configured(), store, FakeRefresher(clock), "app", clock, seal=SEAL)
    assert await restarted.access_token() == "tok-0"


async def test_a_tampered_or_plaintext_stored_pair_is_not_used(store: Store) -> None:
    clock = Clock()
    manager = TokenManager(configured(), store, FakeRefresher(clock), "app", clock, seal=SEAL)
    plain = TokenPair("stolen", "r", origin=fingerprint("tok-0", "refresh-0")).to_bytes()
    await store.put("token:app", plain)
    assert await manager.access_token() == "tok-0"
    sealed = bytearray(SEAL.seal(plain))
    sealed[-5] ^= 1
    await store.put("token:app", bytes(sealed))
    assert await manager.refresh("tok-0") == "tok-1"


def test_the_seal_hides_its_key() -> None:
    assert "app-secret" not in repr(SEAL)


def test_token_pair_repr_hides_values() -> None:
    text = repr(TokenPair("abc-access", "abc-refresh"))
    assert "abc" not in text


def test_parse_grant_keeps_the_refresh_token_and_reads_1688_times() -> None:
    body = {
        "access_token": "a2",
        "expires_in": "36000",
        "refresh_token_timeout": "20250101000000000+0800",
    }
    pair = parse_grant(body, NOW, TokenPair("a1", "r1"))
    assert pair.access_token == "a2"
    assert pair.refresh_token == "r1"
    assert pair.access_expires_at == NOW + 36_000
    assert pair.refresh_expires_at == parse_expiry("20250101000000000+0800")
    assert parse_expiry("1735660800") == 1735660800.0
    assert parse_expiry("20250101000000000+0800") == 1735660800.0
    assert parse_expiry("") is None


def test_parse_grant_without_a_token_is_token_expired() -> None:
    with pytest.raises(errors.UpstreamError) as caught:
        parse_grant({"error": "invalid_grant"}, NOW, TokenPair("a", "r"))
    assert caught.value.reason == errors.TOKEN_EXPIRED


@pytest.mark.parametrize("param", ["refresh_token", "refreshToken"])
async def test_oauth_refresher_sends_the_configured_parameter(
    param: str, oauth_server: tuple[LocalHttp, UpstreamHttp]
) -> None:
    server, http = oauth_server
    seen: dict[str, Any] = {}

    def handle(request: Received) -> Reply:
        seen["path"] = request.path
        seen["form"] = request.form
        return json_reply({"access_token": "a2", "expires_in": "36000"})

    server.handler = handle
    refresher = OAuthRefresher(http, f"{server.url}/openapi", "app", "sec", param, 5.0)
    pair = await refresher(TokenPair("a1", "r1"))
    assert pair.access_token == "a2"
    assert seen["path"] == "/openapi/param2/1/system.oauth2/getToken/app"
    assert seen["form"] == {
        "grant_type": "refresh_token",
        "client_id": "app",
        "client_secret": "sec",
        param: "r1",
    }


async def test_oauth_refresher_refusal_means_reauthorize(
    oauth_server: tuple[LocalHttp, UpstreamHttp],
) -> None:
    server, http = oauth_server
    server.handler = lambda request: json_reply({"error": "invalid_grant"}, 401)
    refresher = OAuthRefresher(http, f"{server.url}/openapi", "app", "sec", "refresh_token", 5)
    with pytest.raises(errors.UpstreamError) as caught:
        await refresher(TokenPair("a1", "r1"))
    assert caught.value.reason == errors.TOKEN_EXPIRED
    assert "sec" not in str(caught.value) and "r1" not in str(caught.value)
