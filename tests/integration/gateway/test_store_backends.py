"""One suite, both Store backends: SQLite (file, WAL) and a real redis-server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis

from services.gateway.store.caches import Caches
from services.gateway.store.interface import REFUSED, Store
from services.gateway.store.quota_ledger import QuotaLedger
from services.gateway.upstream.errors import QuotaExhausted
from tests.integration.gateway.store_worker import open_for_test

ROOT = Path(__file__).resolve().parents[3]
WORKER = "tests.integration.gateway.store_worker"


@pytest.fixture(params=["sqlite", "sqlite-full", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    if request.param == "sqlite-full":
        # The quota's commits fsynced (FF_GATEWAY_STORE_SYNC=FULL): the same suite holds.
        return f"sqlite:///{tmp_path / 'gateway.db'}#FULL"
    url: str = request.getfixturevalue("redis_server")
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = open_for_test(store_url)
    yield opened
    await opened.close()


def _spawn(url: str, mode: str, key: str, limit: int, count: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", WORKER, url, mode, key, str(limit), str(count)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def _go(*processes: subprocess.Popen[str]) -> None:
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def _finish(process: subprocess.Popen[str]) -> list[str]:
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    return out.split()


async def test_get_put_delete(store: Store) -> None:
    assert await store.get("k") is None
    await store.put("k", b"\x00value\xff")
    assert await store.get("k") == b"\x00value\xff"
    await store.put("k", b"new", ttl_seconds=60)
    assert await store.get("k") == b"new"
    await store.delete("k")
    assert await store.get("k") is None


async def test_ttl_expiry(store: Store) -> None:
    await store.put("short", b"x", ttl_seconds=0.001)
    await store.put("long", b"y", ttl_seconds=3600)
    await asyncio.sleep(0.05)
    assert await store.get("short") is None
    assert await store.get("long") == b"y"


async def test_counter_expires_and_restarts(store: Store) -> None:
    assert await store.reserve("c", 5, ttl_seconds=0.001) == 1
    await asyncio.sleep(0.05)
    assert await store.counter("c") == 0
    assert await store.reserve("c", 5, ttl_seconds=3600) == 1


async def test_reserve_up_to_limit_and_release(store: Store) -> None:
    granted = [await store.reserve("c", 3, 3600) for _ in range(5)]
    assert granted == [1, 2, 3, None, None]
    assert await store.counter("c") == 3
    await store.release("c")
    assert await store.counter("c") == 2
    assert await store.reserve("c", 3, 3600) == 3
    assert await store.counter("missing") == 0
    await store.release("missing")
    assert await store.counter("missing") == 0


async def test_concurrent_reservations_in_one_process(store: Store) -> None:
    results = await asyncio.gather(*(store.reserve("c", 50, 3600) for _ in range(200)))
    granted = sorted(r for r in results if r is not None)
    assert granted == list(range(1, 51))
    assert await store.counter("c") == 50


def test_200_reservations_from_two_processes_grant_exactly_50(store_url: str) -> None:
    workers = [_spawn(store_url, "burst", "quota:day:api", 50, 100) for _ in range(2)]
    _go(*workers)
    granted = [int(_finish(worker)[0]) for worker in workers]
    assert sum(granted) == 50

    async def count() -> int:
        store = open_for_test(store_url)
        try:
            return await store.counter("quota:day:api")
        finally:
            await store.close()

    assert asyncio.run(count()) == 50


async def test_token_bucket_grants_burst_then_waits(store: Store) -> None:
    waits = await asyncio.gather(*(store.take_token("bucket", 2.0, 5) for _ in range(12)))
    assert sum(wait == 0.0 for wait in waits) == 5
    # At 2 tokens/s the next token is at most half a second away.
    assert all(0.0 < wait <= 0.5 for wait in waits if wait != 0.0)
    await asyncio.sleep(max(waits))
    assert await store.take_token("bucket", 2.0, 5) == 0.0


def test_token_bucket_is_shared_by_processes(store_url: str) -> None:
    workers = [_spawn(store_url, "tokens", "bucket", 7, 30) for _ in range(2)]
    _go(*workers)
    assert sum(int(_finish(worker)[0]) for worker in workers) == 7


async def test_ledger_never_overspends_and_reports_usage(store: Store) -> None:
    ledger = QuotaLedger(store, {"imageQuery": 10}, {"acme": {"imageQuery": 4}})

    async def attempt(tenant: str) -> bool:
        try:
            await ledger.reserve("imageQuery", tenant)
        except QuotaExhausted:
            return False
        return True

    acme = await asyncio.gather(*(attempt("acme") for _ in range(20)))
    others = await asyncio.gather(*(attempt("other") for _ in range(20)))
    assert (sum(acme), sum(others)) == (4, 6)
    app_lines, tenant_lines, _ = await ledger.usage("acme")
    assert [(line.used, line.remaining) for line in app_lines] == [(10, 0)]
    assert [(line.used, line.remaining) for line in tenant_lines] == [(4, 0)]


async def test_caches_round_trip(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60, phash_distance=4)
    caches.put_image_id("sha-a", 0xF0F0_F0F0_0000_FFFF, "img-1")
    assert await caches.get_image_id("sha-a") == "img-1"
    assert await caches.find_image_id_near(0xF0F0_F0F0_0000_FFF0) == "img-1"
    assert await caches.find_image_id_near(0x0F0F_0F0F_FFFF_0000) is None
    caches.put_detail("offer-9", b"detail")
    assert await caches.get_detail("offer-9") == b"detail"


# NORMAL (the default) and FULL both survive a killed process; only FULL survives a power cut.
@pytest.mark.parametrize("sync", ["", "#FULL"])
def test_sqlite_kill_9_while_reserving_loses_nothing(tmp_path: Path, sync: str) -> None:
    url, limit = f"sqlite:///{tmp_path / 'gateway.db'}{sync}", 100
    first = _spawn(url, "loop", "c", limit, 0)
    _go(first)
    assert first.stdout is not None
    acknowledged = [int(first.stdout.readline()) for _ in range(25)]
    os.kill(first.pid, signal.SIGKILL)
    acknowledged += [int(line) for line in first.stdout.read().split() if line != "done"]
    first.wait(timeout=10)

    async def count() -> int:
        store = open_for_test(url)
        try:
            return await store.counter("c")
        finally:
            await store.close()

    after_kill = asyncio.run(count())
    # Every acknowledged unit is there; at most the one in flight was committed unreported.
    assert acknowledged == list(range(1, len(acknowledged) + 1))
    assert len(acknowledged) <= after_kill <= len(acknowledged) + 1
    restarted = _spawn(url, "loop", "c", limit, 0)
    _go(restarted)
    granted_after = [int(v) for v in _finish(restarted) if v != "done"]
    assert granted_after == list(range(after_kill + 1, limit + 1))
    assert asyncio.run(count()) == limit


async def test_a_hold_takes_every_counter_or_none(store: Store) -> None:
    counters = [("tenant", 1), ("app", 5)]
    assert await store.hold("h1", "me", counters, 3600) == -1
    assert (await store.counter("tenant"), await store.counter("app")) == (1, 1)
    # The tenant counter is full: nothing moves, and the refusal names it by index.
    assert await store.hold("h2", "me", counters, 3600) == 0
    assert (await store.counter("tenant"), await store.counter("app")) == (1, 1)
    assert await store.holds() == [("h1", "me")]


async def test_a_sent_hold_stays_spent_and_a_released_one_goes_back_once(store: Store) -> None:
    await store.hold("sent", "a", [("c", 10)], 3600)
    await store.hold("dropped", "b", [("c", 10)], 3600)
    assert await store.mark_sent("sent") is True
    assert await store.release_hold("sent") is False
    assert await store.release_hold("dropped") is True
    assert await store.release_hold("dropped") is False
    assert await store.mark_sent("dropped") is False
    assert await store.counter("c") == 1
    assert await store.holds() == []


async def test_a_hold_refused_by_a_live_entry_changes_nothing(store: Store) -> None:
    counters = [("tenant", 5), ("app", 5)]
    await store.put("exhausted", b"1", ttl_seconds=3600)
    assert await store.hold("h1", "me", counters, 3600, refused_if="exhausted") == REFUSED
    assert (await store.counter("tenant"), await store.counter("app")) == (0, 0)
    assert await store.holds() == []
    # Without the entry (or once it expired) the same hold goes through.
    await store.put("gone", b"1", ttl_seconds=0.001)
    await asyncio.sleep(0.01)
    assert await store.hold("h2", "me", counters, 3600, refused_if="gone") == -1
    assert await store.hold("h3", "me", counters, 3600, refused_if="never-set") == -1
    assert (await store.counter("tenant"), await store.counter("app")) == (2, 2)


async def test_a_hold_sent_at_once_counts_and_leaves_nothing_to_give_back(store: Store) -> None:
    counters = [("tenant", 1), ("app", 5)]
    assert await store.hold("h1", "me", counters, 3600, sent=True) == -1
    assert (await store.counter("tenant"), await store.counter("app")) == (1, 1)
    assert await store.holds() == []
    assert await store.release_hold("h1") is False
    assert await store.mark_sent("h1") is False
    # Its limits hold as a reserved hold's do.
    assert await store.hold("h2", "me", counters, 3600, sent=True) == 0
    assert (await store.counter("tenant"), await store.counter("app")) == (1, 1)


async def test_a_live_pause_entry_stops_the_bucket_without_taking_a_token(store: Store) -> None:
    assert await store.take_token("bucket", 0.001, 2, paused_by="pause") == 0.0
    await store.put("pause", b"x", ttl_seconds=30)
    wait = await store.take_token("bucket", 0.001, 2, paused_by="pause")
    assert 29.0 < wait <= 30.0
    await store.delete("pause")
    # The pause took nothing: one token of the burst of 2 is still there.
    assert await store.take_token("bucket", 0.001, 2, paused_by="pause") == 0.0
    assert await store.take_token("bucket", 0.001, 2, paused_by="pause") > 0.0


async def test_holds_survive_the_process_that_took_them(store_url: str) -> None:
    first = open_for_test(store_url)
    await first.hold("orphan", "dead-owner", [("c", 10)], 3600)
    await first.close()
    second = open_for_test(store_url)
    try:
        assert await second.holds() == [("orphan", "dead-owner")]
        assert await second.release_hold("orphan") is True
        assert await second.counter("c") == 0
    finally:
        await second.close()


async def test_a_restarted_ledger_releases_only_what_a_dead_owner_never_sent(
    store_url: str,
) -> None:
    budgets = {"imageQuery": 3}
    dead = QuotaLedger(open_for_test(store_url), budgets, owner="gone-host/1/nonce")
    spent = await dead.reserve("imageQuery", "")
    assert await dead.sent(spent) is not None
    await dead.reserve("imageQuery", "")  # never sent: its process "dies" now
    await dead._store.close()
    alive_store = open_for_test(store_url)
    try:
        sibling = QuotaLedger(alive_store, budgets, owner="other-host/2/nonce")
        await sibling.renew_lease()
        in_flight = await sibling.reserve("imageQuery", "")
        restarted = QuotaLedger(alive_store, budgets)
        assert await restarted.recover() == 1
        # The sibling's hold has a live lease: it is not the dead one's to give back.
        assert [owner for _, owner in await alive_store.holds()] == [sibling.owner]
        assert await sibling.sent(in_flight) is not None
        app, _, _ = await restarted.usage("")
        assert app[0].used == 2
    finally:
        await alive_store.close()
