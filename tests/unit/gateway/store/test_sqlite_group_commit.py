"""The SQLite store's group commit: writes that queue up behind a busy writer thread are
committed together, and each keeps the outcome its own transaction would have had."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.gateway.store import sqlite as sqlite_store
from services.gateway.store.sqlite import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(str(tmp_path / "gateway.db"))
    yield opened
    await opened.close()


class _Commits:
    """Counts the writer's commits (a group is one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.groups: list[int] = []
        commit = sqlite_store._Writer._commit

        def counted(
            writer: sqlite_store._Writer,
            conn: sqlite3.Connection,
            group: list[sqlite_store._Write],
        ) -> None:
            self.groups.append(len(group))
            commit(writer, conn, group)

        monkeypatch.setattr(sqlite_store._Writer, "_commit", counted)


def _hold_writer(store: SqliteStore) -> tuple[threading.Event, asyncio.Future[bool]]:
    """Keeps the writer thread busy until the event is set (the future is that call)."""
    release = threading.Event()
    return release, asyncio.wrap_future(store._writer.submit("", lambda conn: release.wait(10)))


async def test_queued_writes_commit_together_and_a_failing_one_alone_rolls_back(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = _Commits(monkeypatch)
    release, busy = _hold_writer(store)

    def fails(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO kv VALUES ('half-done', x'00', NULL)")
        raise ValueError("this write fails after writing")

    queued = [
        asyncio.ensure_future(store.put("a", b"1")),
        asyncio.ensure_future(store.reserve("units", limit=2, ttl_seconds=60)),
        asyncio.ensure_future(store._transaction("FULL", fails)),
        asyncio.ensure_future(store.reserve("units", limit=2, ttl_seconds=60)),
        asyncio.ensure_future(store.reserve("units", limit=2, ttl_seconds=60)),
        asyncio.ensure_future(store.put("b", b"2")),
    ]
    await asyncio.sleep(0.05)  # every write is queued behind the held writer
    release.set()
    await busy
    outcomes = await asyncio.gather(*queued, return_exceptions=True)

    assert commits.groups == [6]
    assert outcomes[0] is None and outcomes[5] is None
    # Each reservation saw the ones before it, as with one transaction each.
    assert [outcomes[1], outcomes[3], outcomes[4]] == [1, 2, None]
    assert isinstance(outcomes[2], ValueError)
    assert await store.get("half-done") is None
    assert await store.get("a") == b"1" and await store.get("b") == b"2"
    assert await store.counter("units") == 2


async def test_a_write_given_up_before_it_started_is_not_made(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = _Commits(monkeypatch)
    release, busy = _hold_writer(store)
    abandoned = asyncio.ensure_future(store.reserve("units", limit=5, ttl_seconds=60))
    kept = asyncio.ensure_future(store.reserve("units", limit=5, ttl_seconds=60))
    await asyncio.sleep(0.05)
    abandoned.cancel()
    # The cancellation reaches the queued write on the loop's next turns.
    await asyncio.sleep(0.05)
    release.set()
    await busy
    assert await kept == 1
    assert abandoned.cancelled()
    assert await store.counter("units") == 1
    assert commits.groups == [1]


@pytest.mark.parametrize("durability", ["NORMAL", "FULL"])
async def test_the_quota_commits_use_the_chosen_synchronous_level(
    tmp_path: Path, durability: str
) -> None:
    opened = SqliteStore(str(tmp_path / "gateway.db"), durability=durability)
    try:
        await opened.put("cache", b"1")
        assert opened._writer._sync == "NORMAL"
        assert await opened.hold("h1", "me", [("app", 5)], 3600) == -1
        # The level the hold was committed at (set just before its transaction).
        assert opened._writer._sync == durability
        level = opened._conn.execute("PRAGMA synchronous").fetchone()[0]
        assert level == {"NORMAL": 1, "FULL": 2}[durability]
    finally:
        await opened.close()


def test_an_unknown_durability_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="durability"):
        SqliteStore(str(tmp_path / "gateway.db"), durability="OFF")
