"""One offer, one order → a custom-order plan in exact money, or a refusal.

Amounts stay exact ``Decimal`` until a figure is shown: the batch total,
freight and sample figures are each rounded half-up to the fen once, and every
sum is made from those rounded figures, so the plan adds up to the fen. The
deposit is rounded and the balance is what is left, never rounded separately.
The unit price is kept exact (1688 prices small parts to the 0.001 yuan).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from services.planning import customizability, freight, notes, tier_advice
from services.planning.domain import (
    Customizability,
    CustomOrderPlan,
    OfferFacts,
    OrderSpec,
    PlanRefusal,
    Totals,
)
from services.planning.settings import PlanningSettings
from shared.money import PriceTier, round_fen, unit_price_at


@dataclass(frozen=True)
class Pricing:
    """What the money of an order depends on, apart from the quantity."""

    ladder: tuple[PriceTier, ...]
    markup_rate: Decimal
    unit_weight_kg: Decimal | None
    province: str
    sample_fee: Decimal
    settings: PlanningSettings


def totals_at(pricing: Pricing, quantity: int) -> Totals:
    """The order's money at ``quantity`` pieces."""
    settings = pricing.settings
    base = unit_price_at(pricing.ladder, quantity)
    if base is None:
        raise ValueError("an empty price ladder cannot be priced")
    unit = base * (1 + pricing.markup_rate)
    batch = round_fen(unit * quantity)
    bulk_freight = freight.estimate(
        quantity,
        pricing.unit_weight_kg,
        pricing.province,
        settings.freight_rates,
        settings.flat_freight,
    )
    sample_fee = round_fen(pricing.sample_fee)
    sample_shipping = round_fen(settings.sample_shipping)
    sample_total = sample_fee + sample_shipping
    bulk = batch + bulk_freight.amount
    deposit = round_fen(bulk * settings.deposit_rate)
    return Totals(
        quantity=quantity,
        base_unit_price=base,
        unit_price=unit,
        batch_total=batch,
        freight=bulk_freight,
        sample_fee=sample_fee,
        sample_shipping=sample_shipping,
        sample_total=sample_total,
        grand_total=sample_total + bulk,
        deposit=deposit,
        balance=bulk - deposit,
    )


def build_plan(
    offer: OfferFacts, order: OrderSpec, settings: PlanningSettings
) -> CustomOrderPlan | PlanRefusal:
    """Plan ``order`` with ``offer``, or say why the offer cannot take it."""
    if order.quantity <= 0:
        raise ValueError("quantity must be positive")
    decision = customizability.decide(offer)
    refusal = _refusal(offer, decision)
    if refusal is not None:
        return refusal
    ladder = _ladder(offer)
    if not ladder:
        return PlanRefusal(
            offer.offer_id,
            "DETAIL_UNAVAILABLE",
            "the offer's detail has no price to plan with",
            metadata=(("detail_status", offer.detail.status),),
        )
    return _plan(offer, order, settings, decision, ladder)


def _refusal(offer: OfferFacts, decision: Customizability) -> PlanRefusal | None:
    # An explicit "not customizable" stands even without a detail; otherwise
    # the detail is needed both for the price and for inferring customization.
    if offer.customization is not None and not decision.supported:
        return _not_customizable(offer, decision)
    if not offer.detail.available:
        reason = offer.detail.unavailable_reason
        return PlanRefusal(
            offer.offer_id,
            "DETAIL_UNAVAILABLE",
            f"the offer's detail is unavailable ({offer.detail.status})"
            + (f": {reason}" if reason else ""),
            metadata=(("detail_status", offer.detail.status),),
        )
    return None if decision.supported else _not_customizable(offer, decision)


def _not_customizable(offer: OfferFacts, decision: Customizability) -> PlanRefusal:
    who = offer.company_name or f"offer {offer.offer_id}"
    return PlanRefusal(
        offer.offer_id,
        "NOT_CUSTOMIZABLE",
        f"{who} does not take custom orders; choose another supplier",
        evidence=decision.evidence,
    )


def _ladder(offer: OfferFacts) -> tuple[PriceTier, ...]:
    """The detail's ladder, else the listing's, else the listed price from one piece."""
    if offer.detail.price_ladder:
        return offer.detail.price_ladder
    if offer.listed_ladder:
        return offer.listed_ladder
    if offer.listed_price is not None and offer.listed_price > 0:
        return (PriceTier(1, None, offer.listed_price),)
    return ()


def minimum_order(offer: OfferFacts, decision: Customizability) -> int:
    """The custom minimum when known, else the supplier's minimum order, else one piece."""
    for minimum in (decision.custom_min_order, offer.detail.min_order, offer.listed_min_order):
        if minimum > 0:
            return minimum
    return 1


def _plan(
    offer: OfferFacts,
    order: OrderSpec,
    settings: PlanningSettings,
    decision: Customizability,
    ladder: tuple[PriceTier, ...],
) -> CustomOrderPlan:
    published_fee = (
        decision.sample_fee if decision.sample_fee is not None else offer.detail.sample_fee
    )
    pricing = Pricing(
        ladder=ladder,
        markup_rate=settings.markups[order.complexity],
        unit_weight_kg=offer.detail.unit_weight_kg,
        province=order.destination_province,
        sample_fee=settings.default_sample_fee if published_fee is None else published_fee,
        settings=settings,
    )
    planned = max(order.quantity, minimum_order(offer, decision))
    totals = totals_at(pricing, planned)
    fast = order.fast_sampling and decision.fast_sampling
    plan = CustomOrderPlan(
        offer_id=offer.offer_id,
        company_name=offer.company_name,
        requested_quantity=order.quantity,
        planned_quantity=planned,
        complexity=order.complexity,
        markup_rate=pricing.markup_rate,
        totals=totals,
        sample_fee_estimated=published_fee is None,
        sample_days=settings.sample_days_fast if fast else settings.sample_days_normal,
        production_days=settings.production_days[order.complexity],
        deposit_rate=settings.deposit_rate,
        tier_advice=tier_advice.advise(
            ladder, totals, lambda quantity: totals_at(pricing, quantity), order.locale
        ),
    )
    facts = notes.NoteFacts(
        years_on_platform=offer.years_on_platform,
        made_to_sample=decision.made_to_sample,
        fast_sampling_unavailable=order.fast_sampling and not decision.fast_sampling,
        destination_province=order.destination_province,
    )
    return dataclasses.replace(plan, notes=notes.write(plan, facts, order.locale))
