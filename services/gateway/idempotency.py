"""Retries that do not pay twice: what a keyed request spent, and its answer, in the store.

The aggregator sends every gateway call with an idempotency key (its request
id and the photo's step) and retries a replica that died on another one. All
replicas share the store, so the replica taking the retry knows the key:

* the upstream calls every attempt of the key spent are journalled as they
  are answered, so the retry's response reports what the request spent in
  all (and the pages, imageIds and details those calls got are in the shared
  caches: the retry spends again only what the first attempt never received);
* a finished answer is kept for a while, so a retry of a call whose answer
  was lost on the way is answered again without any upstream call.

Keys are scoped by tenant: one tenant can never read another's answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from services.gateway.store import Store

IDEMPOTENCY_HEADER = "x-idempotency-key"
# 1 for the first attempt: only a retry reads what earlier attempts left (the same
# photo twice in one batch has one key too, but neither is the other's retry).
ATTEMPT_HEADER = "x-idempotency-attempt"
_MAX_ATTEMPT = 16
# Longer than any caller's deadline: a retry always finds its key.
_TTL_S = 15 * 60.0
_NO_LIMIT = 2**62
_MAX_KEY_LENGTH = 200


class Idempotency:
    def __init__(self, store: Store, ttl_s: float = _TTL_S) -> None:
        self._store = store
        self._ttl = ttl_s

    @staticmethod
    def scoped(tenant: str, key: str) -> str | None:
        """The store's name for ``key`` of ``tenant``; None for no (or an unusable) key."""
        if not key or len(key) > _MAX_KEY_LENGTH or not key.isprintable():
            return None
        return f"{tenant}/{key}"

    @staticmethod
    def attempt(text: str) -> int:
        """The attempt number a caller sent; 1 for none or nonsense."""
        return int(text) if text.isdigit() and 1 <= int(text) <= _MAX_ATTEMPT else 1

    async def note_spent(self, key: str, api: str) -> None:
        """One upstream call of ``api`` answered for ``key``."""
        await self._store.reserve(f"idem:{key}:spent:{api}", _NO_LIMIT, self._ttl)

    async def spent(self, key: str, apis: Iterable[str]) -> Counter[str]:
        """What every attempt of ``key`` spent so far, per API of ``apis``."""
        spent: Counter[str] = Counter()
        for api in apis:
            calls = await self._store.counter(f"idem:{key}:spent:{api}")
            if calls:
                spent[api] = calls
        return spent

    async def answer(self, key: str) -> bytes | None:
        return await self._store.get(f"idem:{key}:answer")

    async def keep_answer(self, key: str, answer: bytes) -> None:
        await self._store.put(f"idem:{key}:answer", answer, self._ttl)
