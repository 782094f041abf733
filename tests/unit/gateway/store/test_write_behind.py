from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from services.gateway.store.interface import Store, open_store
from services.gateway.store.write_behind import WriteBehind
from tests.unit.gateway.store.held_puts import HeldPuts


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = open_store("memory://")
    yield opened
    await opened.close()


async def test_a_write_is_readable_here_before_it_lands_and_from_the_store_after(
    store: Store,
) -> None:
    held = HeldPuts(store)
    behind = WriteBehind(store, "a test entry")
    behind.put("k", b"v1", 60)
    await asyncio.sleep(0)
    assert held.started == 1
    assert behind.pending("k") == b"v1"
    assert await store.get("k") is None
    held.release.set()
    await behind.settle()
    assert behind.pending("k") is None
    assert await store.get("k") == b"v1"


async def test_a_newer_value_stays_pending_until_its_own_write_lands(store: Store) -> None:
    behind = WriteBehind(store, "a test entry")
    behind.put("k", b"old", 60)
    behind.put("k", b"new", 60)
    assert behind.pending("k") == b"new"
    await behind.settle()
    assert (behind.pending("k"), await store.get("k")) == (None, b"new")


async def test_a_failed_write_is_logged_and_raised_to_no_one(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    HeldPuts(store, fail=True)
    behind = WriteBehind(store, "a test entry")
    with caplog.at_level(logging.WARNING):
        behind.put("k", b"v", 60)
        await behind.settle()
    assert [r.getMessage() for r in caplog.records] == ["a test entry was not written"]
    assert caplog.records[0].exc_info is not None
    assert behind.pending("k") is None
    assert await store.get("k") is None


async def test_settle_waits_for_every_write_under_way(store: Store) -> None:
    held = HeldPuts(store)
    behind = WriteBehind(store, "a test entry")
    behind.put("a", b"1", 60)
    behind.run(store.put("b", b"2", 60))
    settling = asyncio.ensure_future(behind.settle())
    await asyncio.sleep(0.01)
    assert not settling.done()
    held.release.set()
    await settling
    assert (await store.get("a"), await store.get("b")) == (b"1", b"2")
