from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.store.interface import Store, open_store
from services.gateway.store.quota_ledger import QuotaLedger, UsageLine
from services.gateway.upstream.errors import QuotaExhausted

QUERY = "product.search.imageQuery"
UPLOAD = "product.image.upload"


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = open_store("memory://")
    yield opened
    await opened.close()


async def _spend(ledger: QuotaLedger, api: str, tenant: str, times: int) -> int:
    granted = 0
    for _ in range(times):
        try:
            await ledger.reserve(api, tenant)
        except QuotaExhausted:
            continue
        granted += 1
    return granted


async def test_budget_resets_at_midnight_china_time_which_is_16_utc(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 15, 59, 59, tzinfo=UTC))
    ledger = QuotaLedger(store, {QUERY: 2}, None, clock)
    assert await _spend(ledger, QUERY, "", 3) == 2
    with pytest.raises(QuotaExhausted) as refused:
        await ledger.reserve(QUERY, "")
    error = refused.value
    assert (error.api, error.tenant, error.limit, error.used) == (QUERY, None, 2, 2)
    assert error.resets_at == datetime(2025, 3, 9, 16, 0, tzinfo=UTC)
    clock.now += timedelta(seconds=1)
    assert await _spend(ledger, QUERY, "", 3) == 2
    _, _, resets_at = await ledger.usage("")
    assert resets_at == datetime(2025, 3, 10, 16, 0, tzinfo=UTC)


async def test_tenant_share_refuses_the_tenant_not_the_others(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    shares = {"acme": {QUERY: 2}, "*": {QUERY: 5}}
    ledger = QuotaLedger(store, {QUERY: 6, UPLOAD: 100}, shares, clock)
    assert await _spend(ledger, QUERY, "acme", 4) == 2
    with pytest.raises(QuotaExhausted) as refused:
        await ledger.reserve(QUERY, "acme")
    assert (refused.value.tenant, refused.value.limit, refused.value.used) == ("acme", 2, 2)
    # Unlisted tenants get the "*" share, and the app budget caps them all.
    assert await _spend(ledger, QUERY, "beta", 10) == 4
    assert await _spend(ledger, QUERY, "gamma", 10) == 0
    app, tenant, _ = await ledger.usage("beta")
    resets = datetime(2025, 3, 9, 16, 0, tzinfo=UTC)
    assert [(line.api, line.used, line.limit, line.remaining) for line in app] == [
        (UPLOAD, 0, 100, 100),
        (QUERY, 6, 6, 0),
    ]
    assert tenant == [UsageLine(QUERY, "beta", 4, 5, 1, False)]
    assert resets == (await ledger.usage("acme"))[2]


async def test_app_refusal_gives_the_tenant_unit_back(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    ledger = QuotaLedger(store, {QUERY: 1}, {"acme": {QUERY: 5}}, clock)
    assert await _spend(ledger, QUERY, "other", 1) == 1
    assert await _spend(ledger, QUERY, "acme", 3) == 0
    _, tenant, _ = await ledger.usage("acme")
    assert [line.used for line in tenant] == [0]


async def test_refund_returns_the_unit_to_its_own_day(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 15, 59, 59, tzinfo=UTC))
    ledger = QuotaLedger(store, {QUERY: 1}, {"acme": {QUERY: 1}}, clock)
    yesterdays = await ledger.reserve(QUERY, "acme")
    clock.now += timedelta(seconds=2)
    await ledger.reserve(QUERY, "acme")
    # Refunding the unit taken before midnight must not reopen today's budget.
    await ledger.refund(QUERY, "acme", yesterdays)
    assert await _spend(ledger, QUERY, "acme", 1) == 0
    clock.now -= timedelta(seconds=2)
    assert await _spend(ledger, QUERY, "acme", 1) == 1


async def test_refund_without_reservation_uses_today(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    ledger = QuotaLedger(store, {QUERY: 1}, None, clock)
    await ledger.reserve(QUERY, "")
    await ledger.refund(QUERY, "")
    assert await _spend(ledger, QUERY, "", 2) == 1


async def test_mark_exhausted_refuses_until_the_reset(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    ledger = QuotaLedger(store, {QUERY: 500}, None, clock)
    await ledger.reserve(QUERY, "")
    await ledger.mark_exhausted(QUERY)
    with pytest.raises(QuotaExhausted) as refused:
        await ledger.reserve(QUERY, "")
    assert (refused.value.used, refused.value.limit) == (1, 500)
    app, _, _ = await ledger.usage("")
    assert app == [UsageLine(QUERY, "", 1, 500, 0, True)]
    clock.now = datetime(2025, 3, 9, 16, 0, tzinfo=UTC)
    await ledger.reserve(QUERY, "")
    assert (await ledger.usage(""))[0] == [UsageLine(QUERY, "", 1, 500, 499, False)]


async def test_api_without_budget_is_counted_not_refused(store: Store) -> None:
    ledger = QuotaLedger(store, {}, None, FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC)))
    assert await _spend(ledger, "alibaba.product.get", "", 30) == 30
    assert await ledger.usage("") == ([], [], datetime(2025, 3, 9, 16, 0, tzinfo=UTC))


async def test_a_reserved_unit_counts_at_once_and_is_given_back_whole(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    ledger = QuotaLedger(store, {QUERY: 2}, {"acme": {QUERY: 1}}, clock)
    held = await ledger.reserve(QUERY, "acme")
    app, tenant, _ = await ledger.usage("acme")
    assert (app[0].used, tenant[0].used) == (1, 1)
    await ledger.refund(QUERY, "acme", held)
    await ledger.refund(QUERY, "acme", held)  # a second refund gives nothing more back
    app, tenant, _ = await ledger.usage("acme")
    assert (app[0].used, tenant[0].used) == (0, 0)


async def test_a_sent_unit_is_refunded_once_and_never_released_by_recovery(
    store: Store,
) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    dead = QuotaLedger(store, {QUERY: 5}, None, clock, owner="elsewhere/1/x")
    sent = await dead.sent(await dead.reserve(QUERY, ""))
    assert sent is not None and sent.sent
    unsent = await dead.reserve(QUERY, "")
    survivor = QuotaLedger(store, {QUERY: 5}, None, clock)
    assert await survivor.recover() == 1
    assert (await survivor.usage(""))[0][0].used == 1
    # The released unit cannot be sent any more: its caller must reserve anew.
    assert await dead.sent(unsent) is None
    await dead.refund(QUERY, "", sent)
    assert (await survivor.usage(""))[0][0].used == 0


async def test_a_live_owner_keeps_its_holds_until_its_lease_lapses(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    # Another host: its pid cannot be checked here, only its lease.
    remote = QuotaLedger(store, {QUERY: 5}, None, clock, owner="far-away-host/4242/y")
    await remote.renew_lease()
    await remote.reserve(QUERY, "")
    local = QuotaLedger(store, {QUERY: 5}, None, clock)
    assert await local.recover() == 0
    await store.delete("quota:owner:far-away-host/4242/y")
    assert await local.recover() == 1


async def test_an_earlier_incarnation_with_our_host_and_pid_is_dead(store: Store) -> None:
    clock = FakeClock(datetime(2025, 3, 9, 8, 0, tzinfo=UTC))
    before = f"{socket.gethostname()}/{os.getpid()}/old-nonce"
    earlier = QuotaLedger(store, {QUERY: 5}, None, clock, owner=before)
    await earlier.renew_lease()
    await earlier.reserve(QUERY, "")
    restarted = QuotaLedger(store, {QUERY: 5}, None, clock)
    assert await restarted.recover() == 1
    assert (await restarted.usage(""))[0][0].used == 0
