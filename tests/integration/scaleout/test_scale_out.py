"""Scale-out on one machine: 3 preprocess and 2 gateway replicas (sharing one
redis-server) behind one aggregator.

The aggregator balances round-robin over the preprocess replicas, so each gets
a fair share; and when one replica is SIGKILLed mid-run, the channel's retry
policy for UNAVAILABLE sends the calls it had not started to the others, and the
aggregator sends again those it had (services/aggregator/downstream.py): no
caller request is lost.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from services.cli.launcher import Child
from tests.e2e.photos import variant
from tests.integration.scaleout.cluster import Caller, start_cluster

PREPARE = "/factoryfinder.v1.PreprocessService/PrepareImage"
NAMES = ("phone_rotated.jpg", "low_contrast.jpg", "product.webp", "detail_closeup.jpg")


def _prepare_calls(child: Child) -> int:
    lines = child.log_path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if '"method": "' + PREPARE + '"' in line and '"rpc"' in line)


@pytest.fixture
async def replicas(redis_server: str) -> AsyncIterator[list[Child]]:
    log_dir = Path(tempfile.mkdtemp(prefix="ff-scale-"))
    cluster = await start_cluster(
        log_dir, preprocess=3, gateways=2, gateway_env={"FF_GATEWAY_STORE_URL": redis_server}
    )
    yield cluster.children
    await cluster.stop()


async def test_load_spreads_and_a_killed_replica_loses_no_request(replicas: list[Child]) -> None:
    aggregator = replicas[-1]
    preprocess = [c for c in replicas if c.name == "preprocess"]
    photos = [variant(NAMES[i % 4], 5000 + i) for i in range(48)]
    async with grpc.aio.insecure_channel(aggregator.address) as channel:
        search = Caller(channel).search

        first = await asyncio.gather(*(search(p) for p in photos[:24]))
        counts = [_prepare_calls(c) for c in preprocess]
        assert sum(counts) == 24
        assert max(counts) <= 2 * min(counts), counts

        victim = preprocess[0]
        tasks = [asyncio.ensure_future(search(p)) for p in photos[24:]]
        await asyncio.sleep(0.3)
        victim.process.send_signal(signal.SIGKILL)
        second = await asyncio.gather(*tasks)
    assert len(second) == 24
    assert all(r.offers for r in [*first, *second])
    survivors = [_prepare_calls(c) for c in preprocess[1:]]
    assert sum(survivors) - sum(counts[1:]) >= 24 - _prepare_calls(victim) + counts[0], survivors
