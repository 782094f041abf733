"""Retry policy: what is retried, full-jitter bounds, never past the deadline."""

from __future__ import annotations

import pytest

from services.gateway.upstream import errors
from services.gateway.upstream.retry import MIN_ATTEMPT_S, RetryPolicy

POLICY = RetryPolicy(max_attempts=4, base_delay_s=0.2, max_delay_s=1.0, frequency_backoff_s=10.0)


def error(reason: str, transient: bool) -> errors.UpstreamError:
    return errors.UpstreamError(reason, "x", api="a", transient=transient)


def highest(low: float, high: float) -> float:
    return high


def lowest(low: float, high: float) -> float:
    return low


TRANSIENT = error(errors.UNAVAILABLE, transient=True)


@pytest.mark.parametrize(
    "reason",
    [
        errors.SIGNATURE_INVALID,
        errors.ACL_DECLINED,
        errors.PARAM_MISSING,
        errors.IMAGE_REJECTED,
        errors.TOKEN_EXPIRED,
        errors.MALFORMED,
        errors.REQUEST_INVALID,
        errors.API_UNSUPPORTED,
        errors.QUOTA_EXHAUSTED,
    ],
)
def test_permanent_errors_are_never_retried(reason: str) -> None:
    assert POLICY.delay(1, error(reason, transient=False), None, highest) is None


def test_exponential_caps_with_full_jitter() -> None:
    caps = [POLICY.delay(n, TRANSIENT, None, highest) for n in (1, 2, 3)]
    assert caps == [0.2, 0.4, 0.8]
    assert POLICY.delay(1, TRANSIENT, None, lowest) == 0.0


def test_the_cap_stops_growing_at_max_delay() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay_s=0.2, max_delay_s=1.0, frequency_backoff_s=1)
    assert policy.delay(8, TRANSIENT, None, highest) == 1.0


def test_jitter_draws_between_zero_and_the_cap() -> None:
    draws: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        draws.append((low, high))
        return (low + high) / 2

    assert POLICY.delay(2, TRANSIENT, None, record) == pytest.approx(0.2)
    assert draws == [(0.0, 0.4)]


def test_attempts_are_bounded() -> None:
    assert POLICY.delay(3, TRANSIENT, None, highest) is not None
    assert POLICY.delay(4, TRANSIENT, None, highest) is None


def test_a_wait_that_would_pass_the_deadline_gives_up() -> None:
    assert POLICY.delay(1, TRANSIENT, 0.2 + MIN_ATTEMPT_S + 0.01, highest) == 0.2
    assert POLICY.delay(1, TRANSIENT, 0.2, highest) is None
    assert POLICY.delay(1, TRANSIENT, 0.01, lowest) is None


def test_frequency_limit_waits_at_least_the_back_off() -> None:
    limited = error(errors.RATE_LIMITED, transient=True)
    assert POLICY.delay(1, limited, None, highest) == 10.0
    assert POLICY.delay(1, limited, 5.0, highest) is None
    limited.retry_after = 0.5
    assert POLICY.delay(1, limited, 5.0, lowest) == 0.5
