from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from services.planning.comparison import compare
from services.planning.domain import Complexity, Evidence, OfferFacts, OrderSpec, PlanRefusal
from services.planning.errors import refusal_error
from services.planning.settings import PlanningSettings
from shared.errors import Code
from shared.money import PriceTier

D = Decimal
MakeOffer = Callable[..., OfferFacts]


def test_plans_cheapest_first_with_refusals(
    make_offer: MakeOffer, settings: PlanningSettings
) -> None:
    offers = [
        make_offer(offer_id="seed"),
        make_offer(offer_id="dear", price_ladder=(PriceTier(1, None, D("25")),)),
        make_offer(offer_id="trader", title="现货", biz_type=1),
        make_offer(offer_id="cheap", price_ladder=(PriceTier(1, None, D("15")),)),
        make_offer(offer_id="seed-twin"),
    ]
    result = compare(offers, OrderSpec(100, Complexity.STANDARD), settings)
    assert [(p.offer_id, p.totals.grand_total) for p in result.plans] == [
        ("cheap", D("1880.00")),
        ("seed", D("2240.00")),
        ("seed-twin", D("2240.00")),
        ("dear", D("3080.00")),
    ]
    assert [(r.offer_id, r.reason) for r in result.refusals] == [("trader", "NOT_CUSTOMIZABLE")]


def test_refusal_error_carries_the_evidence() -> None:
    refusal = PlanRefusal(
        "o9",
        "NOT_CUSTOMIZABLE",
        "XX商行 does not take custom orders; choose another supplier",
        evidence=(Evidence("biz_type", "1", -0.5, "bizType 1: not a processing offer"),),
    )
    error = refusal_error(refusal)
    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "NOT_CUSTOMIZABLE")
    assert error.metadata["offer_id"] == "o9"
    assert json.loads(error.metadata["evidence"]) == [
        {
            "signal": "biz_type",
            "value": "1",
            "weight": -0.5,
            "note": "bizType 1: not a processing offer",
        }
    ]


def test_detail_refusal_error_says_which_status() -> None:
    refusal = PlanRefusal(
        "o1", "DETAIL_UNAVAILABLE", "x", metadata=(("detail_status", "NOT_FOUND"),)
    )
    error = refusal_error(refusal)
    assert dict(error.metadata) == {"offer_id": "o1", "detail_status": "NOT_FOUND"}
