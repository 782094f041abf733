from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.gateway.store.idempotency import Idempotency
from services.gateway.store.interface import Store, open_store
from services.gateway.upstream.client import CallContext
from shared.errors import Code, ServiceError
from tests.unit.gateway.store.held_puts import HeldPuts


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = open_store("memory://")
    yield opened
    await opened.close()


async def test_records_are_written_behind_and_read_after_they_land(store: Store) -> None:
    held = HeldPuts(store)
    records = Idempotency(store)
    first = CallContext("acme", None)
    records.attach(first, "acme/r1", attempt=1)
    # Neither the journal nor the answer waits for the store.
    await first.note_spent("upload")
    await records.keep_answer("acme/r1", "asked", b"answer")
    await asyncio.sleep(0)
    assert held.started == 2
    retry = CallContext("acme", None)
    records.attach(retry, "acme/r1", attempt=2)
    reading = asyncio.ensure_future(records.answer("acme/r1", "asked"))
    spending = asyncio.ensure_future(records.spent_before(retry))
    await asyncio.sleep(0.01)
    # A retry in this process waits for the writes under way instead of missing them.
    assert not reading.done() and not spending.done()
    held.release.set()
    assert await reading == b"answer"
    assert await spending == {"upload": 1}


async def test_settle_waits_for_every_record(store: Store) -> None:
    held = HeldPuts(store)
    records = Idempotency(store)
    await records.keep_answer("acme/r2", "asked", b"kept")
    settling = asyncio.ensure_future(records.settle())
    await asyncio.sleep(0.01)
    assert not settling.done()
    held.release.set()
    await settling
    assert await store.get("idem:acme/r2:answer") == b"asked\nkept"


async def test_a_later_attempt_must_ask_what_the_first_asked(store: Store) -> None:
    records = Idempotency(store)
    await records.keep_answer("acme/r1", "fingerprint-a", b"answer\nwith a newline")
    assert await records.answer("acme/r1", "fingerprint-a") == b"answer\nwith a newline"
    assert await records.answer("acme/unanswered", "fingerprint-b") is None
    with pytest.raises(ServiceError) as refused:
        await records.answer("acme/r1", "fingerprint-b")
    assert (refused.value.code, refused.value.reason) == (Code.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert [v.field for v in refused.value.field_violations] == ["x-idempotency-key"]
