"""The seed's own example as fixtures: ladder 10–50 at 20.00, 51 and up at 18.00,
minimum 10, sample fee 50.00, a processing (bizType 2) offer that makes to sample."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from services.planning.domain import CustomizationClaim, DetailFacts, OfferFacts
from services.planning.settings import PlanningSettings
from shared.config import load
from shared.money import PriceTier

SEED_LADDER = (
    PriceTier(10, 50, Decimal("20.00")),
    PriceTier(51, None, Decimal("18.00")),
)

MakeOffer = Callable[..., OfferFacts]


@pytest.fixture
def settings() -> PlanningSettings:
    return load(PlanningSettings, {})


@pytest.fixture
def make_offer() -> MakeOffer:
    def make(
        *,
        offer_id: str = "seed-1",
        title: str = "纯棉T恤 来样加工",
        years: int = 8,
        claim: CustomizationClaim | None = None,
        **detail: Any,
    ) -> OfferFacts:
        fields: dict[str, Any] = {
            "available": True,
            "price_ladder": SEED_LADDER,
            "min_order": 10,
            "biz_type": 2,
            "sample_fee": Decimal("50.00"),
        }
        fields.update(detail)
        return OfferFacts(
            offer_id=offer_id,
            detail=DetailFacts(**fields),
            title=title,
            company_name="广州XX服装厂",
            years_on_platform=years,
            customization=claim,
        )

    return make
