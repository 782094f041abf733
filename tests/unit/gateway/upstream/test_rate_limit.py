from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.gateway.store.interface import Store, open_store
from services.gateway.upstream.errors import RateLimitTimeout
from services.gateway.upstream.rate_limit import RateLimiter


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = open_store("memory://")
    yield opened
    await opened.close()


async def test_burst_passes_then_the_deadline_refuses(store: Store) -> None:
    limiter = RateLimiter(store, "app-1", qps=0.01, burst=3)
    for _ in range(3):
        await limiter.acquire(None)
    with pytest.raises(RateLimitTimeout) as refused:
        await limiter.acquire(time.monotonic() + 1.0)
    # One token per 100 s: the next is about 100 s away.
    assert 99.0 < refused.value.retry_after <= 100.0


async def test_limiters_of_one_app_key_share_the_bucket(store: Store) -> None:
    first = RateLimiter(store, "app-1", qps=0.01, burst=2)
    second = RateLimiter(store, "app-1", qps=0.01, burst=2)
    other_app = RateLimiter(store, "app-2", qps=0.01, burst=2)
    await first.acquire(None)
    await second.acquire(None)
    with pytest.raises(RateLimitTimeout):
        await first.acquire(time.monotonic() + 1.0)
    await other_app.acquire(None)


async def test_waits_for_the_next_token_within_the_deadline(store: Store) -> None:
    limiter = RateLimiter(store, "app-1", qps=50.0, burst=1)
    # Five calls at 50/s with no burst beyond the first: all pass, none refused.
    results = await asyncio.gather(*(limiter.acquire(time.monotonic() + 30) for _ in range(5)))
    assert results == [None] * 5


async def test_back_off_pauses_every_limiter_of_the_app_key(store: Store) -> None:
    throttled = RateLimiter(store, "app-1", qps=100.0, burst=100)
    replica = RateLimiter(store, "app-1", qps=100.0, burst=100)
    throttled.back_off(60.0)
    with pytest.raises(RateLimitTimeout) as here:
        await throttled.acquire(time.monotonic() + 1.0)
    assert 59.0 < here.value.retry_after <= 60.0
    # The other replica learns it from the store once the background write lands.
    for _ in range(200):
        if await store.get("rate:app-1:paused_until") is not None:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(RateLimitTimeout) as there:
        await replica.acquire(time.monotonic() + 1.0)
    assert 59.0 < there.value.retry_after <= 60.0


async def test_a_token_and_the_shared_pause_are_one_store_step(store: Store) -> None:
    limiter = RateLimiter(store, "app-1", qps=100.0, burst=100)
    steps: list[str] = []
    for name in ("get", "put", "take_token"):
        original = getattr(store, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            steps.append(_name)
            return _original(*args, **kwargs)

        setattr(store, name, spy)
    await limiter.acquire(None)
    await limiter.acquire(None)
    assert steps == ["take_token", "take_token"]
