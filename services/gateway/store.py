"""The gateway's one store interface: counters, token buckets and a TTL cache.

Every replica shares it, so quota reservations and the QPS bucket hold across
processes: an embedded SQLite file (the default) or Redis (for replicas on
several hosts). Both backends pass the same test suite.
"""

from __future__ import annotations

from typing import Protocol


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

    async def take_token(self, bucket: str, rate_per_s: float, burst: int) -> float:
        """Take one token from a shared bucket: 0.0 if taken, else seconds until one is due."""
        ...

    async def close(self) -> None: ...


def open_store(url: str) -> Store:
    """Open ``sqlite:///abs/path.db``, ``memory://`` or ``redis://host:port/db``."""
    if url.startswith("sqlite:///"):
        from services.gateway.store_sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite://"))
    if url == "memory://":
        from services.gateway.store_sqlite import SqliteStore

        return SqliteStore(":memory:")
    if url.startswith(("redis://", "rediss://", "unix://")):
        from services.gateway.store_redis import RedisStore

        return RedisStore(url)
    raise ValueError(f"unsupported store URL scheme: {url.split(':', 1)[0]!r}")
