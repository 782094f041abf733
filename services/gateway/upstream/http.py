"""The gateway's HTTP client for the upstream: form POSTs over pooled keep-alive connections.

aiohttp rather than httpx: httpx's pure-Python path (its connection pool, h11, anyio,
and cookie extraction building urllib Requests) cost 1.5-1.9 ms of client CPU per
300 KB form POST measured alone, aiohttp's C parser and plain asyncio transports
0.4-0.6 ms; in the running stack httpx was ~10 ms of the gateway's CPU per search (two
calls). Idle keep-alive connections are capped by overriding the connector's private
``_release`` (aiohttp has no public knob for it): checked by a test, pinned version.

What a caller gets is a :class:`Reply` (status and body) or an :class:`HttpFailure`
saying whether the request may have reached the upstream (``reached``) and whether it
timed out. Not reached: the connection was refused or could not be made (or pooled) in
time; anything after that (a read timeout, a dropped connection, a broken body) may
have been seen by the upstream.

Timeouts: ``connect_s`` bounds making the TCP connection, ``read_s`` each wait for
bytes of the reply and also the wait for a free pooled connection plus the connect
(as httpx's pool timeout did), and ``total_s`` the whole exchange (the caller's
deadline). No cookies are kept, no redirects followed, no proxies taken from the
environment. The session is made on first use (aiohttp wants a running loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ConnectionKey


@dataclass(frozen=True)
class Limits:
    max_connections: int
    # Idle keep-alive connections kept open (0: a connection per request).
    max_keepalive: int
    keepalive_expiry_s: float


@dataclass(frozen=True)
class Reply:
    status: int
    content: bytes


class HttpFailure(Exception):
    """No reply: ``reached`` says whether the request may have got to the upstream."""

    def __init__(self, what: str, *, reached: bool, timed_out: bool) -> None:
        super().__init__(what)
        self.reached = reached
        self.timed_out = timed_out


class _Connector(aiohttp.TCPConnector):
    """A TCPConnector that keeps at most ``max_keepalive`` idle connections (as httpx did)."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(
            limit=limits.max_connections,
            limit_per_host=0,
            keepalive_timeout=limits.keepalive_expiry_s,
            enable_cleanup_closed=False,
        )
        self._max_idle = limits.max_keepalive

    def _release(
        self, key: ConnectionKey, protocol: ResponseHandler, *, should_close: bool = False
    ) -> None:
        if not should_close:
            idle = sum(len(conns) for conns in self._conns.values())
            should_close = idle >= self._max_idle
        super()._release(key, protocol, should_close=should_close)


class UpstreamHttp:
    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            limits = self._limits
            connector: aiohttp.TCPConnector = (
                aiohttp.TCPConnector(limit=limits.max_connections, force_close=True)
                if limits.max_keepalive == 0
                else _Connector(limits)
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        connect_s: float,
        read_s: float,
        total_s: float,
    ) -> Reply:
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=min(read_s, total_s),
            sock_connect=min(connect_s, total_s),
            sock_read=min(read_s, total_s),
        )
        session = self._open()
        try:
            async with asyncio.timeout(total_s):
                async with session.post(
                    url, data=body, headers=headers, timeout=timeout, allow_redirects=False
                ) as response:
                    return Reply(response.status, await response.read())
        except aiohttp.ConnectionTimeoutError as exc:
            raise HttpFailure(_name(exc), reached=False, timed_out=True) from None
        except aiohttp.ClientConnectorError as exc:
            raise HttpFailure(_name(exc), reached=False, timed_out=False) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise HttpFailure(
                _name(exc), reached=True, timed_out=isinstance(exc, TimeoutError)
            ) from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _name(exc: BaseException) -> str:
    return type(exc).__name__
