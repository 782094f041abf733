"""The same order over several offers: plans side by side, cheapest first.

Offers that cannot take the order are listed with their reasons instead of
failing the whole comparison. When only one offer was asked about, its
refusal is the answer (``errors.refusal_error``).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.planning.custom_order_plan import build_plan
from services.planning.domain import (
    Comparison,
    CustomOrderPlan,
    OfferFacts,
    OrderSpec,
    PlanRefusal,
)
from services.planning.settings import PlanningSettings


def compare(
    offers: Sequence[OfferFacts], order: OrderSpec, settings: PlanningSettings
) -> Comparison:
    """Plans ordered by grand total (ties keep the caller's order), and refusals."""
    plans: list[CustomOrderPlan] = []
    refusals: list[PlanRefusal] = []
    for offer in offers:
        result = build_plan(offer, order, settings)
        if isinstance(result, PlanRefusal):
            refusals.append(result)
        else:
            plans.append(result)
    plans.sort(key=lambda plan: plan.totals.grand_total)
    return Comparison(tuple(plans), tuple(refusals))
