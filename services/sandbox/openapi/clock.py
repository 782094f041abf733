"""The sandbox's movable clock.

Budgets, token and code expiry and QPS windows read this clock, so tests can
jump past midnight China time or past a token's lifetime without waiting.
It runs with the host clock (plus an offset) or stands frozen. Request
timestamps (``_aop_timestamp``) are judged against the host clock instead,
so moving this one never makes a client's signed requests look stale.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SandboxClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None

    def time(self) -> float:
        """Seconds since the epoch, as the sandbox sees it."""
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def set(self, epoch_seconds: float, *, frozen: bool) -> None:
        """Jump to ``epoch_seconds``; frozen stays there, else runs on from it."""
        if frozen:
            self._frozen_at = epoch_seconds
        else:
            self._frozen_at = None
            self._offset = epoch_seconds - time.time()

    def reset(self) -> None:
        """Back to the host clock."""
        self._offset = 0.0
        self._frozen_at = None
