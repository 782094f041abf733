"""Prometheus metrics of the gateway's upstream side (labels never carry secrets)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.gateway.upstream.circuit_breaker import CircuitBreaker

UPSTREAM_CALLS = Counter(
    "factoryfinder_gateway_upstream_calls_total",
    "Upstream HTTP attempts by API and outcome (ok or an ErrorInfo reason).",
    ["api", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "factoryfinder_gateway_upstream_duration_seconds",
    "Latency of upstream HTTP attempts.",
    ["api"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UPSTREAM_RETRIES = Counter(
    "factoryfinder_gateway_upstream_retries_total",
    "Upstream attempts that were retried, by API and the reason of the failure.",
    ["api", "reason"],
)
BREAKER_STATE = Gauge(
    "factoryfinder_gateway_breaker_state",
    "Circuit breaker per upstream API: 0 closed, 1 open, 2 half-open.",
    ["api"],
)
_BREAKER_VALUES = {"closed": 0, "open": 1, "half_open": 2}
CACHE_LOOKUPS = Counter(
    "factoryfinder_gateway_cache_lookups_total",
    "Cache lookups by cache (image_id, search, detail) and result (hit, near_hit, miss).",
    ["cache", "result"],
)
TOKEN_REFRESHES = Counter(
    "factoryfinder_gateway_token_refreshes_total",
    "Access-token refreshes by outcome.",
    ["outcome"],
)
TOKEN_POSTPONES = Counter(
    "factoryfinder_gateway_token_postpones_total",
    "Refresh-token renewals (postponeToken, tried in its last 30 days) by outcome.",
    ["outcome"],
)
REFRESH_TOKEN_EXPIRY = Gauge(
    "factoryfinder_gateway_refresh_token_expiry_seconds",
    "Seconds until the 1688 refresh token ends (-1 unknown).",
)
REFRESH_TOKEN_EXPIRING = Gauge(
    "factoryfinder_gateway_refresh_token_expiring",
    "1 when the refresh token ends within 30 days (renew or re-authorize).",
)
CLOCK_SKEW = Gauge(
    "factoryfinder_gateway_clock_skew_seconds",
    "Upstream clock minus ours, as calibrated against system/currentTime.",
)


def watch_breaker(api: str, breaker: CircuitBreaker) -> None:
    """Export ``breaker``'s state, read live at every scrape (it changes with time alone)."""
    BREAKER_STATE.labels(api).set_function(lambda: _BREAKER_VALUES[breaker.state])
