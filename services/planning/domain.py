"""What a custom-order plan is made of, with no transport types.

``server.py`` (through ``protobuf_mapping.py``) turns protobuf into these and
back; every rule module works on them only. Money is ``Decimal`` in yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from shared.money import PriceTier


class Complexity(StrEnum):
    """How hard the customization is (decides mark-up and production time)."""

    SIMPLE = "simple"
    STANDARD = "standard"
    COMPLEX = "complex"


class Locale(StrEnum):
    """Language of the notes."""

    ZH = "zh"
    EN = "en"


class FreightBasis(StrEnum):
    """How the bulk freight was estimated."""

    WEIGHT = "weight"
    FLAT = "flat"


@dataclass(frozen=True)
class Evidence:
    """One signal behind a decision, so a buyer can check why."""

    signal: str
    value: str
    weight: float
    note: str


@dataclass(frozen=True)
class OrderSpec:
    """The order a buyer wants planned."""

    quantity: int
    complexity: Complexity
    fast_sampling: bool = False
    destination_province: str = ""
    locale: Locale = Locale.ZH


@dataclass(frozen=True)
class CustomizationClaim:
    """Customization as already inferred upstream of planning (``Offer.customization``)."""

    supported: bool
    made_to_sample: bool = False
    custom_min_order: int = 0
    sample_fee: Decimal | None = None
    services: tuple[str, ...] = ()
    fast_sampling: bool = False
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class DetailFacts:
    """An offer's detail as the gateway returned it."""

    available: bool
    status: str = "AVAILABLE"
    unavailable_reason: str = ""
    price_ladder: tuple[PriceTier, ...] = ()
    min_order: int = 0
    biz_type: int = 0
    unit_weight_kg: Decimal | None = None
    description: str = ""
    sample_fee: Decimal | None = None
    #: Product attributes as (name, value), e.g. ("加工定制", "是").
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OfferFacts:
    """Everything planning reads from one offer."""

    offer_id: str
    detail: DetailFacts
    title: str = ""
    company_name: str = ""
    years_on_platform: int = 0
    listed_ladder: tuple[PriceTier, ...] = ()
    listed_min_order: int = 0
    listed_price: Decimal | None = None
    customization: CustomizationClaim | None = None


@dataclass(frozen=True)
class Customizability:
    """The decision "can this offer take a custom order", with its evidence."""

    supported: bool
    made_to_sample: bool
    fast_sampling: bool
    custom_min_order: int
    sample_fee: Decimal | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Freight:
    """Bulk freight and how it was made."""

    amount: Decimal
    estimated: bool
    basis: FreightBasis


@dataclass(frozen=True)
class Totals:
    """The money of one order at one quantity, each figure rounded to the fen."""

    quantity: int
    base_unit_price: Decimal
    unit_price: Decimal
    batch_total: Decimal
    freight: Freight
    sample_fee: Decimal
    sample_shipping: Decimal
    sample_total: Decimal
    grand_total: Decimal
    deposit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class TierAdvice:
    """Ordering up to the next tier costs less in total."""

    suggested_quantity: int
    current_total: Decimal
    suggested_total: Decimal
    saving: Decimal
    message: str


@dataclass(frozen=True)
class CustomOrderPlan:
    """A plan a buyer can act on."""

    offer_id: str
    company_name: str
    requested_quantity: int
    planned_quantity: int
    complexity: Complexity
    markup_rate: Decimal
    totals: Totals
    sample_fee_estimated: bool
    sample_days: int
    production_days: int
    deposit_rate: Decimal
    tier_advice: TierAdvice | None
    notes: tuple[str, ...] = field(default=())

    @property
    def total_days(self) -> int:
        return self.sample_days + self.production_days


@dataclass(frozen=True)
class PlanRefusal:
    """Why an offer cannot take the order; ``reason`` is an ErrorReason name."""

    offer_id: str
    reason: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Comparison:
    """Plans cheapest grand total first, and the offers that could not take the order."""

    plans: tuple[CustomOrderPlan, ...]
    refusals: tuple[PlanRefusal, ...]
