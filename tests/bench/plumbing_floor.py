"""The floor under factoryfinder's own time: the same messages through bare plumbing.

A search's own time (``bench_aggregator``) is spent in the hops as much as in our code:
the caller's photo to the aggregator, the prepared photo to the gateway, the gateway's two
HTTP calls to the upstream (the upload's form, then the query), the page back, the page to
ranking and the response to the caller. This module sends messages of the same sizes
along the same chain of processes with nothing else in them — bare ``grpc.aio`` servers
with a raw-bytes method (no interceptors, logging, tracing, validation), an ``aiohttp``
client (the cheapest measured here) and a bare ``aiohttp`` server that reads the body and
answers a fixed JSON — so no code of ours can go below it on the same machine:

    caller -> front (aggregator's place) -> back (gateway's) -> http (upload, query)
                   \\-> edge (ranking's)

The bare HTTP server answers after ``latency_ms`` (the stack's bench runs its sandbox at a
fixed 300 ms) and reports its span (handler start to reply rendered, as the sandbox logs
it) in a header; the span of each chain's upstream calls is subtracted from what the
caller waited, as the stack's bench subtracts the sandbox's. With a latency the floor's
processes sit idle between the hops as the stack's do (their caches and the CPU's cool
down), which a floor run back to back does not show. Image work (preprocess) has no part
in either.

Run as a child process per role: ``python -m tests.bench.plumbing_floor ROLE ...``; it
prints its bound port on its first line. ``measure_floor`` starts the chain, runs it at
1 caller and at 32, and stops it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from aiohttp import ClientSession, TCPConnector, web

_METHOD = "/floor.Hop/Call"
_HANDLER = grpc.method_handlers_generic_handler
_BIG = 64 * 1024 * 1024
# Raw bytes both ways (no serializers given).
_Call = grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]
_OPTIONS = [("grpc.max_receive_message_length", _BIG), ("grpc.max_send_message_length", _BIG)]
# The upstream's span, seconds: the HTTP server's header, then the hops' trailing metadata.
_SPAN = "x-span"


@dataclass(frozen=True)
class Sizes:
    """Bytes: the caller's photo, the prepared photo, the upload's form body, the page
    (the gateway's reply and ranking's request), the response to the caller."""

    photo: int
    prepared: int
    form: int
    page: int
    response: int


async def _serve(handler: grpc.GenericRpcHandler) -> None:
    server = grpc.aio.server(options=_OPTIONS)
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()


def _unary(fn: object) -> grpc.GenericRpcHandler:
    return _HANDLER("floor.Hop", {"Call": grpc.unary_unary_rpc_method_handler(fn)})  # type: ignore[arg-type]


async def _http_role(latency_ms: int) -> None:
    async def upload(request: web.Request) -> web.Response:
        started = time.perf_counter()
        await request.read()
        await asyncio.sleep(latency_ms / 1000)
        answer = web.json_response({"result": {"success": True, "result": "img-1"}})
        answer.headers[_SPAN] = repr(time.perf_counter() - started)
        return answer

    app = web.Application(client_max_size=_BIG)
    app.router.add_post("/upload", upload)
    app.router.add_post("/query", upload)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()


async def _back_role(http_port: int, form: int, page: int) -> None:
    body, query, reply = os.urandom(form // 2).hex().encode(), b"q=1" * 100, os.urandom(page)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with ClientSession(connector=TCPConnector(limit=100)) as http:

        async def call(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
            upstream = 0.0
            for path, data in (("/upload", body), ("/query", query)):
                async with http.post(
                    f"http://127.0.0.1:{http_port}{path}", data=data, headers=headers
                ) as answer:
                    await answer.read()
                    upstream += float(answer.headers[_SPAN])
            context.set_trailing_metadata(((_SPAN, repr(upstream)),))
            return reply

        await _serve(_unary(call))


async def _edge_role() -> None:
    async def call(request: bytes, context: object) -> bytes:
        return request

    await _serve(_unary(call))


async def _front_role(back: int, edge: int, prepared: int, response: int) -> None:
    photo, reply = os.urandom(prepared), os.urandom(response)
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{back}", options=_OPTIONS) as to_back,
        grpc.aio.insecure_channel(f"127.0.0.1:{edge}", options=_OPTIONS) as to_edge,
    ):
        gateway: _Call = to_back.unary_unary(_METHOD)
        ranking: _Call = to_edge.unary_unary(_METHOD)

        async def call(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
            hop = gateway(photo, timeout=30)
            page = await hop
            await ranking(page, timeout=30)
            context.set_trailing_metadata(((_SPAN, _span(await hop.trailing_metadata())),))
            return reply

        await _serve(_unary(call))


def _start(role: str, *args: int) -> tuple[subprocess.Popen[str], int]:
    from services.cli.launcher import ALLOCATOR_DEFAULTS  # the services' allocator settings

    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.plumbing_floor", role, *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
        env={**ALLOCATOR_DEFAULTS, **os.environ},
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


async def _run(port: int, photo: bytes, callers: int, rounds: int) -> list[float]:
    times: list[float] = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=_OPTIONS) as channel:
        call: _Call = channel.unary_unary(_METHOD)

        async def one() -> float:
            started = time.perf_counter()
            hop = call(photo, timeout=60)
            await hop
            waited = time.perf_counter() - started
            return waited - float(_span(await hop.trailing_metadata()))

        for _ in range(3):  # warm-up: connections, first-call setup
            await one()
        for _ in range(rounds):
            times += await asyncio.gather(*(one() for _ in range(callers)))
    return sorted(t * 1000 for t in times)


def _span(metadata: object) -> str:
    return dict(metadata)[_SPAN]  # type: ignore[call-overload, no-any-return]


def measure_floor(
    sizes: Sizes, plan: Sequence[tuple[int, int]], latency_ms: int = 0
) -> list[list[float]]:
    """Milliseconds (what the caller waited minus the upstream's spans), sorted, for each
    (callers, rounds) of ``plan``, with the upstream answering after ``latency_ms``."""
    started: list[subprocess.Popen[str]] = []
    try:
        http, http_port = _start("http", latency_ms)
        started.append(http)
        back, back_port = _start("back", http_port, sizes.form, sizes.page)
        started.append(back)
        edge, edge_port = _start("edge")
        started.append(edge)
        front, front_port = _start("front", back_port, edge_port, sizes.prepared, sizes.response)
        started.append(front)
        photo = os.urandom(sizes.photo)
        return [asyncio.run(_run(front_port, photo, c, r)) for c, r in plan]
    finally:
        for process in started:
            process.kill()
            process.wait()


def main(argv: Sequence[str]) -> None:
    role, args = argv[0], [int(a) for a in argv[1:]]
    roles = {"http": _http_role, "back": _back_role, "edge": _edge_role, "front": _front_role}
    asyncio.run(roles[role](*args))  # type: ignore[operator]


if __name__ == "__main__":
    main(sys.argv[1:])
