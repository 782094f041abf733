"""Retries that do not pay twice: what a keyed request spent, and its answer, in the store.

The aggregator sends every gateway call with an idempotency key (its request
id and the photo's step) and retries a replica that died on another one. All
replicas share the store, so the replica taking the retry knows the key:

* the upstream calls each attempt of the key spent are journalled as they
  are answered (a record per attempt), so the retry's response reports what
  the request spent in all (and the pages, imageIds and details those calls got are in the shared
  caches: the retry spends again only what the first attempt never received);
* a finished answer is kept for a while, so a retry of a call whose answer
  was lost on the way is answered again without any upstream call;
* the kept answer starts with the fingerprint of the request it answered (a hex digest
  and a newline), so a later attempt that asks something else under the key is refused
  (INVALID_ARGUMENT) instead of being given the other request's answer.

Keys are scoped by tenant: one tenant can never read another's answer.

Both records are written behind: each write is handed to the store at once (in order,
as an awaited one would be) but the request does not wait for it, so a search's two
upstream calls and its answer cost no store round trip of their own. Reading the
records here first waits for this process's writes still under way, so a retry that
reaches this replica always sees them; one that reaches another replica after this one
died sees what reached the store, as before. :meth:`Idempotency.settle` waits for them
all (the gateway does before closing its store).
"""

from __future__ import annotations

import json
from collections import Counter

from services.gateway.store.interface import Store
from services.gateway.store.write_behind import WriteBehind
from services.gateway.upstream.client import CallContext
from shared.errors import FieldViolation, invalid_argument

IDEMPOTENCY_HEADER = "x-idempotency-key"
# 1 for the first attempt: only a retry reads what earlier attempts left (the same
# photo twice in one batch has one key too, but neither is the other's retry).
ATTEMPT_HEADER = "x-idempotency-attempt"
_MAX_ATTEMPT = 16
# Longer than any caller's deadline: a retry always finds its key.
_TTL_S = 15 * 60.0
_MAX_KEY_LENGTH = 200


class Idempotency:
    def __init__(self, store: Store, ttl_s: float = _TTL_S) -> None:
        self._store = store
        self._ttl = ttl_s
        self._behind = WriteBehind(store, "an idempotency record")

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

    def attach(self, ctx: CallContext, key: str, attempt: int) -> None:
        """Make ``ctx`` attempt ``attempt`` of ``key``: every call it spends is journalled."""
        ctx.idempotency_key = key
        ctx.attempt = attempt

        async def journal(_api: str) -> None:
            # Each attempt writes only its own record: no two writers share a key.
            record = json.dumps(dict(ctx.spent), sort_keys=True).encode()
            self._behind.put(f"idem:{key}:spent:{attempt}", record, self._ttl)

        ctx.journal = journal

    async def spent_before(self, ctx: CallContext) -> Counter[str]:
        """What the earlier attempts of ``ctx``'s key spent, per API."""
        await self.settle()
        spent: Counter[str] = Counter()
        for earlier in range(1, ctx.attempt):
            record = await self._store.get(f"idem:{ctx.idempotency_key}:spent:{earlier}")
            if record is not None:
                spent.update({str(api): int(calls) for api, calls in json.loads(record).items()})
        return spent

    async def answer(self, key: str, fingerprint: str) -> bytes | None:
        """The answer kept for ``key``; INVALID_ARGUMENT when it answered another request
        (the kept record starts with the fingerprint of the request it answered)."""
        await self.settle()
        kept = await self._store.get(f"idem:{key}:answer")
        if kept is None:
            return None
        asked, _, answer = kept.partition(b"\n")
        if asked != fingerprint.encode():
            problem = "was sent with another request; a retry must repeat its request exactly"
            raise invalid_argument(
                "INVALID_REQUEST",
                f"{IDEMPOTENCY_HEADER} {problem}",
                FieldViolation(IDEMPOTENCY_HEADER, problem),
            )
        return answer

    async def keep_answer(self, key: str, fingerprint: str, answer: bytes) -> None:
        self._behind.put(f"idem:{key}:answer", fingerprint.encode() + b"\n" + answer, self._ttl)

    async def settle(self) -> None:
        """Wait for this process's records still being written."""
        await self._behind.settle()
