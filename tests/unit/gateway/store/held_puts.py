"""A store whose writes wait until the test releases them (a slow store)."""

from __future__ import annotations

import asyncio

from services.gateway.store.interface import Store


class HeldPuts:
    """Wraps a store's ``put`` so writes wait until released; ``fail``: every write raises
    at once (a broken store)."""

    def __init__(self, store: Store, fail: bool = False) -> None:
        self.release = asyncio.Event()
        self.started = 0
        self.fail = fail
        if fail:
            self.release.set()
        self._put = store.put

        async def put(key: str, value: bytes, ttl_seconds: float | None = None) -> None:
            self.started += 1
            await self.release.wait()
            if self.fail:
                raise OSError("disk full")
            await self._put(key, value, ttl_seconds)

        store.put = put  # type: ignore[method-assign]
