"""A circuit breaker in front of one upstream API (per process).

Closed: calls flow and consecutive failures are counted. After
``failure_threshold`` of them it opens: calls are refused for
``reset_timeout_s``. Then it is half-open: exactly one probe goes through; its
success closes the breaker, its failure opens it again. A probe that never
reports back (its caller was cancelled) is replaced after another
``reset_timeout_s`` so the breaker cannot stay stuck.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        failure_threshold: int,
        reset_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_timeout_s <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_timeout_s > 0")
        self.name = name
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout_s
        self._clock = clock
        self.consecutive_failures = 0
        self._opened_at: float | None = None
        self._probe_started: float | None = None

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self._reset_timeout:
            return "open"
        return "half_open"

    def allow(self) -> bool:
        """May a call go out now? In half-open, True for the one probe only."""
        state = self.state
        if state != "half_open":
            return state == "closed"
        now = self._clock()
        if self._probe_started is not None and now - self._probe_started < self._reset_timeout:
            return False
        self._probe_started = now
        return True

    def record_success(self) -> None:
        self.consecutive_failures = 0
        self._opened_at = None
        self._probe_started = None

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        if self._probe_started is not None or self.consecutive_failures >= self._threshold:
            self._opened_at = self._clock()
            self._probe_started = None

    def retry_after(self) -> float:
        """Seconds until the breaker half-opens (0.0 unless it is open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self._reset_timeout - self._clock())
