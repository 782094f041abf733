"""The plan's rules beyond the arithmetic: refusals, minimums, sample, freight, notes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from services.planning.custom_order_plan import build_plan
from services.planning.domain import (
    Complexity,
    CustomizationClaim,
    CustomOrderPlan,
    Evidence,
    FreightBasis,
    Locale,
    OfferFacts,
    OrderSpec,
    PlanRefusal,
)
from services.planning.settings import PlanningSettings
from shared.config import load
from shared.money import PriceTier

D = Decimal
MakeOffer = Callable[..., OfferFacts]
STANDARD_100 = OrderSpec(100, Complexity.STANDARD)


def planned(offer: OfferFacts, order: OrderSpec, settings: PlanningSettings) -> CustomOrderPlan:
    result = build_plan(offer, order, settings)
    assert isinstance(result, CustomOrderPlan), result
    return result


def refused(offer: OfferFacts, order: OrderSpec, settings: PlanningSettings) -> PlanRefusal:
    result = build_plan(offer, order, settings)
    assert isinstance(result, PlanRefusal), result
    return result


def test_not_customizable_is_refused_with_evidence(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    refusal = refused(make_offer(title="现货T恤", biz_type=1), STANDARD_100, settings)
    assert refusal.reason == "NOT_CUSTOMIZABLE"
    assert "广州XX服装厂" in refusal.message
    assert {(e.signal, e.value) for e in refusal.evidence} == {
        ("biz_type", "1"),
        ("title_word", ""),
    }


def test_an_explicit_no_stands_without_a_detail(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    claim = CustomizationClaim(
        False, evidence=(Evidence("company_name", "XX商行", -1.0, "trader"),)
    )
    refusal = refused(make_offer(claim=claim, available=False), STANDARD_100, settings)
    assert (refusal.reason, refusal.evidence) == ("NOT_CUSTOMIZABLE", claim.evidence)


def test_a_missing_detail_is_refused_with_its_status(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    offer = make_offer(available=False, status="ACL_DECLINED", unavailable_reason="no ACL")
    refusal = refused(offer, STANDARD_100, settings)
    assert refusal.reason == "DETAIL_UNAVAILABLE"
    assert refusal.metadata == (("detail_status", "ACL_DECLINED"),)
    assert refusal.message == "the offer's detail is unavailable (ACL_DECLINED): no ACL"


def test_a_detail_without_any_price_is_refused(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    refusal = refused(make_offer(price_ladder=()), STANDARD_100, settings)
    assert refusal.reason == "DETAIL_UNAVAILABLE"


def test_the_listing_price_is_used_when_the_detail_has_no_ladder(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    base = make_offer(price_ladder=())
    offer = OfferFacts(
        base.offer_id,
        base.detail,
        title=base.title,
        listed_ladder=(PriceTier(1, None, D("10.00")),),
    )
    assert planned(offer, STANDARD_100, settings).totals.batch_total == D("1200.00")


def test_custom_minimum_wins_over_the_minimum_order(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    claim = CustomizationClaim(True, made_to_sample=True, custom_min_order=200)
    plan = planned(make_offer(claim=claim), STANDARD_100, settings)
    assert plan.planned_quantity == 200
    assert plan.totals.batch_total == D("4320.00")
    assert "需求100件低于起订量,按起订量200件计划。" in plan.notes


def test_default_sample_fee_is_flagged(make_offer: MakeOffer) -> None:
    settings = load(PlanningSettings, {"FF_PLANNING_DEFAULT_SAMPLE_FEE": "80"})
    plan = planned(make_offer(sample_fee=None), STANDARD_100, settings)
    assert plan.sample_fee_estimated
    assert (plan.totals.sample_fee, plan.totals.sample_total) == (D("80.00"), D("90.00"))
    assert plan.totals.grand_total == D("2270.00")
    assert "打样费未公布,按默认¥80.00估算,请向供应商确认。" in plan.notes


def test_the_claimed_sample_fee_comes_first(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    claim = CustomizationClaim(True, made_to_sample=True, sample_fee=D("35.5"))
    plan = planned(make_offer(claim=claim), STANDARD_100, settings)
    assert (plan.totals.sample_fee, plan.sample_fee_estimated) == (D("35.50"), False)


@pytest.mark.parametrize(
    ("asked", "title", "days", "noted"),
    [
        (True, "T恤 来样加工 快速打样", 3, False),
        (True, "T恤 来样加工", 7, True),
        (False, "T恤 来样加工 快速打样", 7, False),
    ],
)
def test_fast_sampling_needs_both_sides(
    make_offer: MakeOffer,
    settings: PlanningSettings,
    asked: bool,
    title: str,
    days: int,
    noted: bool,
) -> None:
    order = OrderSpec(100, Complexity.SIMPLE, fast_sampling=asked)
    plan = planned(make_offer(title=title), order, settings)
    assert (plan.sample_days, plan.total_days) == (days, days + 15)
    assert ("供应商未提供快速打样,打样按7天计。" in plan.notes) is noted


def test_weight_based_freight_in_the_plan(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    order = OrderSpec(100, Complexity.STANDARD, destination_province="广东")
    t = planned(make_offer(unit_weight_kg=D("0.25")), order, settings).totals
    assert (t.freight.amount, t.freight.basis, t.freight.estimated) == (
        D("30.00"),
        FreightBasis.WEIGHT,
        True,
    )
    assert (t.grand_total, t.deposit, t.balance) == (D("2250.00"), D("657.00"), D("1533.00"))


def test_notes_in_chinese(make_offer: MakeOffer, settings: PlanningSettings) -> None:
    plan = planned(make_offer(), OrderSpec(100, Complexity.COMPLEX), settings)
    assert plan.notes == (
        "供应商在1688经营8年,经验较丰富。",
        "复杂定制建议先打2-3个样品,确认无误后再下大货。",
        "运费¥20.00为按件数的粗略估算,请向供应商索取发往目的地的报价。",
        "打样7天+生产30天,约37天可发货。",
        "大货款(货款+运费)¥2,450.00分两笔付:下单付30%定金¥735.00,发货前付70%尾款¥1,715.00。",
    )


def test_notes_in_english(make_offer: MakeOffer, settings: PlanningSettings) -> None:
    order = OrderSpec(100, Complexity.STANDARD, destination_province="浙江", locale=Locale.EN)
    # bizType 2 (the fixture's): processing, so made to sample, as ranking says too
    plan = planned(make_offer(years=1, title="T恤 定制"), order, settings)
    assert plan.notes == (
        "The supplier has only 1 year(s) on 1688: start with a small order.",
        "Ask for a sample and check the quality before the bulk order.",
        "Freight ¥20.00 is a rough estimate by quantity: ask the supplier for a quote to 浙江.",
        "Sample 7 days + production 20 days: ready to ship in about 27 days.",
        "Pay the bulk order (goods + freight, ¥2,180.00) in two parts: 30% deposit ¥654.00 "
        "on order, 70% balance ¥1,526.00 before shipping.",
    )


def test_unknown_experience_is_said(make_offer: MakeOffer, settings: PlanningSettings) -> None:
    plan = planned(make_offer(years=0), STANDARD_100, settings)
    assert plan.notes[0] == "供应商的经营年限未知,下单前请查看公司档案。"


def test_quantity_must_be_positive(make_offer: MakeOffer, settings: PlanningSettings) -> None:
    with pytest.raises(ValueError, match="positive"):
        build_plan(make_offer(), OrderSpec(0, Complexity.SIMPLE), settings)
