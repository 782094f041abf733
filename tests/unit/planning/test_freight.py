from __future__ import annotations

from decimal import Decimal

import pytest

from services.planning.domain import FreightBasis
from services.planning.freight import estimate, rate_for
from services.planning.settings import PlanningSettings

D = Decimal


@pytest.mark.parametrize(
    ("province", "rate"),
    [("广东", "1.2"), ("浙江省", "1.5"), ("", "2.0"), ("新疆维吾尔自治区", "2.0")],
)
def test_rate_by_destination(settings: PlanningSettings, province: str, rate: str) -> None:
    assert rate_for(province, settings.freight_rates) == D(rate)


@pytest.mark.parametrize(
    ("province", "amount"), [("广东", "30.00"), ("浙江", "37.50"), ("四川", "50.00")]
)
def test_weight_based_freight(settings: PlanningSettings, province: str, amount: str) -> None:
    # 100 pieces × 0.25 kg = 25 kg.
    freight = estimate(100, D("0.25"), province, settings.freight_rates, settings.flat_freight)
    assert (freight.amount, freight.estimated, freight.basis) == (
        D(amount),
        True,
        FreightBasis.WEIGHT,
    )


def test_weight_freight_rounds_half_up(settings: PlanningSettings) -> None:
    # 3 × 0.125 kg × 1.2 = 0.45 exactly; 7 × 0.0125 × 1.5 = 0.13125 → 0.13.
    rates, flat = settings.freight_rates, settings.flat_freight
    assert estimate(3, D("0.125"), "广东", rates, flat).amount == D("0.45")
    assert estimate(7, D("0.0125"), "浙江", rates, flat).amount == D("0.13")


@pytest.mark.parametrize(
    ("quantity", "amount"), [(1, "20.00"), (100, "20.00"), (101, "50.00"), (5000, "50.00")]
)
def test_flat_estimate_without_weight(
    settings: PlanningSettings, quantity: int, amount: str
) -> None:
    for weight in (None, D(0)):
        freight = estimate(quantity, weight, "广东", settings.freight_rates, settings.flat_freight)
        assert (freight.amount, freight.estimated, freight.basis) == (
            D(amount),
            True,
            FreightBasis.FLAT,
        )
