"""The Store on Redis, for gateway replicas on several hosts.

Reservations, the two phases of a hold and the token bucket are Lua scripts, so each is one atomic step
on the server; the bucket reads the server's ``TIME`` so every replica shares
one clock. Every key carries an expiry (counters die after their quota day,
buckets once they would be full again), so the data set stays small and an
RDB/AOF file holds only live state. Durability of acknowledged reservations is
the server's: run it with ``appendonly yes`` and ``appendfsync always`` when a
Redis crash must not forget spent units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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

# KEYS[1] the hold's hash, KEYS[2] the set of hold ids, KEYS[3] the entry that refuses
# (a key that is never set when there is none), KEYS[4..] counters; ARGV[1] owner,
# ARGV[2] ttl in ms, ARGV[3] hold id, ARGV[4] "1" when sent at once, ARGV[5..] the
# counters' limits. Returns -1 when held, -2 when KEYS[3] exists, else the 0-based
# index of the first counter at its limit.
_HOLD = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -2 end
for i = 4, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i + 1]) then return i - 4 end
end
local keys = {}
for i = 4, #KEYS do
  redis.call('INCR', KEYS[i])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
  keys[#keys + 1] = KEYS[i]
end
if ARGV[4] == '1' then return -1 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'counters', cjson.encode(keys))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return -1
"""

# KEYS[1] the hold's hash, KEYS[2] the set of hold ids; ARGV[1] hold id. 1 if it was held.
_MARK_SENT = """
local held = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return held
"""

# Same keys. The counters are named inside the hold (one Redis server, not a cluster).
_RELEASE_HOLD = """
local counters = redis.call('HGET', KEYS[1], 'counters')
redis.call('SREM', KEYS[2], ARGV[1])
if not counters then return 0 end
for _, key in ipairs(cjson.decode(counters)) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
redis.call('DEL', KEYS[1])
return 1
"""

_HOLD_IDS = "quota:holds"
# Named where a script takes an optional key that is absent: never written.
_NO_KEY = "store:none"

# KEYS[1] bucket hash {tokens, at}, KEYS[2] the pause entry (a key never set when
# there is none); ARGV[1] rate per s, ARGV[2] burst. Returns the wait in seconds as a
# string (Lua numbers become integers in replies): the pause's TTL left while it lasts.
_TAKE_TOKEN = """
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return tostring(paused / 1000) end
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


def _hold_key(hold_id: str) -> str:
    return f"quota:hold:{hold_id}"


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


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
        self._hold = self._redis.register_script(_HOLD)
        self._mark_sent = self._redis.register_script(_MARK_SENT)
        self._release_hold = self._redis.register_script(_RELEASE_HOLD)

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
        keys = [_hold_key(hold_id), _HOLD_IDS, refused_if or _NO_KEY]
        keys += [key for key, _ in counters]
        args: list[str | int] = [owner, _ms(ttl_seconds), hold_id, "1" if sent else "0"]
        args += [limit for _, limit in counters]
        return int(await self._hold(keys=keys, args=args))

    async def mark_sent(self, hold_id: str) -> bool:
        return bool(await self._mark_sent(keys=[_hold_key(hold_id), _HOLD_IDS], args=[hold_id]))

    async def release_hold(self, hold_id: str) -> bool:
        keys = [_hold_key(hold_id), _HOLD_IDS]
        return bool(await self._release_hold(keys=keys, args=[hold_id]))

    async def holds(self) -> list[tuple[str, str]]:
        ids = sorted(_text(raw) for raw in await self._redis.smembers(_HOLD_IDS))
        owners = [await self._redis.hget(_hold_key(hold_id), "owner") for hold_id in ids]
        expired = [hold_id for hold_id, owner in zip(ids, owners, strict=True) if owner is None]
        if expired:
            # Their hash outlived its day: nothing is left to give back.
            await self._redis.srem(_HOLD_IDS, *expired)
        return [
            (hold_id, _text(owner))
            for hold_id, owner in zip(ids, owners, strict=True)
            if owner is not None
        ]

    async def take_token(
        self, bucket: str, rate_per_s: float, burst: int, paused_by: str | None = None
    ) -> float:
        keys = [bucket, paused_by or _NO_KEY]
        return float(await self._take_token(keys=keys, args=[repr(rate_per_s), burst]))

    async def close(self) -> None:
        await self._redis.aclose()
