"""What one of our unary RPCs costs beyond its handler: our server and channel plumbing
(shared.grpc_server, shared.grpc_client, shared.tracing: request id, error mapping, the
per-call log line, metrics, trace context) against a bare grpc.aio server and channel.

Both servers run the same trivial RankOffers handler (an empty response) in this process,
on loopback; the channels take turns call by call (ours-ours, ours-bare, bare-ours,
bare-bare), so a busy shared machine slows all four alike. Requests: 1 offer, and one
with a 400 KB field (the size of the prepared JPEG the aggregator sends the gateway).
Reported: median wall time and mean CPU time (time.process_time, both ends together).
Tracing as in production without an OTLP endpoint (spans not recorded).
Run: python -m tests.bench.bench_rpc_hop
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from factoryfinder.v1 import ranking_pb2, ranking_pb2_grpc

from services.ranking.server import SERVICE_NAME
from services.ranking.settings import RankingSettings
from shared import json_logging, tracing
from shared.config import load
from shared.grpc_client import open_channel
from shared.grpc_server import ServiceSpec, start_server
from tests.bench.bench_ranking import make_request

CALLS = 1000
_BIG = 32 * 1024 * 1024


class _Echo(ranking_pb2_grpc.RankingServiceServicer):
    async def RankOffers(
        self, request: ranking_pb2.RankOffersRequest, context: Any
    ) -> ranking_pb2.RankOffersResponse:
        return ranking_pb2.RankOffersResponse()


def _register(server: grpc.aio.Server) -> None:
    ranking_pb2_grpc.add_RankingServiceServicer_to_server(_Echo(), server)


async def _run(request: ranking_pb2.RankOffersRequest, calls: int) -> None:
    ours = await start_server(
        ServiceSpec("bench", [SERVICE_NAME], _register), load(RankingSettings)
    )
    bare = grpc.aio.server(options=[("grpc.max_receive_message_length", _BIG)])
    _register(bare)
    bare_address = f"127.0.0.1:{bare.add_insecure_port('127.0.0.1:0')}"
    await bare.start()
    options = [("grpc.max_send_message_length", _BIG)]
    channels = {
        "our server, our channel": open_channel(
            [ours.address], SERVICE_NAME, retry_unavailable=True
        ),
        "our server, bare channel": grpc.aio.insecure_channel(ours.address, options=options),
        "bare server, our channel": open_channel(
            [bare_address], SERVICE_NAME, retry_unavailable=True
        ),
        "bare server, bare channel": grpc.aio.insecure_channel(bare_address, options=options),
    }
    stubs: dict[str, Callable[..., Awaitable[Any]]] = {
        name: ranking_pb2_grpc.RankingServiceStub(channel).RankOffers
        for name, channel in channels.items()
    }
    wall: dict[str, list[float]] = {name: [] for name in stubs}
    cpu: dict[str, list[float]] = {name: [] for name in stubs}
    warm_up = 50
    for index in range(warm_up + calls):
        for name, stub in stubs.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            await stub(request, timeout=5)
            if index >= warm_up:
                cpu[name].append(time.process_time() - started_cpu)
                wall[name].append(time.perf_counter() - started)
    size = len(request.SerializeToString())
    base = statistics.median(wall["bare server, bare channel"])
    for name in stubs:
        median = statistics.median(wall[name])
        print(
            f"{size:>7} B  {name:<26} wall median {median * 1000:6.3f} ms "
            f"(+{(median - base) * 1000:5.3f})  cpu mean {statistics.mean(cpu[name]) * 1000:6.3f} ms"
        )
    for channel in channels.values():
        await channel.close()
    await bare.stop(0)
    await ours.shutdown(grace=0)


def main() -> None:
    json_logging.configure("bench", "INFO")
    # The per-call log lines are part of what is measured; they are written, to nowhere.
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    tracing.configure("bench", {})
    small = make_request(1)
    large = make_request(1)
    large.offers[0].title = "x" * 400_000
    asyncio.run(_run(small, CALLS))
    asyncio.run(_run(large, CALLS // 4))


if __name__ == "__main__":
    main()
