"""Daily upstream budgets: reserve a unit before a call goes out, durably.

Budgets are per API for the whole app key, optionally with per-tenant shares
(``tenant_shares[tenant][api]``; the tenant ``"*"`` is the share of every tenant
not listed). Days are China-time days (shared/china_time.py), and the day is in
every store key, so usage starts from zero at 00:00 UTC+8 without any sweep.
An API without a configured budget is counted but never refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from services.gateway.limits_errors import QuotaExhausted
from services.gateway.store import Store
from shared.china_time import next_reset, quota_day

# Counters outlive their day by this much so a clock slightly behind still finds them.
_KEY_GRACE_S = 6 * 3600
_UNLIMITED = 2**62
DEFAULT_TENANT = "*"


@dataclass(frozen=True)
class Budget:
    api: str
    daily_limit: int


@dataclass(frozen=True)
class Reservation:
    """A unit taken by :meth:`QuotaLedger.reserve`; ``day`` is the China-time day it counts on."""

    api: str
    tenant: str
    day: date


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


class QuotaLedger:
    def __init__(
        self,
        store: Store,
        budgets: Mapping[str, int],
        tenant_shares: Mapping[str, Mapping[str, int]] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._store = store
        self._budgets = dict(budgets)
        self._shares = {t: dict(s) for t, s in (tenant_shares or {}).items()}
        self._clock = clock

    def _share(self, api: str, tenant: str) -> int | None:
        shares = self._shares.get(tenant, self._shares.get(DEFAULT_TENANT, {}))
        return shares.get(api)

    async def reserve(self, api: str, tenant: str) -> Reservation:
        """Spend one unit of ``api`` for ``tenant``; QuotaExhausted when none is left."""
        now = self._clock()
        today = quota_day(now)
        day, resets_at = today.isoformat(), next_reset(now)
        ttl = (resets_at - now).total_seconds() + _KEY_GRACE_S
        limit = self._budgets.get(api, _UNLIMITED)
        app_key = _app_key(day, api)
        if await self._store.get(_exhausted_key(day, api)) is not None:
            raise QuotaExhausted(api, None, limit, await self._store.counter(app_key), resets_at)
        share = self._share(api, tenant)
        tenant_key = _tenant_key(day, api, tenant)
        # The tenant's (smaller, less contended) share first: a refusal there costs the app nothing.
        if share is not None and await self._store.reserve(tenant_key, share, ttl) is None:
            raise QuotaExhausted(
                api, tenant, share, await self._store.counter(tenant_key), resets_at
            )
        if await self._store.reserve(app_key, limit, ttl) is None:
            if share is not None:
                await self._store.release(tenant_key)
            raise QuotaExhausted(api, None, limit, await self._store.counter(app_key), resets_at)
        return Reservation(api, tenant, today)

    async def refund(self, api: str, tenant: str, reservation: Reservation | None = None) -> None:
        """Give back a unit whose call never reached the upstream.

        Pass the ``reservation`` so a refund just after midnight goes back to the
        day the unit was taken from (not to the new day's budget).
        """
        when = reservation.day if reservation is not None else quota_day(self._clock())
        day = when.isoformat()
        await self._store.release(_app_key(day, api))
        if self._share(api, tenant) is not None:
            await self._store.release(_tenant_key(day, api, tenant))

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


def _exhausted_key(day: str, api: str) -> str:
    return f"quota:{day}:{api}:exhausted"
