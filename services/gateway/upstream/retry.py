"""When to try an upstream call again, and how long to wait first.

Only transient failures are retried (connect errors, timeouts, 5xx, the
upstream's frequency limit); signature, ACL, parameter and image errors never
are, since the same request would fail the same way. Waits are exponential
with full jitter (a random wait between 0 and the exponential cap), so
replicas that failed together do not retry together. A frequency limit waits
at least the configured back-off. No wait may run past the caller's deadline:
when the next attempt could not start with some time left, we give up now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.gateway.upstream.errors import RATE_LIMITED, UpstreamError

# An attempt started with less time than this left cannot finish anyway.
MIN_ATTEMPT_S = 0.05


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay_s: float
    max_delay_s: float
    frequency_backoff_s: float

    def delay(
        self,
        attempts_made: int,
        error: UpstreamError,
        remaining_s: float | None,
        uniform: Callable[[float, float], float],
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up with ``error``."""
        if not error.transient or attempts_made >= self.max_attempts:
            return None
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** (attempts_made - 1))
        wait = uniform(0.0, cap)
        if error.reason == RATE_LIMITED:
            wait = max(wait, error.retry_after or self.frequency_backoff_s)
        if remaining_s is not None and wait + MIN_ATTEMPT_S > remaining_s:
            return None
        return wait
