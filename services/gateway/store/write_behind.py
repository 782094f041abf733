"""Store writes a request does not wait for: handed to the store at once, awaited by no one.

A cache entry or a journal record that the reply does not depend on costs the request
no store round trip: :meth:`WriteBehind.put` starts the write (in order, as an awaited
one would start) and returns. What this process wrote stays readable here at once
(:meth:`WriteBehind.pending` gives the value until the write has landed), so a caller
queued behind the writer (the same photo searched twice at once) still finds it; other
replicas see it once it reaches the store. A write that fails is logged, never raised
to anyone; :meth:`WriteBehind.settle` waits for every write under way (the gateway
settles before it closes its store, so shutdown loses none).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from services.gateway.store.interface import Store

log = logging.getLogger(__name__)


class WriteBehind:
    def __init__(self, store: Store, what: str) -> None:
        self._store = store
        # What the writes are, for the log line of one that failed ("<what> was not written").
        self._what = what
        self._writing: set[asyncio.Task[None]] = set()
        # The newest value put under each key whose write has not landed yet.
        self._pending: dict[str, tuple[bytes, asyncio.Task[None]]] = {}

    def put(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        """``store.put(key, value, ttl_seconds)``, started now and not waited for."""
        self.run(self._store.put(key, value, ttl_seconds), key, value)

    def run(
        self, write: Coroutine[Any, Any, None], key: str | None = None, value: bytes = b""
    ) -> None:
        """Any store write (several steps, a read-modify-write), started now and not waited
        for; with a ``key``, ``value`` is pending under it until the write has landed."""
        task = asyncio.get_running_loop().create_task(write)
        # Kept until done (the loop holds only weak references); a failure is logged.
        self._writing.add(task)
        task.add_done_callback(self._written)
        if key is not None:
            self._pending[key] = (value, task)
            task.add_done_callback(lambda done: self._landed(key, done))

    def pending(self, key: str) -> bytes | None:
        """The value this process put under ``key`` whose write has not landed yet."""
        entry = self._pending.get(key)
        return None if entry is None else entry[0]

    def pending_items(self) -> list[tuple[str, bytes]]:
        """Every key whose write has not landed yet, with its newest value."""
        return [(key, value) for key, (value, _) in self._pending.items()]

    async def settle(self) -> None:
        """Wait for every write under way."""
        while self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)

    def _landed(self, key: str, task: asyncio.Task[None]) -> None:
        entry = self._pending.get(key)
        # A newer put of the key keeps its own entry until its own write lands.
        if entry is not None and entry[1] is task:
            del self._pending[key]

    def _written(self, task: asyncio.Task[None]) -> None:
        self._writing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s was not written", self._what, exc_info=task.exception())
