"""Protobuf ↔ ranking domain.

Incoming offers are read into domain values; outgoing ranked offers are the
caller's own ``Offer`` messages (every field kept) with the inferred supplier
kind, evidence and customization written in, plus the score breakdown.
Prices of zero or less are "not published", as 1688 shows them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal

from factoryfinder.v1 import common_pb2, ranking_pb2
from google.protobuf.message import Message
from google.type import money_pb2

from services.ranking.domain import (
    Customization,
    Detail,
    Evidence,
    Filters,
    InvalidRequest,
    Offer,
    RankedOffer,
    RankingResult,
    Score,
    ScoreComponent,
    Supplier,
    SupplierKind,
)
from shared.money import PriceTier, from_money, to_money

DUPLICATES_REPORT = "duplicate_offer_id"


def _amount(message: Message, field: str) -> Decimal | None:
    """A published amount, or None when the field is unset, zero or negative."""
    if not message.HasField(field):
        return None
    value = from_money(getattr(message, field))
    return value if value > 0 else None


def _similarity(value: float) -> float:
    """0 to 100; a NaN would make the order of offers undefined."""
    if 0.0 < value <= 100.0:  # nearly always: no clamping (0.0 below: -0.0 becomes 0.0)
        return value
    return min(100.0, max(0.0, value)) if math.isfinite(value) else 0.0


def _ladder(tiers: Iterable[common_pb2.PriceTier]) -> tuple[PriceTier, ...]:
    ladder: list[PriceTier] = []
    for tier in tiers:
        price = from_money(tier.unit_price)  # once: building a Decimal is most of the cost
        if price > 0:
            ladder.append(PriceTier(tier.min_quantity, tier.max_quantity or None, price))
    return tuple(ladder)


def _detail(message: common_pb2.OfferDetail) -> Detail:
    return Detail(
        price_ladder=_ladder(message.price_ladder),
        min_order=max(0, message.min_order),
        biz_type=message.biz_type,
        description=message.description,
        sample_fee=_amount(message, "sample_fee"),
    )


_AVAILABLE = common_pb2.DETAIL_STATUS_AVAILABLE


def offer_from_proto(message: common_pb2.Offer) -> Offer:
    # Once per offer and request: fields in order, and empty repeated fields not iterated.
    supplier = message.supplier
    has_detail = message.HasField("detail") and message.detail.status == _AVAILABLE
    ladder = message.price_ladder
    min_order = message.min_order
    identities = supplier.seller_identities
    certifications = supplier.certifications
    return Offer(
        message.offer_id,
        message.title,
        _similarity(message.similarity),
        _amount(message, "price"),
        _ladder(ladder) if ladder else (),
        min_order if min_order > 0 else 0,
        message.category_id,
        Supplier(
            supplier.company_name,
            supplier.province,
            supplier.city,
            supplier.address,
            supplier.years_on_platform,
            tuple(identities) if identities else (),
            tuple(certifications) if certifications else (),
        ),
        _detail(message.detail) if has_detail else None,
        message.image_phash if message.has_image_phash else None,
    )


def filters_from_proto(message: common_pb2.Filters) -> Filters:
    try:
        kinds = frozenset(SupplierKind(k) for k in message.supplier_kinds if k != 0)
    except ValueError:
        raise InvalidRequest("filters.supplier_kinds", "unknown supplier kind") from None
    return Filters(
        purchase_quantity=message.purchase_quantity,
        max_min_order=message.max_min_order,
        supplier_kinds=kinds,
        made_to_sample_only=message.made_to_sample_only,
        regions=tuple(message.regions),
        min_similarity=message.min_similarity,
        price_min=from_money(message.price_min) if message.HasField("price_min") else None,
        price_max=from_money(message.price_max) if message.HasField("price_max") else None,
    )


def unique_offers(offers: Iterable[common_pb2.Offer]) -> tuple[list[common_pb2.Offer], int]:
    """One offer per id (merged pages can repeat one) and how many repeats were dropped.

    The kept copy is the most similar, then one with detail, then the larger
    serialized form, so which copy wins never depends on the input order.
    """
    best: dict[str, common_pb2.Offer] = {}
    total = 0
    for index, offer in enumerate(offers):
        total += 1
        if not offer.offer_id:
            raise InvalidRequest(f"offers[{index}].offer_id", "every offer needs its offer_id")
        current = best.get(offer.offer_id)
        if current is None or _preference(offer) > _preference(current):
            best[offer.offer_id] = offer
    return list(best.values()), total - len(best)


def _preference(offer: common_pb2.Offer) -> tuple[float, bool, bytes]:
    """Serialized only for the rare repeated id, so unique offers cost nothing here."""
    available = offer.detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
    return offer.similarity, available, offer.SerializeToString(deterministic=True)


# The response is filled in place: building sub-messages and passing them to a
# constructor would copy every offer twice. What many offers share (inferences and score
# components are cached and shared, averages are per category) is converted once per
# response, into messages or serialized fields, and copied in by protobuf: setting it field
# by field from Python for every offer cost more than ranking.


def _field(number: int, message: Message) -> bytes:
    """``message`` serialized as field ``number`` of its parent (length-delimited)."""
    data = message.SerializeToString()
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_COMPONENTS = common_pb2.ScoreBreakdown.COMPONENTS_FIELD_NUMBER
_KIND_EVIDENCE = common_pb2.Supplier.KIND_EVIDENCE_FIELD_NUMBER


def _evidence_message(e: Evidence) -> common_pb2.Evidence:
    return common_pb2.Evidence(signal=e.signal, value=e.value, weight=e.weight, note=e.note)


def _evidence_fields(items: Iterable[Evidence]) -> bytes:
    """The evidence as kind_evidence fields of a Supplier."""
    return b"".join(_field(_KIND_EVIDENCE, _evidence_message(e)) for e in items)


def _customization_message(custom: Customization) -> common_pb2.Customization:
    message = common_pb2.Customization(
        supported=custom.supported,
        made_to_sample=custom.made_to_sample,
        custom_min_order=custom.custom_min_order,
        services=custom.services,
        fast_sampling=custom.fast_sampling,
        evidence=[_evidence_message(e) for e in custom.evidence],
    )
    if custom.sample_fee is not None:
        message.sample_fee.CopyFrom(to_money(custom.sample_fee))
    return message


def _component_field(c: ScoreComponent) -> bytes:
    """The component as a components field of a ScoreBreakdown."""
    message = common_pb2.ScoreComponent(
        name=c.name, points=float(c.points), max_points=float(c.max_points), reason=c.reason
    )
    return _field(_COMPONENTS, message)


class _Writer:
    """Fills ranked offers; shared values are converted once, keyed by their identity (they
    stay alive in the result while it is written)."""

    def __init__(self) -> None:
        self._evidence: dict[int, bytes] = {}
        self._customizations: dict[int, common_pb2.Customization] = {}
        self._components: dict[int, bytes] = {}
        self._seen: set[int] = set()
        self._averages: dict[int, money_pb2.Money] = {}

    def ranked(
        self, message: common_pb2.RankedOffer, ranked: RankedOffer, original: common_pb2.Offer
    ) -> None:
        offer = message.offer
        offer.CopyFrom(original)
        kind = ranked.kind
        supplier = offer.supplier
        supplier.kind = common_pb2.SupplierKind.ValueType(kind.kind)
        supplier.kind_confidence = kind.confidence
        evidence = self._evidence.get(id(kind))
        if evidence is None:
            evidence = self._evidence[id(kind)] = _evidence_fields(kind.evidence)
        del supplier.kind_evidence[:]
        supplier.MergeFromString(evidence)  # appends the evidence fields
        custom = ranked.customization
        customization = self._customizations.get(id(custom))
        if customization is None:
            customization = self._customizations[id(custom)] = _customization_message(custom)
        offer.customization.CopyFrom(customization)
        self.score(message.score, ranked.score)
        message.rank = ranked.rank
        # A fresh message holds the defaults already: only what differs is written.
        if ranked.group_id:
            message.group_id = ranked.group_id
        if ranked.is_group_source:
            message.is_group_source = True
        if ranked.is_reseller:
            message.is_reseller = True
        message.markup_over_source = float(ranked.markup_over_source)

    def score(self, message: common_pb2.ScoreBreakdown, score: Score) -> None:
        # A component seen for the first time is added as it is (most price and similarity
        # components are the offer's own); from its second offer on, it is merged in from
        # its serialized form with the shared ones around it, in order.
        components, seen, shared = self._components, self._seen, []
        for c in score.components:
            field = components.get(id(c))
            if field is None and id(c) in seen:
                field = components[id(c)] = _component_field(c)
            if field is not None:
                shared.append(field)
                continue
            seen.add(id(c))
            if shared:
                message.MergeFromString(b"".join(shared))
                shared = []
            message.components.add(
                name=c.name, points=float(c.points), max_points=float(c.max_points), reason=c.reason
            )
        if shared:
            message.MergeFromString(b"".join(shared))
        message.total = float(score.total)
        message.profile = score.profile
        message.price_basis = score.price_basis
        message.price_ratio = float(score.price_ratio) if score.price_ratio is not None else 0.0
        if score.compared_unit_price is not None:
            message.compared_unit_price.CopyFrom(to_money(score.compared_unit_price))
        average = score.average_unit_price
        if average is not None:
            money = self._averages.get(id(average))
            if money is None:
                money = self._averages[id(average)] = to_money(average)
            message.average_unit_price.CopyFrom(money)


def response_to_proto(
    result: RankingResult, originals: Mapping[str, common_pb2.Offer], duplicates: int
) -> ranking_pb2.RankOffersResponse:
    analysis = result.analysis
    reports = [
        common_pb2.FilterReport(filter=r.filter, removed=r.removed) for r in result.filter_reports
    ]
    if duplicates:
        reports.append(common_pb2.FilterReport(filter=DUPLICATES_REPORT, removed=duplicates))
    response = ranking_pb2.RankOffersResponse(
        groups=[
            common_pb2.OfferGroup(
                group_id=g.group_id,
                source_offer_id=g.source_offer_id,
                offer_ids=g.offer_ids,
                basis=g.basis,
                min_markup=float(g.min_markup),
                max_markup=float(g.max_markup),
                summary=g.summary,
            )
            for g in result.groups
        ],
        analysis=common_pb2.MatchAnalysis(
            source_factory_count=analysis.source_factory_count,
            average_similarity=analysis.average_similarity,
            top_factory_offer_id=analysis.top_factory_offer_id,
            top_factory_name=analysis.top_factory_name,
            group_count=analysis.group_count,
            made_to_sample_count=analysis.made_to_sample_count,
            conclusions=analysis.conclusions,
        ),
        filter_reports=reports,
        profile=result.profile,
    )
    writer = _Writer()
    for ranked in result.offers:
        writer.ranked(response.offers.add(), ranked, originals[ranked.offer.offer_id])
    return response
