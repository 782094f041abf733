"""A separate process hammering a Store, for the cross-process tests.

    python -m tests.integration.gateway.store_worker URL MODE KEY LIMIT COUNT

Prints "ready" once the store is open and waits for a line on stdin (so
several workers start together), then:
  burst  - COUNT concurrent reservations of KEY (limit LIMIT); prints the grants
  loop   - reserves KEY one at a time until refused, printing each grant at once
  tokens - COUNT concurrent take_token(KEY, burst=LIMIT, a negligible refill); prints the grants
"""

from __future__ import annotations

import asyncio
import sys

from services.gateway.store.interface import Store, open_store


async def _burst(store: Store, key: str, limit: int, count: int) -> None:
    results = await asyncio.gather(*(store.reserve(key, limit, 3600) for _ in range(count)))
    print(sum(result is not None for result in results), flush=True)


async def _loop(store: Store, key: str, limit: int) -> None:
    while (value := await store.reserve(key, limit, 3600)) is not None:
        print(value, flush=True)
    print("done", flush=True)


async def _tokens(store: Store, key: str, burst: int, count: int) -> None:
    # One token per 1000 s: the test is over long before a single one is refilled.
    waits = await asyncio.gather(*(store.take_token(key, 0.001, burst) for _ in range(count)))
    print(sum(wait == 0.0 for wait in waits), flush=True)


def open_for_test(url: str) -> Store:
    """``open_store``; a test's ``sqlite:///...#FULL`` opens the SQLite file with FULL sync."""
    base, _, sync = url.partition("#")
    return open_store(base, sync or "NORMAL")


async def main(url: str, mode: str, key: str, limit: int, count: int) -> None:
    store = open_for_test(url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        if mode == "burst":
            await _burst(store, key, limit, count)
        elif mode == "loop":
            await _loop(store, key, limit)
        else:
            await _tokens(store, key, limit, count)
    finally:
        await store.close()


if __name__ == "__main__":
    url, mode, key, limit, count = sys.argv[1:6]
    asyncio.run(main(url, mode, key, int(limit), int(count)))
