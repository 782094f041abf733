from __future__ import annotations

import pytest

from services.gateway.upstream.circuit_breaker import CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_opens_after_threshold_consecutive_failures(clock: FakeClock) -> None:
    breaker = CircuitBreaker("imageQuery", failure_threshold=3, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert (breaker.state, breaker.allow()) == ("closed", True)
    breaker.record_failure()
    assert (breaker.state, breaker.allow(), breaker.consecutive_failures) == ("open", False, 3)
    assert breaker.retry_after() == 10.0


def test_success_resets_the_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker("imageQuery", failure_threshold=2, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert (breaker.state, breaker.consecutive_failures) == ("closed", 1)


def test_half_open_lets_exactly_one_probe_and_closes_on_success(clock: FakeClock) -> None:
    breaker = CircuitBreaker("imageQuery", failure_threshold=1, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 4
    assert breaker.retry_after() == 6.0
    clock.now += 6
    assert breaker.state == "half_open"
    assert [breaker.allow() for _ in range(3)] == [True, False, False]
    breaker.record_success()
    assert (breaker.state, breaker.allow(), breaker.consecutive_failures) == ("closed", True, 0)


def test_failed_probe_reopens_for_a_full_timeout(clock: FakeClock) -> None:
    breaker = CircuitBreaker("imageQuery", failure_threshold=5, reset_timeout_s=10, clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.now += 10
    assert breaker.allow() is True
    breaker.record_failure()
    assert (breaker.state, breaker.allow(), breaker.retry_after()) == ("open", False, 10.0)


def test_a_probe_that_never_reports_is_replaced(clock: FakeClock) -> None:
    breaker = CircuitBreaker("imageQuery", failure_threshold=1, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow() is True
    clock.now += 9
    assert breaker.allow() is False
    clock.now += 1
    assert breaker.allow() is True


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("x", failure_threshold=0, reset_timeout_s=1)
