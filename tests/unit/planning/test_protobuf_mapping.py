from __future__ import annotations

from decimal import Decimal

from factoryfinder.v1 import common_pb2, planning_pb2

from services.planning import customizability
from services.planning.comparison import compare
from services.planning.domain import Complexity, Locale
from services.planning.protobuf_mapping import (
    comparison_to_proto,
    offer_from_proto,
    order_from_proto,
)
from services.planning.settings import PlanningSettings
from shared.money import PriceTier, to_money

D = Decimal


def seed_offer_proto() -> common_pb2.Offer:
    return common_pb2.Offer(
        offer_id="610001",
        title="纯棉T恤 来样加工",
        supplier=common_pb2.Supplier(company_name="广州XX服装厂", years_on_platform=8),
        detail=common_pb2.OfferDetail(
            status=common_pb2.DETAIL_STATUS_AVAILABLE,
            price_ladder=[
                common_pb2.PriceTier(min_quantity=10, max_quantity=50, unit_price=to_money(D(20))),
                common_pb2.PriceTier(min_quantity=51, unit_price=to_money(D(18))),
                common_pb2.PriceTier(min_quantity=1000, unit_price=to_money(D(0))),
            ],
            min_order=10,
            biz_type=2,
            unit_weight_kg=0.2,
            sample_fee=to_money(D(50)),
        ),
    )


def test_offer_from_proto_reads_the_detail() -> None:
    offer = offer_from_proto(seed_offer_proto())
    assert (offer.offer_id, offer.company_name, offer.years_on_platform) == (
        "610001",
        "广州XX服装厂",
        8,
    )
    assert offer.customization is None and offer.listed_price is None
    detail = offer.detail
    assert (detail.available, detail.status, detail.min_order, detail.biz_type) == (
        True,
        "AVAILABLE",
        10,
        2,
    )
    # the 0.00 tier means "ask the supplier": it cannot be planned with
    assert detail.price_ladder == (PriceTier(10, 50, D(20)), PriceTier(51, None, D(18)))
    assert (detail.unit_weight_kg, detail.sample_fee) == (D("0.2"), D(50))


def test_a_customization_message_becomes_a_claim() -> None:
    message = seed_offer_proto()
    message.customization.CopyFrom(
        common_pb2.Customization(
            supported=True,
            custom_min_order=300,
            sample_fee=to_money(D("30.5")),
            evidence=[common_pb2.Evidence(signal="biz_type", value="2", weight=1.0, note="n")],
        )
    )
    claim = offer_from_proto(message).customization
    assert claim is not None
    assert (claim.supported, claim.custom_min_order, claim.sample_fee) == (True, 300, D("30.5"))
    assert [(e.signal, e.value) for e in claim.evidence] == [("biz_type", "2")]


def test_an_offer_without_detail_is_unavailable() -> None:
    offer = offer_from_proto(common_pb2.Offer(offer_id="1", price=to_money(D("9.9"))))
    assert (offer.detail.available, offer.detail.status, offer.listed_price) == (
        False,
        "UNSPECIFIED",
        D("9.9"),
    )


def test_order_from_proto() -> None:
    order = order_from_proto(
        planning_pb2.OrderSpec(
            quantity=100,
            complexity=common_pb2.COMPLEXITY_COMPLEX,
            fast_sampling=True,
            destination_province=" 浙江 ",
            locale="en-US",
        )
    )
    assert (order.quantity, order.complexity, order.locale) == (100, Complexity.COMPLEX, Locale.EN)
    assert (order.fast_sampling, order.destination_province) == (True, "浙江")


def test_the_seed_plan_on_the_wire(settings: PlanningSettings) -> None:
    order = order_from_proto(
        planning_pb2.OrderSpec(quantity=48, complexity=common_pb2.COMPLEXITY_STANDARD)
    )
    response = comparison_to_proto(compare([offer_from_proto(seed_offer_proto())], order, settings))
    (plan,) = response.plans
    assert (plan.offer_id, plan.requested_quantity, plan.planned_quantity) == ("610001", 48, 48)
    assert plan.complexity == common_pb2.COMPLEXITY_STANDARD
    assert (plan.markup_rate, plan.deposit_rate) == ("0.20", "0.30")
    assert (plan.unit_price.currency_code, plan.unit_price.units, plan.unit_price.nanos) == (
        "CNY",
        24,
        0,
    )
    # 48 × 0.2 kg × 2.0 per kg = 19.20 by weight
    assert (plan.freight.units, plan.freight.nanos, plan.freight_basis) == (
        19,
        200_000_000,
        "weight",
    )
    assert plan.freight_estimated
    assert (plan.grand_total.units, plan.grand_total.nanos) == (1231, 200_000_000)
    assert (plan.deposit.units, plan.deposit.nanos) == (351, 360_000_000)
    assert (plan.balance.units, plan.balance.nanos) == (819, 840_000_000)
    assert (plan.sample_days, plan.production_days, plan.total_days) == (7, 20, 27)
    assert plan.HasField("tier_advice")
    assert plan.tier_advice.suggested_quantity == 51
    assert len(plan.notes) == 5


def test_refusals_on_the_wire(settings: PlanningSettings) -> None:
    message = seed_offer_proto()
    message.detail.biz_type = 1
    message.title = "现货"
    order = order_from_proto(planning_pb2.OrderSpec(quantity=10, complexity=1))  # type: ignore[arg-type]
    response = comparison_to_proto(compare([offer_from_proto(message)], order, settings))
    assert not response.plans
    (refusal,) = response.refusals
    assert (refusal.offer_id, refusal.reason) == ("610001", "NOT_CUSTOMIZABLE")
    assert [(e.signal, e.value, e.weight) for e in refusal.evidence] == [
        ("biz_type", "1", -0.5),
        ("title_word", "", -0.5),
    ]


def test_product_attributes_decide_customization_for_a_direct_caller() -> None:
    message = seed_offer_proto()
    message.title = "纯棉T恤"
    message.detail.biz_type = 1
    del message.detail.attributes[:]
    plain = offer_from_proto(message)
    message.detail.attributes.add(name="加工定制", value="是")
    stated = offer_from_proto(message)
    assert stated.detail.attributes == (("加工定制", "是"),)
    assert not customizability.decide(plain).supported
    assert customizability.decide(stated).supported
