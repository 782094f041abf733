"""Why the gateway refused to spend an upstream call (quota or rate limits).

Plain exceptions: server.py maps them to RESOURCE_EXHAUSTED with QuotaFailure
and RetryInfo; nothing here knows about gRPC.
"""

from __future__ import annotations

from datetime import datetime


class QuotaExhausted(Exception):
    """The daily budget of ``api`` (the app's, or ``tenant``'s share) is spent."""

    def __init__(
        self, api: str, tenant: str | None, limit: int, used: int, resets_at: datetime
    ) -> None:
        if resets_at.tzinfo is None:
            raise ValueError("resets_at must be an aware datetime")
        who = f"tenant {tenant!r}" if tenant is not None else "the app"
        super().__init__(f"daily quota of {api} for {who} exhausted ({used}/{limit})")
        self.api = api
        self.tenant = tenant
        self.limit = limit
        self.used = used
        self.resets_at = resets_at


class RateLimitTimeout(Exception):
    """Waiting for a QPS token (or a shared back-off) would pass the caller's deadline."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited: next call possible in {retry_after:.3f} s")
        self.retry_after = retry_after
