"""The gateway's one store interface: counters, holds, token buckets and a TTL cache.

Every replica shares it, so quota reservations and the QPS bucket hold across
processes: an embedded SQLite file (the default) or Redis (for replicas on
several hosts). Both backends pass the same test suite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

# What :meth:`Store.hold` returns when its ``refused_if`` entry is there.
REFUSED = -2


class Store(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def put(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def reserve(self, key: str, limit: int, ttl_seconds: float) -> int | None:
        """Atomically add one to ``key`` if it is below ``limit``, durably.

        Returns the new value, or None when the limit is reached. The expiry is
        set by the first reservation of a counter (counters die after their day).
        """
        ...

    async def release(self, key: str) -> None:
        """Give one unit back (the call never left the building); never below 0."""
        ...

    async def counter(self, key: str) -> int: ...

    async def hold(
        self,
        hold_id: str,
        owner: str,
        counters: Sequence[tuple[str, int]],
        ttl_seconds: float,
        *,
        refused_if: str | None = None,
        sent: bool = False,
    ) -> int:
        """Phase one of a two-phase reservation, atomically and durably.

        If every ``(key, limit)`` counter is below its limit, add one to each and
        record the hold as "reserved" by ``owner``; returns -1. Otherwise change
        nothing and return the index of the first counter at its limit. When the
        entry ``refused_if`` (a ``put`` key) is live, change nothing and return
        ``REFUSED``: the check and the hold are one step. ``sent``: both phases in
        that one step (the units are spent for good at once and no hold is
        recorded), for a caller with nothing left to wait for but the write.
        """
        ...

    async def mark_sent(self, hold_id: str) -> bool:
        """Phase two: the hold's units stay spent for good (its record goes).

        False when the hold is no longer there (released meanwhile): the caller
        must not send on it.
        """
        ...

    async def release_hold(self, hold_id: str) -> bool:
        """Give back the units of a hold that never reached "sent"; False if none was left."""
        ...

    async def holds(self) -> list[tuple[str, str]]:
        """(hold id, owner) of every hold still "reserved" (neither sent nor released)."""
        ...

    async def take_token(
        self, bucket: str, rate_per_s: float, burst: int, paused_by: str | None = None
    ) -> float:
        """Take one token from a shared bucket: 0.0 if taken, else seconds until one is due.

        While the entry ``paused_by`` (a ``put`` key with a TTL) is live, nothing is
        taken and the seconds left of its TTL are returned: the pause and the token
        are read in one step.
        """
        ...

    async def close(self) -> None: ...


def open_store(url: str, sqlite_sync: str = "NORMAL") -> Store:
    """Open ``sqlite:///abs/path.db``, ``memory://`` or ``redis://host:port/db``.

    ``sqlite_sync``: the SQLite file's synchronous level for quota commits, ``NORMAL``
    or ``FULL`` (sqlite.py says what each survives); Redis keeps its own persistence.
    """
    if url.startswith("sqlite:///"):
        from services.gateway.store.sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite://"), durability=sqlite_sync)
    if url == "memory://":
        from services.gateway.store.sqlite import SqliteStore

        return SqliteStore(":memory:")
    if url.startswith(("redis://", "rediss://", "unix://")):
        from services.gateway.store.redis import RedisStore

        return RedisStore(url)
    raise ValueError(f"unsupported store URL scheme: {url.split(':', 1)[0]!r}")
