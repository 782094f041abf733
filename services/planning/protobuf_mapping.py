"""factoryfinder.v1 messages ↔ planning's domain types (protobuf only, no gRPC).

Checks the order on the way in with ``shared.order_spec`` (the rules the aggregator
applies before it fetches any detail): a bad quantity, complexity or destination is
INVALID_ARGUMENT with one field violation each.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from factoryfinder.v1 import common_pb2, planning_pb2

from services.planning.domain import (
    Comparison,
    Complexity,
    CustomizationClaim,
    CustomOrderPlan,
    DetailFacts,
    Evidence,
    Locale,
    OfferFacts,
    OrderSpec,
    PlanRefusal,
    TierAdvice,
)
from shared.money import PriceTier, from_money, to_money
from shared.order_spec import checked_order

_COMPLEXITY = {
    common_pb2.COMPLEXITY_SIMPLE: Complexity.SIMPLE,
    common_pb2.COMPLEXITY_STANDARD: Complexity.STANDARD,
    common_pb2.COMPLEXITY_COMPLEX: Complexity.COMPLEX,
}
_COMPLEXITY_PROTO = {value: key for key, value in _COMPLEXITY.items()}


def order_from_proto(order: planning_pb2.OrderSpec) -> OrderSpec:
    """The order (checked by ``shared.order_spec``), or a ServiceError naming every bad
    field."""
    checked = checked_order(order)
    locale = Locale.EN if order.locale.lower().startswith("en") else Locale.ZH
    return OrderSpec(
        quantity=checked.quantity,
        complexity=_COMPLEXITY[checked.complexity],
        fast_sampling=order.fast_sampling,
        destination_province=checked.destination_province,
        locale=locale,
    )


def offer_from_proto(offer: common_pb2.Offer) -> OfferFacts:
    customization = offer.customization if offer.HasField("customization") else None
    return OfferFacts(
        offer_id=offer.offer_id,
        detail=_detail(offer.detail),
        title=offer.title,
        company_name=offer.supplier.company_name,
        years_on_platform=offer.supplier.years_on_platform,
        listed_ladder=_ladder(offer.price_ladder),
        listed_min_order=offer.min_order,
        listed_price=from_money(offer.price) if offer.HasField("price") else None,
        customization=None if customization is None else _claim(customization),
    )


def _detail(detail: common_pb2.OfferDetail) -> DetailFacts:
    weight = detail.unit_weight_kg
    return DetailFacts(
        available=detail.status == common_pb2.DETAIL_STATUS_AVAILABLE,
        status=common_pb2.DetailStatus.Name(detail.status).removeprefix("DETAIL_STATUS_"),
        unavailable_reason=detail.unavailable_reason,
        price_ladder=_ladder(detail.price_ladder),
        min_order=detail.min_order,
        biz_type=detail.biz_type,
        # str() of a float is its shortest repr: 0.2 kg stays Decimal("0.2").
        unit_weight_kg=Decimal(str(weight)) if math.isfinite(weight) and weight > 0 else None,
        description=detail.description,
        sample_fee=from_money(detail.sample_fee) if detail.HasField("sample_fee") else None,
        attributes=tuple((a.name, a.value) for a in detail.attributes),
    )


def _claim(claim: common_pb2.Customization) -> CustomizationClaim:
    return CustomizationClaim(
        supported=claim.supported,
        made_to_sample=claim.made_to_sample,
        custom_min_order=claim.custom_min_order,
        sample_fee=from_money(claim.sample_fee) if claim.HasField("sample_fee") else None,
        services=tuple(claim.services),
        fast_sampling=claim.fast_sampling,
        evidence=tuple(Evidence(e.signal, e.value, e.weight, e.note) for e in claim.evidence),
    )


def _ladder(tiers: Iterable[common_pb2.PriceTier]) -> tuple[PriceTier, ...]:
    """Tiers with a positive price (a 0 price means "ask", which cannot be planned)."""
    return tuple(
        PriceTier(tier.min_quantity, tier.max_quantity or None, from_money(tier.unit_price))
        for tier in tiers
        if from_money(tier.unit_price) > 0
    )


def comparison_to_proto(comparison: Comparison) -> planning_pb2.BuildPlansResponse:
    return planning_pb2.BuildPlansResponse(
        plans=[plan_to_proto(plan) for plan in comparison.plans],
        refusals=[refusal_to_proto(refusal) for refusal in comparison.refusals],
    )


def plan_to_proto(plan: CustomOrderPlan) -> planning_pb2.CustomOrderPlan:
    totals = plan.totals
    message = planning_pb2.CustomOrderPlan(
        offer_id=plan.offer_id,
        company_name=plan.company_name,
        requested_quantity=plan.requested_quantity,
        planned_quantity=plan.planned_quantity,
        complexity=_COMPLEXITY_PROTO[plan.complexity],
        base_unit_price=to_money(totals.base_unit_price),
        markup_rate=f"{plan.markup_rate:f}",
        unit_price=to_money(totals.unit_price),
        sample_fee=to_money(totals.sample_fee),
        sample_fee_estimated=plan.sample_fee_estimated,
        sample_shipping=to_money(totals.sample_shipping),
        sample_total=to_money(totals.sample_total),
        sample_days=plan.sample_days,
        production_days=plan.production_days,
        total_days=plan.total_days,
        batch_total=to_money(totals.batch_total),
        freight=to_money(totals.freight.amount),
        freight_estimated=totals.freight.estimated,
        freight_basis=totals.freight.basis.value,
        grand_total=to_money(totals.grand_total),
        deposit=to_money(totals.deposit),
        balance=to_money(totals.balance),
        deposit_rate=f"{plan.deposit_rate:f}",
        notes=list(plan.notes),
    )
    if plan.tier_advice is not None:
        message.tier_advice.CopyFrom(_advice(plan.tier_advice))
    return message


def _advice(advice: TierAdvice) -> planning_pb2.TierAdvice:
    return planning_pb2.TierAdvice(
        suggested_quantity=advice.suggested_quantity,
        current_total=to_money(advice.current_total),
        suggested_total=to_money(advice.suggested_total),
        saving=to_money(advice.saving),
        message=advice.message,
    )


def refusal_to_proto(refusal: PlanRefusal) -> planning_pb2.PlanRefusal:
    return planning_pb2.PlanRefusal(
        offer_id=refusal.offer_id,
        reason=refusal.reason,
        message=refusal.message,
        evidence=[
            common_pb2.Evidence(signal=e.signal, value=e.value, weight=e.weight, note=e.note)
            for e in refusal.evidence
        ],
    )
