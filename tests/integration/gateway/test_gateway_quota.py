"""Daily budgets hold across replicas (Redis) and across a kill -9 (SQLite).

The gateways run as real processes (``factoryfinder serve gateway``) and
the sandbox counts what actually reached it.
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
from shared.grpc_errors import from_rpc_error
from tests.integration.gateway.harness import (
    QUERY,
    UPLOAD,
    Sandbox,
    gateway_env,
    photo,
    spawn_gateway,
    stop_process,
    tenant,
)

BUDGET = 50


def quota_env(sandbox: Sandbox, tokens: TokenPair, store_url: str) -> dict[str, str]:
    return gateway_env(
        sandbox,
        tokens,
        FF_GATEWAY_STORE_URL=store_url,
        FF_GATEWAY_BUDGETS=f"{QUERY}={BUDGET}",
        FF_GATEWAY_PHASH_DISTANCE="0",
        FF_GATEWAY_LOG_LEVEL="WARNING",
    )


async def search_all(
    stubs: list[gateway_pb2_grpc.GatewayServiceAsyncStub], first_photo: int, count: int
) -> list[gateway_pb2.SearchOffersResponse | ServiceError]:
    async def one(index: int) -> gateway_pb2.SearchOffersResponse | ServiceError:
        stub = stubs[index % len(stubs)]
        request = gateway_pb2.SearchOffersRequest(image=photo(first_photo + index, side=160))
        try:
            reply: gateway_pb2.SearchOffersResponse = await stub.SearchOffers(
                request, metadata=tenant(), timeout=60
            )
            return reply
        except grpc.aio.AioRpcError as exc:
            return from_rpc_error(exc, "gateway")

    return await asyncio.gather(*(one(i) for i in range(count)))


async def used_today(stub: gateway_pb2_grpc.GatewayServiceAsyncStub) -> int:
    usage: gateway_pb2.GetQuotaUsageResponse = await stub.GetQuotaUsage(
        gateway_pb2.GetQuotaUsageRequest(), timeout=10
    )
    return next(int(line.used) for line in usage.app_usage if line.api == QUERY)


@pytest.mark.redis
async def test_two_replicas_on_one_redis_spend_exactly_the_budget(
    sandbox: Sandbox,
    admin: SandboxAdmin,
    tokens: TokenPair,
    redis_server: str,
    tmp_path: Path,
) -> None:
    store_url = redis_server.rsplit("/", 1)[0] + "/9"
    redis.Redis.from_url(store_url).flushdb()
    env = quota_env(sandbox, tokens, store_url)
    replicas = [spawn_gateway(env, tmp_path / f"replica{i}.log") for i in range(2)]
    try:
        channels = [grpc.aio.insecure_channel(address) for _, address in replicas]
        stubs = [gateway_pb2_grpc.GatewayServiceStub(channel) for channel in channels]
        results = await search_all(stubs, 1000, 4 * BUDGET)
        ledger = await used_today(stubs[0])
        for channel in channels:
            await channel.close()
    finally:
        for process, _ in replicas:
            stop_process(process)
    succeeded = [r for r in results if isinstance(r, gateway_pb2.SearchOffersResponse)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(succeeded) == BUDGET
    assert len(refused) == 3 * BUDGET
    for error in refused:
        assert (error.code.value, error.reason) == ("RESOURCE_EXHAUSTED", "QUOTA_EXHAUSTED")
        assert error.retry_after_seconds is not None and error.retry_after_seconds > 0
        assert [v.subject for v in error.quota_violations] == [f"app:{QUERY}"]
    assert await admin.call_count(sandbox.app_key, QUERY) == BUDGET
    # The query unit is reserved before the upload: refused searches burn no upload.
    assert await admin.call_count(sandbox.app_key, UPLOAD) == BUDGET
    assert ledger == BUDGET


async def wait_for_arrivals(admin: SandboxAdmin, app_key: str, count: int) -> None:
    for _ in range(1500):
        if await admin.call_count(app_key, QUERY) >= count:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"fewer than {count} queries reached the sandbox")


async def kill_while_searching(
    env: dict[str, str],
    log: Path,
    admin: SandboxAdmin,
    app_key: str,
    photos: tuple[int, int],
    kill_after: int,
) -> list[gateway_pb2.SearchOffersResponse | ServiceError]:
    """One gateway searches ``photos`` (first photo number, count) concurrently and is
    SIGKILLed once the sandbox has seen ``kill_after`` queries; what each caller got."""
    process, address = spawn_gateway(env, log)
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = gateway_pb2_grpc.GatewayServiceStub(channel)
            batch = asyncio.ensure_future(search_all([stub], *photos))
            await wait_for_arrivals(admin, app_key, kill_after)
            process.kill()
            process.wait(timeout=10)
            return await batch
    finally:
        stop_process(process)


async def test_sqlite_budget_survives_kill_9(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair, tmp_path: Path
) -> None:
    env = quota_env(sandbox, tokens, f"sqlite:///{tmp_path / 'gateway.db'}")
    # Slow queries, so some are in flight when the gateway dies.
    await admin.set_faults(latency_ms=300, apis=[QUERY])
    before_kill = await kill_while_searching(
        env, tmp_path / "first.log", admin, sandbox.app_key, (2000, 40), 15
    )
    reached_before = await admin.call_count(sandbox.app_key, QUERY)
    assert any(isinstance(r, ServiceError) for r in before_kill)

    process, address = spawn_gateway(env, tmp_path / "second.log")
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = gateway_pb2_grpc.GatewayServiceStub(channel)
            remembered = await used_today(stub)
            after_restart = await search_all([stub], 3000, 2 * BUDGET)
            final = await used_today(stub)
    finally:
        stop_process(process)
    reached = await admin.call_count(sandbox.app_key, QUERY)
    # Every query that reached the upstream before the kill is still on the ledger.
    assert remembered >= reached_before
    # Never overspent, and the budget is used up exactly.
    assert reached <= BUDGET
    assert final == BUDGET
    # Only units reserved by calls killed before they left can be missing upstream.
    assert reached == BUDGET - (remembered - reached_before)
    succeeded = sum(isinstance(r, gateway_pb2.SearchOffersResponse) for r in after_restart)
    assert succeeded == BUDGET - remembered
    refused = [r for r in after_restart if isinstance(r, ServiceError)]
    assert all(error.reason == "QUOTA_EXHAUSTED" for error in refused)
