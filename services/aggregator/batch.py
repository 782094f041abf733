"""Batch search: photos stream in, results stream out as each finishes.

At most ``concurrency`` searches run at once; reading the input waits when
that many are in flight, so a fast caller cannot queue unbounded work. A
failed photo becomes an error entry, never a broken stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shared.errors import ServiceError

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass
class Progress:
    done: int = 0
    received: int = 0
    expected: int = 0
    failed: int = 0
    quota_spent: int = 0

    @property
    def total(self) -> int:
        return max(self.received, self.expected)


@dataclass
class Finished(Generic[In, Out]):
    item: In
    result: Out | None = None
    error: ServiceError | None = None
    progress: Progress = field(default_factory=Progress)


async def run_batch(
    items: AsyncIterable[In],
    search: Callable[[In], Awaitable[Out]],
    *,
    concurrency: int,
    expected_total: Callable[[In], int],
    quota_of: Callable[[Out], int],
) -> AsyncIterator[Finished[In, Out]]:
    progress = Progress()
    slots = asyncio.Semaphore(concurrency)
    results: asyncio.Queue[Finished[In, Out] | None] = asyncio.Queue()
    running: set[asyncio.Task[None]] = set()

    async def one(item: In) -> None:
        try:
            finished: Finished[In, Out] = Finished(item, result=await search(item))
        except ServiceError as exc:
            finished = Finished(item, error=exc)
        finally:
            slots.release()
        await results.put(finished)

    async def feed() -> None:
        try:
            async for item in items:
                await slots.acquire()
                progress.received += 1
                progress.expected = max(progress.expected, expected_total(item))
                task = asyncio.create_task(one(item))
                running.add(task)
                task.add_done_callback(running.discard)
            while running:
                await asyncio.gather(*list(running))
        finally:
            await results.put(None)

    feeder = asyncio.create_task(feed())
    try:
        while (finished := await results.get()) is not None:
            progress.done += 1
            if finished.error is not None:
                progress.failed += 1
            else:
                assert finished.result is not None
                progress.quota_spent += quota_of(finished.result)
            finished.progress = Progress(**vars(progress))
            yield finished
        await feeder
    finally:
        feeder.cancel()
        for task in running:
            task.cancel()
