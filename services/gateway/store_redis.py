"""The Store on Redis, for gateway replicas on several hosts.

Reservations and the token bucket are Lua scripts, so each is one atomic step
on the server; the bucket reads the server's ``TIME`` so every replica shares
one clock. Every key carries an expiry (counters die after their quota day,
buckets once they would be full again), so the data set stays small and an
RDB/AOF file holds only live state. Durability of acknowledged reservations is
the server's: run it with ``appendonly yes`` and ``appendfsync always`` when a
Redis crash must not forget spent units.
"""

from __future__ import annotations

import math

import redis.asyncio as redis

# KEYS[1] counter; ARGV[1] limit, ARGV[2] ttl in ms. Returns the new value or -1.
_RESERVE = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value >= tonumber(ARGV[1]) then return -1 end
value = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""

# KEYS[1] counter. Never below zero.
_RELEASE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""

# KEYS[1] bucket hash {tokens, at}; ARGV[1] rate per s, ARGV[2] burst.
# Returns the wait in seconds as a string (Lua numbers become integers in replies).
_TAKE_TOKEN = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate + 1) * 1000))
return tostring(wait)
"""


_MAX_CONNECTIONS = 32
_POOL_WAIT_S = 30.0


def _ms(seconds: float) -> int:
    # Redis expiries are whole milliseconds and must be positive.
    return max(1, math.ceil(seconds * 1000))


class RedisStore:
    def __init__(self, url: str) -> None:
        # A blocking pool: a burst of concurrent callers queues for a connection
        # instead of failing with "Too many connections".
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=_MAX_CONNECTIONS, timeout=_POOL_WAIT_S
        )
        self._redis = redis.Redis.from_pool(pool)
        self._reserve = self._redis.register_script(_RESERVE)
        self._release = self._redis.register_script(_RELEASE)
        self._take_token = self._redis.register_script(_TAKE_TOKEN)

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(key)
        if value is None or isinstance(value, bytes):
            return value
        return str(value).encode()

    async def put(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        await self._redis.set(key, value, px=None if ttl_seconds is None else _ms(ttl_seconds))

    async def delete(self, key: str) -> None:
        await self._redis.delete(key)

    async def reserve(self, key: str, limit: int, ttl_seconds: float) -> int | None:
        value = int(await self._reserve(keys=[key], args=[limit, _ms(ttl_seconds)]))
        return None if value < 0 else value

    async def release(self, key: str) -> None:
        await self._release(keys=[key])

    async def counter(self, key: str) -> int:
        value = await self._redis.get(key)
        return 0 if value is None else int(value)

    async def take_token(self, bucket: str, rate_per_s: float, burst: int) -> float:
        return float(await self._take_token(keys=[bucket], args=[repr(rate_per_s), burst]))

    async def close(self) -> None:
        await self._redis.aclose()
