"""The same order over several offers: plans side by side, cheapest first.

Offers that cannot take the order are listed with their reasons instead of
failing the whole comparison. When only one offer was asked about, its
refusal is the answer: :func:`refusal_error` turns it into a FAILED_PRECONDITION
whose metadata carries the evidence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from services.planning.custom_order_plan import build_plan
from services.planning.domain import (
    Comparison,
    CustomOrderPlan,
    OfferFacts,
    OrderSpec,
    PlanRefusal,
)
from services.planning.settings import PlanningSettings
from shared.errors import Code, ServiceError


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


def refusal_error(refusal: PlanRefusal) -> ServiceError:
    """FAILED_PRECONDITION for a single refused offer; ``metadata["evidence"]`` is a JSON
    list of ``{signal, value, weight, note}`` (ErrorInfo metadata holds strings only)."""
    metadata = {"offer_id": refusal.offer_id, **dict(refusal.metadata)}
    if refusal.evidence:
        metadata["evidence"] = json.dumps(
            [asdict(item) for item in refusal.evidence], ensure_ascii=False
        )
    return ServiceError(Code.FAILED_PRECONDITION, refusal.reason, refusal.message, metadata)
