"""A killed gateway replica loses no caller and is not paid for twice.

2 gateways on one redis-server, 3 preprocess replicas, 120 searches of
distinct photos from 8 callers; one preprocess replica is SIGKILLed at 40
answered searches and one gateway replica at 80. The aggregator retries a
call whose replica died on the other one under the same idempotency key; the
replicas share ledger and caches, so the retry pays only for what the dead
attempt never got back. What the sandbox saw beyond the answered uncached
searches is what the dead replica had on the wire.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import grpc
import pytest
import redis
from factoryfinder.v1 import search_pb2

from services.cli.launcher import Child
from services.sandbox.admin.client import SandboxAdmin
from tests.e2e.photos import variant
from tests.integration.scaleout.cluster import QUERY, Caller, Cluster, start_cluster

NAMES = ("phone_rotated.jpg", "low_contrast.jpg", "product.webp", "detail_closeup.jpg")
SEARCHES, CALLERS = 120, 8
KILL_PREPROCESS_AT, KILL_GATEWAY_AT = 40, 80


class Run:
    """8 callers over one queue of photos; replicas are killed as answers come in."""

    def __init__(self, cluster: Cluster, caller: Caller) -> None:
        self.cluster = cluster
        self.caller = caller
        self.photos = asyncio.Queue[bytes]()
        for index in range(SEARCHES):
            self.photos.put_nowait(variant(NAMES[index % 4], 9000 + index))
        self.answers: list[search_pb2.SearchByImageResponse] = []
        self.failures: list[grpc.aio.AioRpcError] = []
        self.in_flight = 0
        self.in_flight_at_gateway_kill = -1

    async def caller_loop(self) -> None:
        while not self.photos.empty():
            photo = self.photos.get_nowait()
            self.in_flight += 1
            try:
                self.answers.append(await self.caller.search(photo))
            except grpc.aio.AioRpcError as exc:
                self.failures.append(exc)
            finally:
                self.in_flight -= 1
            await self._kill_on_schedule()

    async def _kill_on_schedule(self) -> None:
        done = len(self.answers) + len(self.failures)
        if done == KILL_PREPROCESS_AT:
            await _kill(self.cluster.replicas("preprocess")[0])
        elif done == KILL_GATEWAY_AT:
            self.in_flight_at_gateway_kill = self.in_flight
            await _kill(self.cluster.replicas("gateway")[0])


async def _kill(child: Child) -> None:
    child.process.kill()
    await child.process.wait()


@pytest.mark.redis
async def test_killed_replicas_fail_no_search_and_cost_only_their_calls_on_the_wire(
    redis_server: str,
) -> None:
    store_url = redis_server.rsplit("/", 1)[0] + "/11"
    redis.Redis.from_url(store_url).flushdb()
    cluster = await start_cluster(
        Path(tempfile.mkdtemp(prefix="ff-gateway-kill-")),
        preprocess=3,
        gateways=2,
        # Distance 0: every variant is its own photo (one upload, one query).
        gateway_env={"FF_GATEWAY_STORE_URL": store_url, "FF_GATEWAY_PHASH_DISTANCE": "0"},
    )
    try:
        async with SandboxAdmin(cluster.sandbox_url) as admin:
            # Slow queries, so some are on the wire when the gateway dies.
            await admin.set_faults(latency_ms=150, apis=[QUERY])
        async with grpc.aio.insecure_channel(cluster.aggregator.address) as channel:
            run = Run(cluster, Caller(channel))
            await asyncio.gather(*(run.caller_loop() for _ in range(CALLERS)))
        queries = await cluster.calls(QUERY)
    finally:
        await cluster.stop()
    uncached = sum(not answer.from_cache for answer in run.answers)
    on_the_wire = queries - uncached
    print(
        f"\ncalls on the wire at the gateway kill: {on_the_wire} "
        f"(sandbox imageQuery {queries}, answered uncached searches {uncached}, "
        f"searches in flight at the kill {run.in_flight_at_gateway_kill})"
    )
    assert [exc.details() for exc in run.failures] == []
    assert len(run.answers) == SEARCHES
    assert all(answer.offers for answer in run.answers)
    assert run.in_flight_at_gateway_kill >= 0
    assert 0 <= on_the_wire <= run.in_flight_at_gateway_kill
