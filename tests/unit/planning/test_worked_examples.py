"""Worked examples with amounts computed by hand, at every tier edge and each complexity.

Seed ladder 10–50: 20.00, 51+: 18.00; mark-ups 10/20/35 %; sample 50.00 + 10.00;
flat freight 20.00 up to 100 pieces, 50.00 above; deposit 30 %.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from services.planning.custom_order_plan import build_plan
from services.planning.domain import (
    Complexity,
    CustomOrderPlan,
    FreightBasis,
    OfferFacts,
    OrderSpec,
)
from services.planning.settings import PlanningSettings
from shared.money import PriceTier

MakeOffer = Callable[..., OfferFacts]

D = Decimal
S, M, C = Complexity.SIMPLE, Complexity.STANDARD, Complexity.COMPLEX


def plan_for(
    make_offer: MakeOffer, settings: PlanningSettings, order: OrderSpec
) -> CustomOrderPlan:
    result = build_plan(make_offer(), order, settings)
    assert isinstance(result, CustomOrderPlan)
    return result


def test_the_seed_example_adds_up(make_offer: MakeOffer, settings: PlanningSettings) -> None:
    plan = plan_for(make_offer, settings, OrderSpec(100, M))
    t = plan.totals
    assert (t.base_unit_price, t.unit_price) == (D("18.00"), D("21.60"))
    assert t.batch_total == D("2160.00")
    assert (t.freight.amount, t.freight.estimated, t.freight.basis) == (
        D("20.00"),
        True,
        FreightBasis.FLAT,
    )
    assert (t.sample_fee, t.sample_shipping, t.sample_total) == (D("50.00"), D("10.00"), D("60.00"))
    assert t.grand_total == D("2240.00")
    assert (t.deposit, t.balance) == (D("654.00"), D("1526.00"))
    assert (plan.sample_days, plan.production_days, plan.total_days) == (7, 20, 27)
    assert plan.markup_rate == D("0.20") and plan.deposit_rate == D("0.30")
    assert not plan.sample_fee_estimated and plan.tier_advice is None


# quantity, complexity, unit price, batch, freight, grand total, deposit, balance
EDGES = [
    (10, S, "22.00", "220.00", "20.00", "300.00", "72.00", "168.00"),
    (10, M, "24.00", "240.00", "20.00", "320.00", "78.00", "182.00"),
    (10, C, "27.00", "270.00", "20.00", "350.00", "87.00", "203.00"),
    (50, S, "22.00", "1100.00", "20.00", "1180.00", "336.00", "784.00"),
    (50, M, "24.00", "1200.00", "20.00", "1280.00", "366.00", "854.00"),
    (50, C, "27.00", "1350.00", "20.00", "1430.00", "411.00", "959.00"),
    (51, S, "19.80", "1009.80", "20.00", "1089.80", "308.94", "720.86"),
    (51, M, "21.60", "1101.60", "20.00", "1181.60", "336.48", "785.12"),
    (51, C, "24.30", "1239.30", "20.00", "1319.30", "377.79", "881.51"),
    (100, S, "19.80", "1980.00", "20.00", "2060.00", "600.00", "1400.00"),
    (100, M, "21.60", "2160.00", "20.00", "2240.00", "654.00", "1526.00"),
    (100, C, "24.30", "2430.00", "20.00", "2510.00", "735.00", "1715.00"),
    (101, S, "19.80", "1999.80", "50.00", "2109.80", "614.94", "1434.86"),
    (101, M, "21.60", "2181.60", "50.00", "2291.60", "669.48", "1562.12"),
    (101, C, "24.30", "2454.30", "50.00", "2564.30", "751.29", "1753.01"),
]


@pytest.mark.parametrize(
    ("quantity", "complexity", "unit", "batch", "freight", "grand", "deposit", "balance"), EDGES
)
def test_tier_and_freight_edges(
    make_offer: MakeOffer,
    settings: PlanningSettings,
    quantity: int,
    complexity: Complexity,
    unit: str,
    batch: str,
    freight: str,
    grand: str,
    deposit: str,
    balance: str,
) -> None:
    t = plan_for(make_offer, settings, OrderSpec(quantity, complexity)).totals
    assert t.unit_price == D(unit)
    assert t.batch_total == D(batch)
    assert t.freight.amount == D(freight)
    assert t.grand_total == D(grand)
    assert (t.deposit, t.balance) == (D(deposit), D(balance))


# At 50 pieces, 51 cost less in total: (current, suggested, saving) per complexity.
@pytest.mark.parametrize(
    ("complexity", "current", "suggested", "saving"),
    [
        (S, "1180.00", "1089.80", "90.20"),
        (M, "1280.00", "1181.60", "98.40"),
        (C, "1430.00", "1319.30", "110.70"),
    ],
)
def test_tier_advice_at_the_last_piece_of_a_tier(
    make_offer: MakeOffer,
    settings: PlanningSettings,
    complexity: Complexity,
    current: str,
    suggested: str,
    saving: str,
) -> None:
    advice = plan_for(make_offer, settings, OrderSpec(50, complexity)).tier_advice
    assert advice is not None
    assert advice.suggested_quantity == 51
    assert (advice.current_total, advice.suggested_total) == (D(current), D(suggested))
    assert advice.saving == D(saving)


def test_48_pieces_cost_more_than_51(make_offer: MakeOffer, settings: PlanningSettings) -> None:
    advice = plan_for(make_offer, settings, OrderSpec(48, M)).tier_advice
    assert advice is not None
    assert (advice.current_total, advice.suggested_total, advice.saving) == (
        D("1232.00"),
        D("1181.60"),
        D("50.40"),
    )
    assert (
        "51" in advice.message and "¥1,181.60" in advice.message and "¥1,232.00" in advice.message
    )


def test_tier_advice_starts_exactly_where_the_next_tier_gets_cheaper(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    # standard: 45 pieces = 1,160.00 < 1,181.60 at 51; 46 pieces = 1,184.00 > 1,181.60.
    assert plan_for(make_offer, settings, OrderSpec(45, M)).tier_advice is None
    advice = plan_for(make_offer, settings, OrderSpec(46, M)).tier_advice
    assert advice is not None and advice.saving == D("2.40")


def test_no_tier_advice_from_the_first_piece_of_a_tier(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    assert plan_for(make_offer, settings, OrderSpec(10, C)).tier_advice is None


@pytest.mark.parametrize(("complexity", "days"), [(S, 15), (M, 20), (C, 30)])
def test_production_days_by_complexity(
    make_offer: MakeOffer, settings: PlanningSettings, complexity: Complexity, days: int
) -> None:
    plan = plan_for(make_offer, settings, OrderSpec(100, complexity))
    assert (plan.production_days, plan.total_days) == (days, days + 7)


def test_below_the_minimum_is_planned_at_the_minimum(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    plan = plan_for(make_offer, settings, OrderSpec(5, S))
    assert (plan.requested_quantity, plan.planned_quantity) == (5, 10)
    assert plan.totals.batch_total == D("220.00")
    assert any("起订量10件" in note for note in plan.notes)


def test_rounding_is_half_up_and_only_at_the_end(
    settings: PlanningSettings, make_offer: MakeOffer
) -> None:
    # unit 0.01 × 1.10 = 0.011 (kept exact); 15 pieces = 0.165 → 0.17 (half-even would say 0.16).
    offer = make_offer(price_ladder=(_tier(1, "0.01"),), min_order=1)
    result = build_plan(offer, OrderSpec(15, S), settings)
    assert isinstance(result, CustomOrderPlan)
    t = result.totals
    assert (t.unit_price, t.batch_total) == (D("0.011"), D("0.17"))
    assert (t.grand_total, t.deposit, t.balance) == (D("80.17"), D("6.05"), D("14.12"))


def test_deposit_rounds_half_up(settings: PlanningSettings, make_offer: MakeOffer) -> None:
    # 14 pieces: batch 0.154 → 0.15; bulk 20.15 × 0.30 = 6.045 → 6.05; balance takes the rest.
    offer = make_offer(price_ladder=(_tier(1, "0.01"),), min_order=1)
    result = build_plan(offer, OrderSpec(14, S), settings)
    assert isinstance(result, CustomOrderPlan)
    assert (result.totals.deposit, result.totals.balance) == (D("6.05"), D("14.10"))


def _tier(start: int, price: str) -> PriceTier:
    return PriceTier(start, None, D(price))
