from __future__ import annotations

import random
import time

import pytest

from services.sandbox.openapi.faults import FaultInjector, FaultPlan


def test_latency_jitter_peak_and_large_pages() -> None:
    plan = FaultPlan(latency_ms=100, jitter_ms=0, peak_factor=3, large_page_latency_factor=2)
    injector = FaultInjector(plan, random.Random(1))
    assert injector.delay_seconds("x", large_page=False) == pytest.approx(0.1)
    assert injector.delay_seconds("x", large_page=True) == pytest.approx(0.2)
    plan.update({"peak_mode": True, "jitter_ms": 50})
    delays = [injector.delay_seconds("x", large_page=False) for _ in range(200)]
    assert min(delays) >= 0.3 and max(delays) <= 0.45
    plan.update({"apis": ["y"]})
    assert injector.delay_seconds("x", large_page=False) == 0.0


def test_rates_are_honoured() -> None:
    plan = FaultPlan(fault_5xx_rate=0.25)
    injector = FaultInjector(plan, random.Random(2))
    picks = [injector.pick("app", "api") for _ in range(4000)]
    assert 0.2 < picks.count("5xx") / len(picks) < 0.3
    assert set(picks) == {"5xx", None}
    plan.update({"fault_5xx_rate": 0, "fault_hang_rate": 1})
    assert injector.pick("app", "api") == "hang"
    plan.update({"fault_hang_rate": 0, "fault_malformed_rate": 1})
    assert injector.pick("app", "api") == "malformed"


def test_storm_lasts_for_its_app_key() -> None:
    plan = FaultPlan(fault_storm_rate=1.0, storm_seconds=0.2)
    injector = FaultInjector(plan, random.Random(3))
    assert injector.pick("a", "api") == "storm"
    plan.update({"fault_storm_rate": 0})
    assert injector.pick("a", "api") == "storm"
    assert injector.pick("b", "api") is None
    time.sleep(0.25)
    assert injector.pick("a", "api") is None


def test_server_errors_look_like_the_front_proxy() -> None:
    injector = FaultInjector(FaultPlan(), random.Random(4))
    seen = {injector.server_error()[0]: injector.server_error() for _ in range(50)}
    statuses = {status for status, _, _ in seen.values()}
    assert statuses <= {500, 502, 503} and len(statuses) >= 2
    for status, content_type, body in seen.values():
        assert (content_type == "application/json") == (status == 500)
        assert str(status) in body


@pytest.mark.parametrize(
    "change",
    [
        {"bogus": 1},
        {"fault_5xx_rate": 1.5},
        {"latency_ms": -1},
        {"peak_mode": "yes"},
        {"apis": "x"},
        {"peak_factor": 0.5},
        {"latency_ms": True},
    ],
)
def test_bad_updates_are_refused(change: dict[str, object]) -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError):
        plan.update(change)
    assert plan == FaultPlan()
