from __future__ import annotations

from decimal import Decimal

import pytest

from services.planning.domain import Complexity
from services.planning.settings import PlanningSettings
from shared.config import ConfigError, load

D = Decimal


def test_defaults_are_the_seed_rules() -> None:
    s = load(PlanningSettings, {})
    assert dict(s.markups) == {
        Complexity.SIMPLE: D("0.10"),
        Complexity.STANDARD: D("0.20"),
        Complexity.COMPLEX: D("0.35"),
    }
    assert dict(s.production_days) == {
        Complexity.SIMPLE: 15,
        Complexity.STANDARD: 20,
        Complexity.COMPLEX: 30,
    }
    assert (s.sample_days_fast, s.sample_days_normal) == (3, 7)
    assert (s.default_sample_fee, s.sample_shipping, s.deposit_rate) == (
        D("50.00"),
        D("10.00"),
        D("0.30"),
    )
    assert s.flat_freight == ((100, D("20.00")), (None, D("50.00")))


def test_tables_from_the_environment() -> None:
    s = load(
        PlanningSettings,
        {
            "FF_PLANNING_MARKUPS": "simple:0.05, standard:0.15, complex:1.5",
            "FF_PLANNING_FREIGHT_RATES": "上海:0.8,*:1.1",
            "FF_PLANNING_FLAT_FREIGHT": "50:10,200:30,*:80",
            "FF_PLANNING_DEPOSIT_RATE": "0.5",
        },
    )
    assert s.markups[Complexity.COMPLEX] == D("1.5")
    assert dict(s.freight_rates) == {"上海": D("0.8"), "*": D("1.1")}
    assert s.flat_freight == ((50, D(10)), (200, D(30)), (None, D(80)))
    assert s.deposit_rate == D("0.5")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("FF_PLANNING_MARKUPS", "simple:0.1,standard:0.2", "missing complex"),
        ("FF_PLANNING_MARKUPS", "simple:0.1,standard:0.2,complex:0.3,huge:1", "unknown complexity"),
        ("FF_PLANNING_MARKUPS", "simple:x,standard:0.2,complex:0.3", "not an amount"),
        ("FF_PLANNING_FREIGHT_RATES", "广东:1.2", "'*' rate"),
        ("FF_PLANNING_FREIGHT_RATES", "广东:-1,*:2", "negative"),
        ("FF_PLANNING_FLAT_FREIGHT", "100:20", "'*' must come once, last"),
        ("FF_PLANNING_FLAT_FREIGHT", "200:20,100:30,*:50", "must increase"),
        ("FF_PLANNING_DEPOSIT_RATE", "1.3", "between 0 and 1"),
        ("FF_PLANNING_PRODUCTION_DAYS", "simple:15,standard:20,complex", "key=value"),
    ],
)
def test_bad_tables_stop_the_service(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=name) as info:
        load(PlanningSettings, {name: value})
    assert says in str(info.value)
