"""A killed gateway leaves the ledger counting what reached the upstream.

Budget 30, 24 concurrent searches of distinct photos, SIGKILL once the sandbox
has seen 4 imageQuery calls, restart on the same store, search until refused,
on SQLite and on Redis. Units are taken after the rate limiter's wait and
marked sent just before the write, and the restart releases the units the
dead process reserved but never sent: the ledger may exceed what the sandbox
saw only by the calls that were on the wire at the kill.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
import redis
from factoryfinder.v1 import gateway_pb2, gateway_pb2_grpc

from services.sandbox.admin.client import SandboxAdmin, TokenPair
from shared.errors import ServiceError
from tests.integration.gateway.harness import (
    QUERY,
    Sandbox,
    gateway_env,
    spawn_gateway,
    stop_process,
)
from tests.integration.gateway.test_gateway_quota import (
    kill_while_searching,
    search_all,
    used_today,
)

BUDGET = 30
# A slow call rate, so most searches wait at the limiter when the gateway dies.
QPS, BURST = 8, 2


async def _settled_count(admin: SandboxAdmin, app_key: str) -> int:
    """The sandbox's imageQuery count once no more arrivals trickle in."""
    last = -1
    while (count := await admin.call_count(app_key, QUERY)) != last:
        last = count
        await asyncio.sleep(0.3)
    return last


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_killed_gateway_leaves_only_calls_on_the_wire_unmatched(
    backend: str,
    request: pytest.FixtureRequest,
    sandbox: Sandbox,
    admin: SandboxAdmin,
    tokens: TokenPair,
    tmp_path: Path,
) -> None:
    if backend == "sqlite":
        store_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    else:
        store_url = str(request.getfixturevalue("redis_server")).rsplit("/", 1)[0] + "/10"
        redis.Redis.from_url(store_url).flushdb()
    env = gateway_env(
        sandbox,
        tokens,
        FF_GATEWAY_STORE_URL=store_url,
        FF_GATEWAY_BUDGETS=f"{QUERY}={BUDGET}",
        FF_GATEWAY_PHASH_DISTANCE="0",
        FF_GATEWAY_LOG_LEVEL="WARNING",
        FF_GATEWAY_QPS=str(QPS),
        FF_GATEWAY_BURST=str(BURST),
    )
    await admin.set_faults(latency_ms=300, apis=[QUERY])
    before_kill = await kill_while_searching(
        env, tmp_path / "first.log", admin, sandbox.app_key, (7000, 24), 4
    )
    unanswered = sum(isinstance(r, ServiceError) for r in before_kill)
    reached_at_kill = await _settled_count(admin, sandbox.app_key)

    process, address = spawn_gateway(env, tmp_path / "second.log")
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = gateway_pb2_grpc.GatewayServiceStub(channel)
            remembered = await used_today(stub)
            after_restart = await search_all([stub], 8000, BUDGET)
            final = await used_today(stub)
    finally:
        stop_process(process)
    reached = await admin.call_count(sandbox.app_key, QUERY)
    on_the_wire = remembered - reached_at_kill
    print(
        f"\n[{backend}] calls on the wire at the kill: {on_the_wire} "
        f"(sandbox imageQuery {reached}, ledger {final}/{BUDGET}, "
        f"searches cut off by the kill: {unanswered})"
    )
    assert unanswered > 0
    # Every call the sandbox saw before the kill is still spent on the ledger...
    assert on_the_wire >= 0
    # ...and nothing else but calls already written: each took a limiter token just
    # before it was sent, so no more than the burst and half a second's refill can be
    # between "sent" and the sandbox at once (queued searches hold no unit; before
    # two-phase units, every queued search's unit was lost: 20 of 30).
    assert on_the_wire <= BURST + QPS // 2
    assert final == BUDGET
    assert reached <= BUDGET
    assert reached == final - on_the_wire
    succeeded = sum(isinstance(r, gateway_pb2.SearchOffersResponse) for r in after_restart)
    assert succeeded == BUDGET - remembered
    refused = [r for r in after_restart if isinstance(r, ServiceError)]
    assert refused and all(error.reason == "QUOTA_EXHAUSTED" for error in refused)
