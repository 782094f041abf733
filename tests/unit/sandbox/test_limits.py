from __future__ import annotations

from datetime import datetime

import pytest

from services.sandbox import errors
from services.sandbox.clock import SandboxClock
from services.sandbox.limits import Limits
from shared.china_time import CHINA_TZ


def _limits(clock: SandboxClock, qps: int, budget: int) -> Limits:
    return Limits(
        clock, lambda api: qps if api == "q" else 0, lambda api: budget if api == "q" else 0
    )


def _frozen(moment: datetime) -> SandboxClock:
    clock = SandboxClock()
    clock.set(moment.timestamp(), frozen=True)
    return clock


def _code(limits: Limits, app: str = "app", api: str = "q") -> str | None:
    try:
        limits.admit(app, api)
    except errors.GatewayError as exc:
        return exc.code
    return None


def test_qps_counts_exactly_and_resets_next_second() -> None:
    clock = _frozen(datetime(2025, 3, 1, 10, 0, 0, tzinfo=CHINA_TZ))
    limits = _limits(clock, qps=3, budget=0)
    assert [_code(limits) for _ in range(4)] == [None, None, None, "gw.QosAppFrequencyLimit"]
    assert _code(limits, app="other") is None
    assert _code(limits, api="unlimited") is None
    clock.advance(0.999)
    assert _code(limits) == "gw.QosAppFrequencyLimit"
    clock.advance(0.001)
    assert [_code(limits) for _ in range(4)] == [None, None, None, "gw.QosAppFrequencyLimit"]


def test_budget_resets_at_midnight_china_time() -> None:
    clock = _frozen(datetime(2025, 3, 1, 23, 59, 58, tzinfo=CHINA_TZ))
    limits = _limits(clock, qps=0, budget=2)
    assert [_code(limits) for _ in range(3)] == [None, None, "gw.NoUsageLeftError"]
    assert limits.usage() == {"app": {"q": {"used": 2, "budget": 2, "day": "2025-03-01"}}}
    clock.advance(1.0)
    assert _code(limits) == "gw.NoUsageLeftError"
    clock.advance(1.0)  # 00:00:00 China time, 16:00 UTC
    assert [_code(limits) for _ in range(3)] == [None, None, "gw.NoUsageLeftError"]
    assert limits.usage()["app"]["q"]["day"] == "2025-03-02"


def test_refusals_do_not_use_the_budget_and_reset_clears() -> None:
    clock = _frozen(datetime(2025, 3, 1, 12, 0, tzinfo=CHINA_TZ))
    limits = _limits(clock, qps=1, budget=5)
    assert [_code(limits) for _ in range(3)] == [
        None,
        "gw.QosAppFrequencyLimit",
        "gw.QosAppFrequencyLimit",
    ]
    assert limits.usage()["app"]["q"]["used"] == 1
    limits.reset()
    assert limits.usage() == {}
    assert _code(limits) is None


def test_error_bodies_are_exact() -> None:
    assert errors.frequency_limit().body("id") == {
        "error_code": "gw.QosAppFrequencyLimit",
        "error_message": "App call frequency exceeds the limit.",
        "exception": "App call frequency exceeds the limit.",
        "request_id": "id",
    }
    assert errors.no_usage_left().body("id")["error_message"] == "SLA bill has no usage left"


@pytest.mark.parametrize("frozen", [True, False])
def test_clock_moves(frozen: bool) -> None:
    clock = SandboxClock()
    clock.set(1_700_000_000.0, frozen=frozen)
    clock.advance(86_400)
    assert abs(clock.time() - 1_700_086_400.0) < 5
    assert clock.frozen is frozen
    clock.reset()
    assert not clock.frozen and abs(clock.time() - datetime.now().timestamp()) < 5
