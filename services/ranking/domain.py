"""The values the ranking rules work on: offers in, ranked offers and the answer out.

Plain frozen dataclasses with no protobuf in sight; ``protobuf_mapping.py`` maps them to and
from the wire types. Money is ``Decimal``; points are ``Decimal`` too so a total is
exactly the sum of its components.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from shared.money import PriceTier

Locale = Literal["zh", "en"]


class SupplierKind(enum.IntEnum):
    """Values equal the protobuf ``SupplierKind`` numbers."""

    SOURCE_FACTORY = 1
    MANUFACTURER = 2
    BRAND = 3
    TRADING_COMPANY = 4
    UNKNOWN = 5


MAKERS = frozenset({SupplierKind.SOURCE_FACTORY, SupplierKind.MANUFACTURER})
# The likelier maker first: how offers otherwise alike are ordered (a factory's never below
# an otherwise identical trading company's).
KIND_ORDER = {
    SupplierKind.SOURCE_FACTORY: 0,
    SupplierKind.MANUFACTURER: 1,
    SupplierKind.BRAND: 2,
    SupplierKind.UNKNOWN: 3,
    SupplierKind.TRADING_COMPANY: 4,
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One signal behind an inference; ``weight`` > 0 supports it, < 0 speaks against."""

    signal: str
    value: str
    weight: float
    note: str


@dataclass(frozen=True, slots=True)
class Supplier:
    company_name: str = ""
    province: str = ""
    city: str = ""
    address: str = ""
    years_on_platform: int = 0
    seller_identities: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    #: The seller's id (the detail's sellerOpenId on live answers); "" when unknown.
    supplier_id: str = ""


@dataclass(frozen=True, slots=True)
class Detail:
    """What the offer's detail adds; present only when the detail was fetched."""

    price_ladder: tuple[PriceTier, ...] = ()
    min_order: int = 0
    biz_type: int = 0
    description: str = ""
    sample_fee: Decimal | None = None
    #: Product attributes as (name, value), e.g. ("加工定制", "是"), when the caller has them.
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: str
    title: str = ""
    similarity: float = 0.0
    price: Decimal | None = None
    price_ladder: tuple[PriceTier, ...] = ()
    min_order: int = 0
    category_id: str = ""
    supplier: Supplier = Supplier()
    detail: Detail | None = None
    image_phash: int | None = None
    #: 1-based position in 1688's relevance order; 0 when unknown.
    upstream_rank: int = 0
    #: ``similarity`` was measured (the main image was fetched and compared with the photo).
    compared: bool = False
    #: The same closeness on the near-duplicate pairs' scale (``ImagePair.similarity``;
    #: ``VisualMatch.pair_scale_similarity``), when measured; else None.
    pair_scale_similarity: float | None = None

    @property
    def pair_scale(self) -> float:
        """The closeness to compare with an ``ImagePair.similarity``: the pair-scale one when
        measured, else ``similarity``."""
        if self.pair_scale_similarity is None:
            return self.similarity
        return self.pair_scale_similarity

    @property
    def effective_min_order(self) -> int:
        """The detail's minimum order when known (it is the fresher one), else the listed one."""
        if self.detail is not None and self.detail.min_order > 0:
            return self.detail.min_order
        return self.min_order


@dataclass(frozen=True, slots=True)
class KindInference:
    kind: SupplierKind
    confidence: float
    evidence: tuple[Evidence, ...]
    factory_certified: bool = False
    #: The makers' signal weight minus the traders' and brands', whatever kind was concluded:
    #: how far the signals lean to a maker (negative: to a reseller).
    lean: float = 0.0


@dataclass(frozen=True, slots=True)
class Customization:
    supported: bool = False
    made_to_sample: bool = False
    custom_min_order: int = 0
    sample_fee: Decimal | None = None
    services: tuple[str, ...] = ()
    fast_sampling: bool = False
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Filters:
    purchase_quantity: int = 0
    max_min_order: int = 0
    supplier_kinds: frozenset[SupplierKind] = frozenset()
    made_to_sample_only: bool = False
    regions: tuple[str, ...] = ()
    min_similarity: float = 0.0
    price_min: Decimal | None = None
    price_max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ScoreComponent:
    name: str
    points: Decimal
    max_points: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class Score:
    components: tuple[ScoreComponent, ...]
    total: Decimal
    profile: str
    price_basis: str
    compared_unit_price: Decimal | None
    average_unit_price: Decimal | None
    price_ratio: Decimal | None


@dataclass(frozen=True, slots=True)
class Assessed:
    """An offer with what was inferred about it, before scoring."""

    offer: Offer
    kind: KindInference
    customization: Customization
    #: A region filter was asked and the supplier's place is unknown: kept, not checked.
    region_unknown: bool = False


@dataclass(frozen=True, slots=True)
class RankedOffer:
    offer: Offer
    kind: KindInference
    customization: Customization
    score: Score
    rank: int
    group_id: str = ""
    is_group_source: bool = False
    is_reseller: bool = False
    markup_over_source: Decimal = Decimal(0)
    region_unknown: bool = False


@dataclass(frozen=True, slots=True)
class OfferGroup:
    group_id: str
    source_offer_id: str
    offer_ids: tuple[str, ...]
    basis: str
    min_markup: Decimal
    max_markup: Decimal
    summary: str


@dataclass(frozen=True, slots=True)
class MatchAnalysis:
    source_factory_count: int
    average_similarity: float
    top_factory_offer_id: str
    top_factory_name: str
    group_count: int
    made_to_sample_count: int
    conclusions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FilterReport:
    """``unchecked``: offers the filter kept because they do not publish what it filters on."""

    filter: str
    removed: int
    unchecked: int = 0


@dataclass(frozen=True, slots=True)
class ImagePair:
    """Two offers whose main images are near-duplicates (preprocess's CompareImages)."""

    first_offer_id: str
    second_offer_id: str
    similarity: float
    # The side whose photo shows more of the scene (the other looks like a crop of it); "".
    wider_offer_id: str = ""


class MatchRole(enum.IntEnum):
    """Values equal the protobuf ``MatchRole`` numbers."""

    SOURCE = 1
    MAKER = 2
    RESELLER = 3
    SELLER = 4


@dataclass(frozen=True, slots=True)
class MatchMember:
    offer_id: str
    role: MatchRole
    similarity: float
    upstream_rank: int
    markup_over_source: Decimal
    reasons: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """Who makes the pictured product: the match set, source first (see ``answer.py``)."""

    found: bool
    source_offer_id: str
    confidence: float
    match_set: tuple[MatchMember, ...]
    source_evidence: tuple[Evidence, ...]
    summary: str


NO_ANSWER = Answer(False, "", 0.0, (), (), "")


@dataclass(frozen=True, slots=True)
class RankingResult:
    offers: tuple[RankedOffer, ...]
    groups: tuple[OfferGroup, ...]
    analysis: MatchAnalysis
    filter_reports: tuple[FilterReport, ...]
    profile: str
    answer: Answer = NO_ANSWER
