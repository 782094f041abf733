"""A scripted upstream behind a real HTTP server on 127.0.0.1 (aiohttp.web).

Each request is handed to ``handler`` as a :class:`Received`; it answers with a
:class:`Reply`, a :class:`Stall` (the reply comes only after some seconds: read
timeouts) or :data:`DROP` (the connection is closed without a reply). Stopping the
server and starting it again on the same port gives refused connections in between.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass(frozen=True)
class Received:
    path: str
    form: dict[str, str]
    # Case-insensitive, as HTTP headers are.
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload).encode())


def text_reply(text: str, status: int = 200) -> Reply:
    return Reply(status, text.encode(), "text/plain")


@dataclass(frozen=True)
class Stall:
    """No reply for ``seconds``, then ``then``."""

    seconds: float
    then: Reply


class _Drop:
    pass


DROP = _Drop()

Answer = Reply | Stall | _Drop
Handler = Callable[[Received], Answer]


class LocalHttp:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.port = 0
        # The client ports requests came from (one per connection).
        self.peers: set[object] = set()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        self.port = next(port for _host, port, *_ in runner.addresses)
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        answer = self.handler(Received(request.path, form, request.headers))
        if isinstance(answer, _Drop):
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        if isinstance(answer, Stall):
            await asyncio.sleep(answer.seconds)
            answer = answer.then
        return web.Response(
            status=answer.status, body=answer.body, content_type=answer.content_type
        )
