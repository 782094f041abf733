"""BatchSearch's stream: every item answered once, progress counted, concurrency bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from services.aggregator.batch import run_batch
from shared.errors import Code, ServiceError


async def _items(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


async def test_batch_streams_every_item_with_bounded_concurrency() -> None:
    running = 0
    peak = 0

    async def search(item: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (item % 3))
        running -= 1
        if item % 5 == 0:
            raise ServiceError(Code.INVALID_ARGUMENT, "NOT_AN_IMAGE", f"bad {item}")
        return item

    seen = [
        f
        async for f in run_batch(
            _items(30), search, concurrency=4, expected_total=lambda _i: 30, quota_of=lambda _r: 2
        )
    ]
    assert sorted(f.item for f in seen) == list(range(30))
    assert peak <= 4
    assert [f.progress.done for f in seen] == list(range(1, 31))
    assert seen[-1].progress.failed == 6
    assert seen[-1].progress.quota_spent == 48
    assert all(f.progress.total == 30 for f in seen)
    assert {f.item for f in seen if f.error is not None} == {0, 5, 10, 15, 20, 25}
