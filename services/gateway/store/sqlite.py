"""The embedded Store: one SQLite file in WAL mode, shared by every process that opens it.

Reservations (and the two phases of a hold) commit inside ``BEGIN IMMEDIATE`` (the
write lock is taken before the counter is read, so two processes can never both
see room for the last unit) and return only after the commit, with the store's
``durability`` (``FF_GATEWAY_STORE_SYNC``):
* ``NORMAL`` (the default): ``synchronous=NORMAL``, in WAL mode the commit is in the
  file (the OS's page cache) but not fsynced until the next checkpoint. A killed
  process (kill -9, OOM) loses nothing acknowledged; only an OS crash or a power cut
  can lose the last commits, at most the quota records since the last checkpoint
  (calls counted as spent that would count again; 1688 enforces its own daily quota
  and the gateway maps its refusal). It saves an fsync (1-2 ms) on each of a search's
  three durable steps.
* ``FULL``: every reservation's commit is fsynced before it is acknowledged: a power
  cut loses nothing that was acknowledged.
Cache entries and token buckets always use ``synchronous=NORMAL``. All sqlite3
calls run on dedicated threads (one for writes, one for plain reads) so the event loop
never blocks.

Writes are group-committed: the writes that queue up while the writer thread commits
are then committed together, each in its own savepoint (one that raises is rolled back
alone, as its own transaction would be), with ``FULL`` when any of them needs it, and
each is acknowledged only after that commit. Under many callers one fsync then serves
many reservations, instead of each search queueing behind every other search's fsyncs
(a search waits for this thread five times, three of them durable; its cache writes are
written behind, caches.py).
"""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from services.gateway.store.interface import REFUSED

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL,
                                     expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, tokens REAL NOT NULL,
                                    updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS holds (id TEXT PRIMARY KEY, owner TEXT NOT NULL,
                                  counters TEXT NOT NULL, expires_at REAL NOT NULL);
"""
# How long a writer waits for another process's lock before failing.
_BUSY_TIMEOUT_MS = 30_000
# Expired rows are swept every this many cache writes (reads ignore them anyway).
_SWEEP_EVERY = 256
# Writes committed together at most (a bound on how long the write lock is held).
_GROUP_MAX = 64
# The synchronous levels a store's quota commits may use (see the module docstring).
DURABILITIES = ("NORMAL", "FULL")


@dataclass
class _Write:
    """One queued write: a transaction body (``sync`` set) or a plain call (``sync`` "")."""

    sync: str
    body: Callable[[sqlite3.Connection], Any]
    done: Future[Any] = field(default_factory=Future)


_STOP = _Write("", lambda conn: None)


class _Writer:
    """The thread that owns the write connection and group-commits what queues up."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._queue: queue.SimpleQueue[_Write] = queue.SimpleQueue()
        self._sync = ""
        self._thread = threading.Thread(target=self._serve, name="sqlite-store", daemon=True)
        opened: Future[sqlite3.Connection] = Future()
        self._opened = opened
        self._connect = connect
        self._thread.start()
        self.conn = opened.result()

    def submit(self, sync: str, body: Callable[[sqlite3.Connection], T]) -> Future[T]:
        write = _Write(sync, body)
        self._queue.put(write)
        return write.done

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def _serve(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._opened.set_exception(exc)
            return
        self._opened.set_result(conn)
        held_back: _Write | None = None
        while True:
            first = held_back or self._queue.get()
            held_back = None
            if first is _STOP:
                return
            # A write whose caller gave up before it started is skipped, as an executor
            # skips a cancelled work item; once started it runs to its end.
            if not first.done.set_running_or_notify_cancel():
                continue
            if not first.sync:
                _settle(first, conn)
                continue
            group = [first]
            while len(group) < _GROUP_MAX:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if not more.sync:
                    # A plain call (or the stop) runs after this group, in queue order.
                    held_back = more
                    break
                if more.done.set_running_or_notify_cancel():
                    group.append(more)
            self._commit(conn, group)

    def _commit(self, conn: sqlite3.Connection, group: list[_Write]) -> None:
        sync = "FULL" if any(w.sync == "FULL" for w in group) else "NORMAL"
        outcomes: list[tuple[bool, Any]] = []
        try:
            if sync != self._sync:
                # Cannot be changed inside a transaction, so it is set just before one.
                conn.execute(f"PRAGMA synchronous={sync}")
                self._sync = sync
            conn.execute("BEGIN IMMEDIATE")
            try:
                for write in group:
                    conn.execute("SAVEPOINT one")
                    try:
                        outcomes.append((True, write.body(conn)))
                    except BaseException as exc:
                        conn.execute("ROLLBACK TO one")
                        outcomes.append((False, exc))
                    conn.execute("RELEASE one")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except BaseException as exc:
            for write in group:
                write.done.set_exception(exc)
            return
        for write, (ok, value) in zip(group, outcomes, strict=True):
            if ok:
                write.done.set_result(value)
            else:
                write.done.set_exception(value)


def _settle(write: _Write, conn: sqlite3.Connection) -> None:
    try:
        write.done.set_result(write.body(conn))
    except BaseException as exc:
        write.done.set_exception(exc)


class SqliteStore:
    def __init__(
        self, path: str, clock: Callable[[], float] = time.time, durability: str = "NORMAL"
    ) -> None:
        if durability not in DURABILITIES:
            raise ValueError(f"durability must be one of {', '.join(DURABILITIES)}")
        # Wall-clock time: the processes sharing the file share the host's clock.
        self._clock = clock
        # The synchronous level of the quota's commits (reservations, holds).
        self._durable = durability
        self._writes = 0
        self._writer = _Writer(lambda: self._connect(path))
        self._conn = self._writer.conn
        # Plain reads (cache lookups, counters) on a second connection and thread: in WAL
        # mode they never wait for a writer, so under many callers they do not queue behind
        # the durable (fsynced) reservations. An in-memory database is one connection, so
        # its reads go through the writer.
        self._reader: ThreadPoolExecutor | None = None
        self._read_conn = self._conn
        if path != ":memory:":
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-read")
            self._read_conn = self._reader.submit(self._connect, path).result()

    def _connect(self, path: str) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._reader is None:
            return await asyncio.wrap_future(self._writer.submit("", fn))
        conn = self._read_conn
        return await asyncio.get_running_loop().run_in_executor(self._reader, lambda: fn(conn))

    async def _transaction(self, sync: str, body: Callable[[sqlite3.Connection], T]) -> T:
        """``body`` committed with ``synchronous=sync`` (or stronger), atomically."""
        return await asyncio.wrap_future(self._writer.submit(sync, body))

    async def get(self, key: str) -> bytes | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            live = self._live_entry(conn, key, self._clock())
            return None if live is None else live[0]

        return await self._read(read)

    async def put(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        def write(conn: sqlite3.Connection) -> None:
            now = self._clock()
            expires = None if ttl_seconds is None else now + ttl_seconds
            conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (key, value, expires))
            self._writes += 1
            if self._writes % _SWEEP_EVERY == 0:
                conn.execute("DELETE FROM kv WHERE expires_at <= ?", (now,))
                conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
                conn.execute("DELETE FROM holds WHERE expires_at <= ?", (now,))

        await self._transaction("NORMAL", write)

    async def delete(self, key: str) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM kv WHERE key = ?", (key,))
            conn.execute("DELETE FROM counters WHERE key = ?", (key,))
            conn.execute("DELETE FROM buckets WHERE name = ?", (key,))

        await self._transaction("NORMAL", remove)

    @staticmethod
    def _live_entry(
        conn: sqlite3.Connection, key: str, now: float
    ) -> tuple[bytes, float | None] | None:
        """A live ``kv`` entry: its value and expiry (None: it never expires)."""
        row = conn.execute(
            "SELECT value, expires_at FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
            (key, now),
        ).fetchone()
        return None if row is None else (bytes(row[0]), None if row[1] is None else float(row[1]))

    def _live_counter(self, conn: sqlite3.Connection, key: str) -> tuple[int, float] | None:
        row = conn.execute(
            "SELECT value, expires_at FROM counters WHERE key = ? AND expires_at > ?",
            (key, self._clock()),
        ).fetchone()
        return None if row is None else (int(row[0]), float(row[1]))

    async def reserve(self, key: str, limit: int, ttl_seconds: float) -> int | None:
        def take(conn: sqlite3.Connection) -> int | None:
            live = self._live_counter(conn, key)
            value, expires = live if live is not None else (0, self._clock() + ttl_seconds)
            if value >= limit:
                return None
            conn.execute(
                "INSERT OR REPLACE INTO counters VALUES (?, ?, ?)", (key, value + 1, expires)
            )
            return value + 1

        return await self._transaction(self._durable, take)

    async def release(self, key: str) -> None:
        def give_back(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE counters SET value = value - 1 WHERE key = ? AND value > 0", (key,)
            )

        await self._transaction(self._durable, give_back)

    async def counter(self, key: str) -> int:
        def read(conn: sqlite3.Connection) -> int:
            live = self._live_counter(conn, key)
            return 0 if live is None else live[0]

        return await self._read(read)

    async def hold(
        self,
        hold_id: str,
        owner: str,
        counters: Sequence[tuple[str, int]],
        ttl_seconds: float,
        *,
        refused_if: str | None = None,
        sent: bool = False,
    ) -> int:
        def take(conn: sqlite3.Connection) -> int:
            now = self._clock()
            if refused_if is not None and self._live_entry(conn, refused_if, now) is not None:
                return REFUSED
            current = []
            for index, (key, limit) in enumerate(counters):
                live = self._live_counter(conn, key)
                value, expires = live if live is not None else (0, now + ttl_seconds)
                if value >= limit:
                    return index
                current.append((key, value + 1, expires))
            conn.executemany("INSERT OR REPLACE INTO counters VALUES (?, ?, ?)", current)
            if not sent:
                keys = json.dumps([key for key, _ in counters])
                conn.execute(
                    "INSERT INTO holds VALUES (?, ?, ?, ?)",
                    (hold_id, owner, keys, now + ttl_seconds),
                )
            return -1

        return await self._transaction(self._durable, take)

    async def mark_sent(self, hold_id: str) -> bool:
        def sent(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM holds WHERE id = ?", (hold_id,)).rowcount > 0

        return await self._transaction(self._durable, sent)

    async def release_hold(self, hold_id: str) -> bool:
        def give_back(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT counters FROM holds WHERE id = ?", (hold_id,)).fetchone()
            if row is None:
                return False
            conn.executemany(
                "UPDATE counters SET value = value - 1 WHERE key = ? AND value > 0",
                [(key,) for key in json.loads(row[0])],
            )
            conn.execute("DELETE FROM holds WHERE id = ?", (hold_id,))
            return True

        return await self._transaction(self._durable, give_back)

    async def holds(self) -> list[tuple[str, str]]:
        def read(conn: sqlite3.Connection) -> list[tuple[str, str]]:
            rows = conn.execute(
                "SELECT id, owner FROM holds WHERE expires_at > ?", (self._clock(),)
            ).fetchall()
            return [(str(hold_id), str(owner)) for hold_id, owner in rows]

        return await asyncio.wrap_future(self._writer.submit("", read))

    async def take_token(
        self, bucket: str, rate_per_s: float, burst: int, paused_by: str | None = None
    ) -> float:
        def take(conn: sqlite3.Connection) -> float:
            now = self._clock()
            if paused_by is not None:
                pause = self._live_entry(conn, paused_by, now)
                if pause is not None and pause[1] is not None:
                    return float(pause[1]) - now
            row = conn.execute(
                "SELECT tokens, updated_at FROM buckets WHERE name = ?", (bucket,)
            ).fetchone()
            tokens = float(burst) if row is None else float(row[0])
            if row is not None:
                # max(): a clock stepping back must not drain the bucket.
                tokens = min(float(burst), tokens + max(0.0, now - float(row[1])) * rate_per_s)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / rate_per_s
            if wait == 0.0:
                tokens -= 1.0
            conn.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?)", (bucket, tokens, now))
            return wait

        return await self._transaction("NORMAL", take)

    async def close(self) -> None:
        if self._reader is not None:
            await self._read(lambda conn: conn.close())
            self._reader.shutdown(wait=True)
        await asyncio.wrap_future(self._writer.submit("", lambda conn: conn.close()))
        await asyncio.to_thread(self._writer.stop)
