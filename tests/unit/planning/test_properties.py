"""Properties of every plan: the money adds up to the fen, a larger quantity
never lowers the batch total inside a tier, and tier advice appears exactly
when the next tier costs less in total."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.planning.custom_order_plan import build_plan
from services.planning.domain import Complexity, CustomOrderPlan, DetailFacts, OfferFacts, OrderSpec
from services.planning.settings import PlanningSettings
from shared.config import load
from shared.money import PriceTier, next_tier, round_fen

SETTINGS = load(PlanningSettings, {})
# One flat freight for every quantity: grand totals then differ only by the batch.
CONSTANT_FREIGHT = load(PlanningSettings, {"FF_PLANNING_FLAT_FREIGHT": "*:20"})

prices = st.integers(1, 100_000).map(lambda n: Decimal(n) / 1000)
weights = st.none() | st.integers(1, 5_000).map(lambda n: Decimal(n) / 1000)
provinces = st.sampled_from(["", "广东", "浙江省", "四川"])
complexities = st.sampled_from(list(Complexity))


@st.composite
def ladders(draw: st.DrawFn) -> tuple[PriceTier, ...]:
    start = draw(st.integers(1, 20))
    tiers = []
    for _ in range(draw(st.integers(1, 4))):
        tiers.append(PriceTier(start, None, draw(prices)))
        start += draw(st.integers(1, 300))
    return tuple(tiers)


@st.composite
def offers(draw: st.DrawFn, min_order: int | None = None) -> OfferFacts:
    detail = DetailFacts(
        available=True,
        price_ladder=draw(ladders()),
        min_order=draw(st.integers(0, 500)) if min_order is None else min_order,
        biz_type=2,
        unit_weight_kg=draw(weights),
        sample_fee=draw(st.none() | prices),
    )
    return OfferFacts("p1", detail, title="来样加工")


orders = st.builds(
    OrderSpec,
    quantity=st.integers(1, 3_000),
    complexity=complexities,
    fast_sampling=st.booleans(),
    destination_province=provinces,
)


def plan_of(
    offer: OfferFacts, order: OrderSpec, settings: PlanningSettings = SETTINGS
) -> CustomOrderPlan:
    result = build_plan(offer, order, settings)
    assert isinstance(result, CustomOrderPlan)
    return result


def with_quantity(order: OrderSpec, quantity: int) -> OrderSpec:
    return OrderSpec(quantity, order.complexity, order.fast_sampling, order.destination_province)


@given(offers(), orders)
def test_the_money_adds_up_to_the_fen(offer: OfferFacts, order: OrderSpec) -> None:
    t = plan_of(offer, order).totals
    shown = [t.batch_total, t.freight.amount, t.sample_total, t.grand_total, t.deposit, t.balance]
    assert all(amount == round_fen(amount) for amount in shown)
    assert t.sample_total == t.sample_fee + t.sample_shipping
    assert t.grand_total == t.sample_total + t.batch_total + t.freight.amount
    assert t.deposit + t.balance == t.batch_total + t.freight.amount
    assert t.deposit == round_fen((t.batch_total + t.freight.amount) * Decimal("0.30"))
    assert t.balance >= 0


@given(offers(min_order=1), orders, st.data())
def test_inside_a_tier_more_pieces_never_cost_less(
    offer: OfferFacts, order: OrderSpec, data: st.DataObject
) -> None:
    upper = next_tier(offer.detail.price_ladder, order.quantity)
    last_in_tier = order.quantity + 500 if upper is None else upper.min_quantity - 1
    larger = data.draw(st.integers(order.quantity, last_in_tier))
    smaller_total = plan_of(offer, order).totals.batch_total
    assert plan_of(offer, with_quantity(order, larger)).totals.batch_total >= smaller_total


@given(offers(min_order=1), orders)
def test_tier_advice_appears_exactly_when_the_next_tier_costs_less(
    offer: OfferFacts, order: OrderSpec
) -> None:
    plan = plan_of(offer, order)
    upper = next_tier(offer.detail.price_ladder, order.quantity)
    if upper is None:
        assert plan.tier_advice is None
        return
    there = plan_of(offer, with_quantity(order, upper.min_quantity)).totals.grand_total
    here = plan.totals.grand_total
    assert (plan.tier_advice is not None) == (there < here)
    if plan.tier_advice is not None:
        advice = plan.tier_advice
        assert advice.suggested_quantity == upper.min_quantity
        assert (advice.current_total, advice.suggested_total) == (here, there)
        assert advice.saving == here - there > 0


@given(offers(min_order=1), orders)
def test_with_constant_freight_advice_means_the_batch_got_cheaper(
    offer: OfferFacts, order: OrderSpec
) -> None:
    flat = OfferFacts(
        offer.offer_id,
        DetailFacts(
            available=True,
            price_ladder=offer.detail.price_ladder,
            min_order=1,
            biz_type=2,
        ),
    )
    plan = plan_of(flat, order, CONSTANT_FREIGHT)
    upper = next_tier(flat.detail.price_ladder, order.quantity)
    if upper is None:
        assert plan.tier_advice is None
        return
    there = plan_of(flat, with_quantity(order, upper.min_quantity), CONSTANT_FREIGHT)
    batch_dropped = there.totals.batch_total < plan.totals.batch_total
    assert (plan.tier_advice is not None) == batch_dropped
