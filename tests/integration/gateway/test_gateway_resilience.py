"""Upstream trouble, injected through the sandbox's admin API: the gateway's answers."""

from __future__ import annotations

import asyncio
import time

from factoryfinder.v1 import gateway_pb2
from prometheus_client import REGISTRY

from services.sandbox.admin.client import SandboxAdmin, TokenPair
from tests.integration.gateway.harness import (
    GET_TOKEN,
    POSTPONE_TOKEN,
    QUERY,
    UPLOAD,
    Sandbox,
    gateway_env,
    photo,
    rpc_error,
    running_gateway,
)

BREAKER_METRIC = "factoryfinder_gateway_breaker_state"


async def wait_for_calls(admin: SandboxAdmin, app_key: str, api: str, count: int) -> None:
    """Poll the sandbox (another process: nothing to wait on but its counters)."""
    for _ in range(750):
        if await admin.call_count(app_key, api) >= count:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"the sandbox never saw {count} {api} calls")


async def test_an_expired_token_is_refreshed_once_for_all_callers(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    async with running_gateway(gateway_env(sandbox, tokens)) as gateway:
        await gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(10)), timeout=30
        )
        await admin.advance_clock(36_001)
        replies = await asyncio.gather(
            *(
                gateway.stub.SearchOffers(
                    gateway_pb2.SearchOffersRequest(image=photo(11 + i)), timeout=30
                )
                for i in range(8)
            )
        )
        assert all(len(reply.offers) == 20 for reply in replies)
        assert await admin.call_count(sandbox.app_key, GET_TOKEN) == 1
        assert gateway.runtime.tokens.refreshes == 1


async def test_a_refresh_token_in_its_last_days_is_renewed_with_postpone_token(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    # 160 days on, the sandbox's refresh token has 20 of its 180 days left and the access
    # token is long expired; the gateway is told the same end date.
    await admin.advance_clock(160 * 86_400)
    ends = str(int(time.time() + 20 * 86_400))
    env = gateway_env(sandbox, tokens, FF_GATEWAY_REFRESH_TOKEN_EXPIRES_AT=ends)
    async with running_gateway(env) as gateway:
        reply = await gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(30)), timeout=30
        )
        assert len(reply.offers) == 20
        assert await admin.call_count(sandbox.app_key, POSTPONE_TOKEN) == 1
        assert await admin.call_count(sandbox.app_key, GET_TOKEN) == 0
        access, refresh = gateway.runtime.tokens.secrets()
        assert access != tokens.access_token and refresh != tokens.refresh_token
        assert REGISTRY.get_sample_value("factoryfinder_gateway_refresh_token_expiring") == 0
        # 30 more days: beyond the old token's end, the renewed one still refreshes.
        await admin.advance_clock(30 * 86_400)
        reply = await gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(31)), timeout=30
        )
        assert len(reply.offers) == 20
        assert await admin.call_count(sandbox.app_key, GET_TOKEN) == 1


async def test_injected_5xx_are_retried_within_the_deadline(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(
        sandbox, tokens, FF_GATEWAY_MAX_ATTEMPTS="8", FF_GATEWAY_BREAKER_FAILURES="20"
    )
    async with running_gateway(env) as gateway:
        await admin.set_faults(fault_5xx_rate=1.0, apis=[QUERY])
        search = asyncio.ensure_future(
            gateway.stub.SearchOffers(gateway_pb2.SearchOffersRequest(image=photo(20)), timeout=20)
        )
        await wait_for_calls(admin, sandbox.app_key, QUERY, 2)
        await admin.set_faults(fault_5xx_rate=0.0)
        reply = await search
        assert len(reply.offers) == 20
        queries = await admin.call_count(sandbox.app_key, QUERY)
        assert queries >= 3
        assert {line.api: line.calls for line in reply.quota_spent}[QUERY] == queries


async def test_persistent_5xx_give_up_after_the_attempts(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(sandbox, tokens, FF_GATEWAY_MAX_ATTEMPTS="3")
    async with running_gateway(env) as gateway:
        await admin.set_faults(fault_5xx_rate=1.0, apis=[QUERY])
        error = await rpc_error(
            gateway.stub.SearchOffers(gateway_pb2.SearchOffersRequest(image=photo(21)), timeout=20)
        )
    assert (error.code.value, error.reason) == ("UNAVAILABLE", "UPSTREAM_UNAVAILABLE")
    assert await admin.call_count(sandbox.app_key, QUERY) == 3


async def test_a_hang_is_cut_by_the_read_timeout_and_retried(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(sandbox, tokens, FF_GATEWAY_READ_TIMEOUT_S="0.5")
    async with running_gateway(env) as gateway:
        await admin.set_faults(fault_hang_rate=1.0, apis=[QUERY])
        search = asyncio.ensure_future(
            gateway.stub.SearchOffers(gateway_pb2.SearchOffersRequest(image=photo(22)), timeout=10)
        )
        await wait_for_calls(admin, sandbox.app_key, QUERY, 1)
        await admin.set_faults(fault_hang_rate=0.0)
        started = time.monotonic()
        reply = await search
        assert len(reply.offers) == 20
        assert time.monotonic() - started < 2.5
        assert await admin.call_count(sandbox.app_key, QUERY) >= 2


async def test_a_hang_never_outlives_the_callers_deadline(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(sandbox, tokens, FF_GATEWAY_READ_TIMEOUT_S="0.4")
    async with running_gateway(env) as gateway:
        await gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(23)), timeout=20
        )
        await admin.set_faults(fault_hang_rate=1.0, apis=[QUERY])
        before = max((c.seq for c in await admin.requests()), default=0)
        # CLOCK_MONOTONIC is one clock for every process on the machine, so the
        # sandbox's log can be compared with the caller's deadline directly.
        deadline = time.monotonic() + 1.5
        error = await rpc_error(
            gateway.stub.SearchOffers(
                gateway_pb2.SearchOffersRequest(image=photo(23), page_size=10), timeout=1.5
            )
        )
    assert error.code.value in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
    attempts = await admin.requests(since=before, api=QUERY)
    assert len(attempts) >= 3
    assert all(attempt.start < deadline for attempt in attempts)


async def test_signature_errors_are_not_retried(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(sandbox, tokens, FF_GATEWAY_APP_SECRET="not-the-secret")
    async with running_gateway(env) as gateway:
        error = await rpc_error(
            gateway.stub.SearchOffers(gateway_pb2.SearchOffersRequest(image=photo(24)), timeout=20)
        )
    assert (error.code.value, error.reason) == ("INTERNAL", "UPSTREAM_SIGNATURE_INVALID")
    assert error.metadata["upstream_code"] == "gw.SignatureInvalid"
    assert await admin.call_count(sandbox.app_key, UPLOAD) == 1
    assert await admin.call_count(sandbox.app_key, QUERY) == 0


async def test_the_breaker_opens_and_recovers(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(
        sandbox,
        tokens,
        FF_GATEWAY_MAX_ATTEMPTS="1",
        FF_GATEWAY_BREAKER_FAILURES="3",
        FF_GATEWAY_BREAKER_RESET_S="1.0",
    )
    async with running_gateway(env) as gateway:
        await admin.set_faults(fault_5xx_rate=1.0, apis=[QUERY])
        request = gateway_pb2.SearchOffersRequest(image=photo(25))
        for _ in range(3):
            failed = await rpc_error(gateway.stub.SearchOffers(request, timeout=10))
            assert failed.reason == "UPSTREAM_UNAVAILABLE"
        opened = await rpc_error(gateway.stub.SearchOffers(request, timeout=10))
        assert (opened.code.value, opened.reason) == ("UNAVAILABLE", "CIRCUIT_OPEN")
        assert opened.retry_after_seconds is not None and 0 < opened.retry_after_seconds <= 1.0
        assert await admin.call_count(sandbox.app_key, QUERY) == 3
        usage = await gateway.stub.GetQuotaUsage(gateway_pb2.GetQuotaUsageRequest(), timeout=10)
        breakers = {b.api: b for b in usage.breakers}
        assert breakers[QUERY].state == gateway_pb2.BREAKER_STATE_OPEN
        assert breakers[QUERY].consecutive_failures == 3
        assert REGISTRY.get_sample_value(BREAKER_METRIC, {"api": QUERY}) == 1

        await admin.set_faults(fault_5xx_rate=0.0)
        await asyncio.sleep(1.05)
        reply = await gateway.stub.SearchOffers(request, timeout=10)
        assert len(reply.offers) == 20
        usage = await gateway.stub.GetQuotaUsage(gateway_pb2.GetQuotaUsageRequest(), timeout=10)
        assert {b.api: b.state for b in usage.breakers}[QUERY] == gateway_pb2.BREAKER_STATE_CLOSED
        assert REGISTRY.get_sample_value(BREAKER_METRIC, {"api": QUERY}) == 0


async def test_a_frequency_limit_storm_is_waited_out(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(sandbox, tokens, FF_GATEWAY_FREQUENCY_BACKOFF_S="0.25")
    async with running_gateway(env) as gateway:
        await admin.set_faults(fault_storm_rate=1.0, storm_seconds=0.4, apis=[QUERY])
        search = asyncio.ensure_future(
            gateway.stub.SearchOffers(gateway_pb2.SearchOffersRequest(image=photo(26)), timeout=10)
        )
        await wait_for_calls(admin, sandbox.app_key, QUERY, 1)
        await admin.set_faults(fault_storm_rate=0.0)
        reply = await search
    assert len(reply.offers) == 20
    logged = await admin.requests(api=QUERY)
    assert logged[0].error_code == "gw.QosAppFrequencyLimit"
    assert logged[-1].status == 200
