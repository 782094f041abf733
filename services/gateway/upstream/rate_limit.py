"""The app key's QPS limit, shared by every replica through the store.

A token bucket per app key (``rate`` tokens a second, up to ``burst`` banked)
lives in the store, so N replicas together stay within the limit. After the
upstream says ``gw.QosAppFrequencyLimit``, :meth:`RateLimiter.back_off` pauses
every caller of every replica (the pause is a store entry that lives as long as it
does; the bucket's step reads it, so a call takes one store step, not two).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time

from services.gateway.store.interface import Store
from services.gateway.upstream.errors import RateLimitTimeout

_log = logging.getLogger(__name__)
_PAUSE = struct.Struct(">d")


class RateLimiter:
    def __init__(self, store: Store, app_key: str, qps: float, burst: int) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("qps must be > 0 and burst >= 1")
        self._store = store
        self._qps = qps
        self._burst = burst
        # The app key is public (it travels in every URL); only the app secret is not.
        self._bucket = f"rate:{app_key}:bucket"
        self._pause_key = f"rate:{app_key}:paused_until"
        self._paused_until = 0.0  # wall clock, shared with other replicas
        self._writes: set[asyncio.Task[None]] = set()

    async def acquire(self, deadline_monotonic: float | None = None) -> None:
        """Wait for a token; RateLimitTimeout if the wait would pass the deadline."""
        while True:
            # This replica's own pause is known at once; the others' is read with the token.
            wait = max(0.0, self._paused_until - time.time())
            if wait == 0.0:
                wait = await self._store.take_token(
                    self._bucket, self._qps, self._burst, paused_by=self._pause_key
                )
                if wait == 0.0:
                    return
            if deadline_monotonic is not None and time.monotonic() + wait > deadline_monotonic:
                raise RateLimitTimeout(retry_after=wait)
            await asyncio.sleep(wait)

    def back_off(self, seconds: float) -> None:
        """Pause every caller (here at once, other replicas via the store) for ``seconds``."""
        until = time.time() + seconds
        if until <= self._paused_until:
            return
        self._paused_until = until
        task = asyncio.get_running_loop().create_task(self._share_pause(until, seconds))
        # Keep a reference until done: the loop only holds weak ones.
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _share_pause(self, until: float, seconds: float) -> None:
        # Replicas read the pause's TTL (Store.take_token); the value stays its end, as
        # replicas of the previous release read it, so a rolling upgrade keeps the pause.
        try:
            await self._store.put(self._pause_key, _PAUSE.pack(until), ttl_seconds=seconds)
        except Exception:
            # This replica still pauses; the others will meet the limit themselves.
            _log.warning("could not share the rate-limit back-off", exc_info=True)
