"""Daily upstream budgets: a unit per call, taken in two durable phases.

:meth:`QuotaLedger.reserve` takes a unit ("reserved": counted, so concurrent
callers and other replicas never overspend) and :meth:`QuotaLedger.sent`
confirms it just before the request is written ("sent": spent for good). A
reserved unit whose call never goes out is refunded; one left behind by a
killed process is released by :meth:`QuotaLedger.recover` once its owner is
known dead (its lease expired, or its pid is gone on this host), so after a
crash the ledger counts what may have reached the upstream, not what was
merely queued. A caller with nothing left to wait for but the write takes both
phases in one durable step (``reserve(..., sent=True)``), and every reservation reads
the API's exhausted mark in the same step as its counters: a search's two calls wait
for the store three times for their budget, not six.

Budgets are per API for the whole app key, optionally with per-tenant shares
(``tenant_shares[tenant][api]``; the tenant ``"*"`` is the share of every tenant
not listed). Days are China-time days (shared/china_time.py), and the day is in
every store key, so usage starts from zero at 00:00 UTC+8 without any sweep.
An API without a configured budget is counted but never refused.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from services.gateway.store.interface import REFUSED, Store
from services.gateway.upstream.errors import QuotaExhausted
from shared.china_time import next_reset, quota_day

# Counters outlive their day by this much so a clock slightly behind still finds them.
_KEY_GRACE_S = 6 * 3600
_UNLIMITED = 2**62
DEFAULT_TENANT = "*"
# An owner is presumed alive while its lease lasts; it renews it every third of this.
LEASE_S = 15.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reservation:
    """A unit taken by :meth:`QuotaLedger.reserve`; ``day`` is the China-time day it counts on."""

    api: str
    tenant: str
    day: date
    hold_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent: bool = False


@dataclass(frozen=True)
class UsageLine:
    """One API's usage today; ``tenant`` is "" for the whole app key."""

    api: str
    tenant: str
    used: int
    limit: int
    remaining: int
    exhausted: bool


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_owner() -> str:
    """This process's name on its holds: host, pid and a nonce (pids are reused)."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


class QuotaLedger:
    def __init__(
        self,
        store: Store,
        budgets: Mapping[str, int],
        tenant_shares: Mapping[str, Mapping[str, int]] | None = None,
        clock: Callable[[], datetime] = _utc_now,
        owner: str | None = None,
    ) -> None:
        self._store = store
        self.owner = owner or new_owner()
        self._budgets = dict(budgets)
        self._shares = {t: dict(s) for t, s in (tenant_shares or {}).items()}
        self._clock = clock

    def _share(self, api: str, tenant: str) -> int | None:
        shares = self._shares.get(tenant, self._shares.get(DEFAULT_TENANT, {}))
        return shares.get(api)

    async def reserve(self, api: str, tenant: str, *, sent: bool = False) -> Reservation:
        """Phase one: take one unit of ``api`` for ``tenant``; QuotaExhausted when none is left.

        The unit counts at once; confirm it with :meth:`sent` just before the
        request is written, or give it back with :meth:`refund`. ``sent``: both
        phases in one durable step, for a caller with nothing left to wait for but
        the write (a crash after it leaves the unit spent, as after :meth:`sent`).
        The API's exhausted mark is checked in the same step.
        """
        now = self._clock()
        today = quota_day(now)
        day, resets_at = today.isoformat(), next_reset(now)
        ttl = (resets_at - now).total_seconds() + _KEY_GRACE_S
        limit = self._budgets.get(api, _UNLIMITED)
        app_key = _app_key(day, api)
        share = self._share(api, tenant)
        tenant_key = _tenant_key(day, api, tenant)
        # The tenant's share is checked first: its refusal names the tenant, not the app.
        counters = [(app_key, limit)] if share is None else [(tenant_key, share), (app_key, limit)]
        reservation = Reservation(api, tenant, today, sent=sent)
        full = await self._store.hold(
            reservation.hold_id,
            self.owner,
            counters,
            ttl,
            refused_if=_exhausted_key(day, api),
            sent=sent,
        )
        if full == REFUSED:
            raise QuotaExhausted(api, None, limit, await self._store.counter(app_key), resets_at)
        if full >= 0:
            key, refused_at = counters[full]
            who = tenant if key == tenant_key and share is not None else None
            raise QuotaExhausted(api, who, refused_at, await self._store.counter(key), resets_at)
        return reservation

    async def sent(self, reservation: Reservation) -> Reservation | None:
        """Phase two, just before the request is written: the unit stays spent.

        None when the unit was released meanwhile (its owner was taken for
        dead): the caller must reserve again rather than send on it.
        """
        if reservation.sent:
            return reservation
        if not await self._store.mark_sent(reservation.hold_id):
            return None
        return replace(reservation, sent=True)

    async def refund(self, api: str, tenant: str, reservation: Reservation | None = None) -> None:
        """Give back a unit whose call never reached the upstream.

        Pass the ``reservation`` so a refund just after midnight goes back to the
        day the unit was taken from (not to the new day's budget); a reservation
        not yet sent is released as a whole (its app and tenant units at once).
        """
        if reservation is not None and not reservation.sent:
            # Released as a whole, or already released by recovery: never twice.
            await self._store.release_hold(reservation.hold_id)
            return
        when = reservation.day if reservation is not None else quota_day(self._clock())
        day = when.isoformat()
        await self._store.release(_app_key(day, api))
        if self._share(api, tenant) is not None:
            await self._store.release(_tenant_key(day, api, tenant))

    async def renew_lease(self) -> None:
        """Say this owner is alive (its holds are not to be released) for ``LEASE_S``."""
        await self._store.put(_lease_key(self.owner), b"1", LEASE_S)

    async def recover(self) -> int:
        """Release the reserved, never-sent units of owners that are dead; returns how many."""
        host = socket.gethostname()
        released = 0
        for hold_id, owner in await self._store.holds():
            if owner == self.owner or not await self._owner_dead(owner, host):
                continue
            if await self._store.release_hold(hold_id):
                released += 1
        if released:
            log.warning(
                "released units reserved by a dead process that never sent them",
                extra={"fields": {"released": released}},
            )
        return released

    async def _owner_dead(self, owner: str, host: str) -> bool:
        if await self._store.get(_lease_key(owner)) is None:
            return True
        # A live lease on this host: the pid tells at once whether its process is gone.
        parts = owner.rsplit("/", 2)
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            return False
        pid = int(parts[1])
        # Our own pid under another nonce: an earlier incarnation (a container restarted
        # with the same hostname and pid 1).
        return pid == os.getpid() or not _pid_alive(pid)

    async def mark_exhausted(self, api: str) -> None:
        """The upstream said gw.NoUsageLeftError: refuse ``api`` until the next reset."""
        now = self._clock()
        resets_at = next_reset(now)
        ttl = (resets_at - now).total_seconds() + _KEY_GRACE_S
        await self._store.put(_exhausted_key(quota_day(now).isoformat(), api), b"1", ttl)

    async def usage(self, tenant: str) -> tuple[list[UsageLine], list[UsageLine], datetime]:
        """Today's app lines (budgeted APIs), ``tenant``'s lines (APIs it has a share of), reset."""
        now = self._clock()
        day = quota_day(now).isoformat()
        app_lines = [
            await self._line(api, "", limit, _app_key(day, api), day)
            for api, limit in sorted(self._budgets.items())
        ]
        shares = self._shares.get(tenant, self._shares.get(DEFAULT_TENANT, {}))
        tenant_lines = [
            await self._line(api, tenant, limit, _tenant_key(day, api, tenant), day)
            for api, limit in sorted(shares.items())
        ]
        return app_lines, tenant_lines, next_reset(now)

    async def _line(self, api: str, tenant: str, limit: int, key: str, day: str) -> UsageLine:
        used = await self._store.counter(key)
        exhausted = await self._store.get(_exhausted_key(day, api)) is not None
        remaining = 0 if exhausted else max(0, limit - used)
        return UsageLine(api, tenant, used, limit, remaining, exhausted)


def _app_key(day: str, api: str) -> str:
    return f"quota:{day}:{api}:app"


def _tenant_key(day: str, api: str, tenant: str) -> str:
    return f"quota:{day}:{api}:tenant:{tenant}"


def _lease_key(owner: str) -> str:
    return f"quota:owner:{owner}"


def _exhausted_key(day: str, api: str) -> str:
    return f"quota:{day}:{api}:exhausted"
