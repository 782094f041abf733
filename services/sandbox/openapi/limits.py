"""Per app key and API: a QPS limit and a daily usage budget.

QPS windows are whole seconds of the sandbox clock; a refused call does not
use the window. The budget day is the China calendar day (it resets at 00:00
UTC+8, ``shared.china_time``); a call uses the budget once it has passed
signature, token, ACL and QPS checks, whatever its business outcome.
A limit of 0 means unlimited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from services.sandbox.openapi import errors
from services.sandbox.openapi.clock import SandboxClock
from shared.china_time import quota_day


class Limits:
    def __init__(
        self, clock: SandboxClock, qps_for: Callable[[str], int], budget_for: Callable[[str], int]
    ) -> None:
        self._clock = clock
        self._qps_for = qps_for
        self._budget_for = budget_for
        self._window: dict[tuple[str, str], tuple[int, int]] = {}
        self._used: dict[tuple[str, str, date], int] = defaultdict(int)

    def admit(self, app_key: str, api: str) -> None:
        """Count one call, or raise QosAppFrequencyLimit / NoUsageLeftError."""
        second = int(self._clock.time())
        key = (app_key, api)
        window_second, calls = self._window.get(key, (second, 0))
        if window_second != second:
            calls = 0
        limit = self._qps_for(api)
        if limit and calls >= limit:
            raise errors.frequency_limit()
        self._window[key] = (second, calls + 1)
        day = quota_day(self._clock.now())
        budget = self._budget_for(api)
        if budget and self._used[(app_key, api, day)] >= budget:
            raise errors.no_usage_left()
        self._used[(app_key, api, day)] += 1

    def usage(self) -> dict[str, dict[str, dict[str, int | str]]]:
        """Today's use per app key and API, with the budget."""
        today = quota_day(self._clock.now())
        report: dict[str, dict[str, dict[str, int | str]]] = defaultdict(dict)
        for (app_key, api, day), used in self._used.items():
            if day == today:
                report[app_key][api] = {
                    "used": used,
                    "budget": self._budget_for(api),
                    "day": day.isoformat(),
                }
        return dict(report)

    def reset(self) -> None:
        self._window.clear()
        self._used.clear()
