from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from services.sandbox.openapi import errors
from services.sandbox.openapi.clock import SandboxClock
from services.sandbox.openapi.errors import GatewayError
from services.sandbox.openapi.limits import Limits
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


REAL_1688 = Path(__file__).resolve().parents[5] / "shared" / "real-1688"


@pytest.mark.parametrize(
    ("captured", "error"),
    [
        ("error__gw.QosAppFrequencyLimit.json", errors.frequency_limit()),
        ("error__gw.NoUsageLeftError.json", errors.no_usage_left()),
        ("error__gw.APIACLDecline.json", errors.acl_decline()),
        ("error__gw.ParamMissing.json", errors.param_missing("offerId")),
        ("error__401_request_need_user_authorized.json", errors.need_authorization()),
    ],
)
def test_error_bodies_are_exactly_the_captured_ones(captured: str, error: GatewayError) -> None:
    expected = json.loads((REAL_1688 / captured).read_text(encoding="utf-8"))
    body = error.body()
    assert body == expected
    assert list(body) == list(expected)  # same keys in the same order
    assert error.status == (401 if expected["error_code"] == "401" else 400)


@pytest.mark.parametrize("frozen", [True, False])
def test_clock_moves(frozen: bool) -> None:
    clock = SandboxClock()
    clock.set(1_700_000_000.0, frozen=frozen)
    clock.advance(86_400)
    assert abs(clock.time() - 1_700_086_400.0) < 5
    assert clock.frozen is frozen
    clock.reset()
    assert not clock.frozen and abs(clock.time() - datetime.now().timestamp()) < 5
