"""Scale-out on one machine: 3 preprocess and 2 gateway replicas (sharing one
redis-server) behind one aggregator.

The aggregator balances round-robin over the preprocess replicas, so each gets
a fair share; and when one replica is SIGKILLed mid-run, the channel's retry
policy for UNAVAILABLE sends the affected calls to the others: no caller
request is lost.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from factoryfinder.v1 import common_pb2, search_pb2, search_pb2_grpc

from shared.cli import provisioning
from shared.cli.launcher import Child, spawn_service, stop_all, wait_serving
from tests.e2e.photos import variant

API_KEY = "scale-out-key"
PREPARE = "/factoryfinder.v1.PreprocessService/PrepareImage"
NAMES = ("phone_rotated.jpg", "low_contrast.jpg", "product.webp", "detail_closeup.jpg")


async def _start(redis_url: str, log_dir: Path) -> list[Child]:
    children: list[Child] = []
    try:
        app = provisioning.SandboxApp.fresh()
        sandbox_env = {**app.sandbox_env(), "FF_SANDBOX_QPS_DEFAULT": "0"}
        children.append(await spawn_service("sandbox", sandbox_env, log_dir, "--port", "0"))
        gateway_env = await provisioning.gateway_env_for_sandbox(
            f"http://{children[0].address}", app, log_dir, {}
        )
        gateway_env.update(
            FF_GATEWAY_STORE_URL=redis_url, FF_GATEWAY_QPS="1000", FF_GATEWAY_BURST="1000"
        )
        plan = [("preprocess", {"FF_PREPROCESS_WORKERS": "1"})] * 3
        plan += [("gateway", gateway_env)] * 2 + [("ranking", {}), ("planning", {})]
        for index, (name, env) in enumerate(plan):
            children.append(await spawn_service(name, env, log_dir, log_name=f"{name}-{index}"))
        by_kind: dict[str, list[str]] = {}
        for child in children[1:]:
            by_kind.setdefault(child.name, []).append(child.address)
        addresses = {kind: ",".join(found) for kind, found in by_kind.items()}
        env = provisioning.aggregator_env(addresses, 0, API_KEY, "scale")
        children.append(await spawn_service("aggregator", env, log_dir))
        await asyncio.gather(*(wait_serving(c.address) for c in children[1:]))
        return children
    except BaseException:
        await stop_all(children)
        raise


def _prepare_calls(child: Child) -> int:
    lines = child.log_path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if '"method": "' + PREPARE + '"' in line and '"rpc"' in line)


@pytest.fixture
async def replicas(redis_server: str) -> AsyncIterator[list[Child]]:
    log_dir = Path(tempfile.mkdtemp(prefix="ff-scale-"))
    children = await _start(redis_server, log_dir)
    yield children
    await stop_all(children)


async def test_load_spreads_and_a_killed_replica_loses_no_request(replicas: list[Child]) -> None:
    aggregator = replicas[-1]
    preprocess = [c for c in replicas if c.name == "preprocess"]
    metadata = (("authorization", f"Bearer {API_KEY}"),)
    photos = [variant(NAMES[i % 4], 5000 + i) for i in range(48)]
    async with grpc.aio.insecure_channel(aggregator.address) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)

        async def search(data: bytes) -> search_pb2.SearchByImageResponse:
            request = search_pb2.SearchByImageRequest(photo=common_pb2.Photo(image_data=data))
            response: search_pb2.SearchByImageResponse = await stub.SearchByImage(
                request, metadata=metadata, timeout=120
            )
            return response

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
