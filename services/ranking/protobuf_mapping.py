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
from typing import Literal

from factoryfinder.v1 import common_pb2, ranking_pb2
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.protobuf.message import Message

from services.ranking.domain import (
    Answer,
    Customization,
    Detail,
    Evidence,
    Filters,
    ImagePair,
    Offer,
    RankedOffer,
    RankingResult,
    Score,
    Supplier,
    SupplierKind,
)
from services.ranking.errors import InvalidRequest
from shared.money import PriceTier, caller_amount, from_money, to_money

DUPLICATES_REPORT = "duplicate_offer_id"


def _amount(message: Message, field: str) -> Decimal | None:
    """A published amount, or None when the field is unset, zero or negative."""
    if not message.HasField(field):
        return None
    value = from_money(getattr(message, field))
    return value if value > 0 else None


def _similarity(value: float) -> float:
    """0 to 100; a NaN would make the order of offers undefined."""
    return min(100.0, max(0.0, value)) if math.isfinite(value) else 0.0


def _ladder(tiers: Iterable[common_pb2.PriceTier]) -> tuple[PriceTier, ...]:
    steps = ((tier, from_money(tier.unit_price)) for tier in tiers)
    return tuple(
        PriceTier(tier.min_quantity, tier.max_quantity or None, price)
        for tier, price in steps
        if price > 0
    )


def _detail(message: common_pb2.OfferDetail) -> Detail:
    return Detail(
        price_ladder=_ladder(message.price_ladder),
        min_order=max(0, message.min_order),
        biz_type=message.biz_type,
        description=message.description,
        sample_fee=_amount(message, "sample_fee"),
        attributes=tuple((a.name, a.value) for a in message.attributes),
    )


_AVAILABLE = common_pb2.DETAIL_STATUS_AVAILABLE


def offer_from_proto(message: common_pb2.Offer) -> Offer:
    supplier = message.supplier
    has_detail = message.HasField("detail") and message.detail.status == _AVAILABLE
    return Offer(
        offer_id=message.offer_id,
        title=message.title,
        similarity=_similarity(message.similarity),
        price=_amount(message, "price"),
        price_ladder=_ladder(message.price_ladder),
        min_order=max(0, message.min_order),
        category_id=message.category_id,
        supplier=Supplier(
            company_name=supplier.company_name,
            province=supplier.province,
            city=supplier.city,
            address=supplier.address,
            years_on_platform=supplier.years_on_platform,
            seller_identities=_identities(supplier.seller_identities, message, has_detail),
            certifications=tuple(supplier.certifications),
            supplier_id=supplier.id,
        ),
        detail=_detail(message.detail) if has_detail else None,
        image_phash=message.image_phash if message.has_image_phash else None,
        upstream_rank=max(0, message.upstream_rank),
        compared=_compared(message),
        pair_scale_similarity=_pair_scale(message),
    )


def _identities(
    seller: Iterable[str], message: common_pb2.Offer, has_detail: bool
) -> tuple[str, ...]:
    """The seller's identities from the search row, then any the detail adds
    (its offerIdentities), each once, in the order seen."""
    extra = message.detail.offer_identities if has_detail else ()
    return tuple(dict.fromkeys((*seller, *extra)))


def _compared(message: common_pb2.Offer) -> bool:
    """Whether ``similarity`` was measured. A caller that sets a similarity without a
    ``visual_match`` (one written before visual_match existed) is taken at its word."""
    if message.HasField("visual_match"):
        return message.visual_match.compared
    return message.similarity > 0


def _pair_scale(message: common_pb2.Offer) -> float | None:
    match = message.visual_match
    if not (match.compared and match.has_pair_scale_similarity):
        return None
    return _similarity(match.pair_scale_similarity)


def pairs_from_proto(pairs: Iterable[common_pb2.ImagePair]) -> tuple[ImagePair, ...]:
    return tuple(
        ImagePair(p.first_offer_id, p.second_offer_id, _similarity(p.similarity), p.wider_offer_id)
        for p in pairs
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
        price_min=_filter_price(message, "price_min"),
        price_max=_filter_price(message, "price_max"),
    )


def _filter_price(
    message: common_pb2.Filters, field: Literal["price_min", "price_max"]
) -> Decimal | None:
    """The caller's price bound; an invalid Money is INVALID_ARGUMENT naming it."""
    if not message.HasField(field):
        return None
    return caller_amount(getattr(message, field), f"filters.{field}")


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


def _evidence(e: Evidence) -> common_pb2.Evidence:
    return common_pb2.Evidence(signal=e.signal, value=e.value, weight=e.weight, note=e.note)


def _add_evidence(
    into: RepeatedCompositeFieldContainer[common_pb2.Evidence], evidence: Iterable[Evidence]
) -> None:
    for e in evidence:
        into.add(signal=e.signal, value=e.value, weight=e.weight, note=e.note)


def _write_customization(custom: Customization, message: common_pb2.Customization) -> None:
    """Replaces whatever the caller sent (``Clear`` keeps the field present, as a copy did)."""
    message.Clear()
    message.supported = custom.supported
    message.made_to_sample = custom.made_to_sample
    message.custom_min_order = custom.custom_min_order
    message.services.extend(custom.services)
    message.fast_sampling = custom.fast_sampling
    _add_evidence(message.evidence, custom.evidence)
    if custom.sample_fee is not None:
        message.sample_fee.CopyFrom(to_money(custom.sample_fee))


def _write_score(score: Score, message: common_pb2.ScoreBreakdown) -> None:
    for c in score.components:
        message.components.add(
            name=c.name, points=float(c.points), max_points=float(c.max_points), reason=c.reason
        )
    message.total = float(score.total)
    message.profile = score.profile
    message.price_basis = score.price_basis
    message.price_ratio = float(score.price_ratio) if score.price_ratio is not None else 0.0
    if score.compared_unit_price is not None:
        message.compared_unit_price.CopyFrom(to_money(score.compared_unit_price))
    if score.average_unit_price is not None:
        message.average_unit_price.CopyFrom(to_money(score.average_unit_price))


def _write_ranked(
    ranked: RankedOffer, original: common_pb2.Offer, message: common_pb2.RankedOffer
) -> None:
    """The caller's offer, every field kept, with the inferences written in."""
    offer = message.offer
    offer.CopyFrom(original)
    _write_score(ranked.score, message.score)
    message.rank = ranked.rank
    message.group_id = ranked.group_id
    message.is_group_source = ranked.is_group_source
    message.is_reseller = ranked.is_reseller
    message.markup_over_source = float(ranked.markup_over_source)
    message.region_unknown = ranked.region_unknown
    supplier = offer.supplier
    supplier.kind = common_pb2.SupplierKind.ValueType(ranked.kind.kind)
    supplier.kind_confidence = ranked.kind.confidence
    del supplier.kind_evidence[:]
    _add_evidence(supplier.kind_evidence, ranked.kind.evidence)
    _write_customization(ranked.customization, offer.customization)


def _answer(answer: Answer, source: common_pb2.Supplier | None) -> common_pb2.Answer:
    message = common_pb2.Answer(
        found=answer.found,
        source_offer_id=answer.source_offer_id,
        confidence=answer.confidence,
        match_set=[
            common_pb2.MatchMember(
                offer_id=m.offer_id,
                role=common_pb2.MatchRole.ValueType(m.role),
                similarity=m.similarity,
                upstream_rank=m.upstream_rank,
                markup_over_source=float(m.markup_over_source),
                reasons=[_evidence(e) for e in m.reasons],
            )
            for m in answer.match_set
        ],
        source_evidence=[_evidence(e) for e in answer.source_evidence],
        summary=answer.summary,
    )
    if source is not None:
        message.source_supplier.CopyFrom(source)
    return message


def response_to_proto(
    result: RankingResult, originals: Mapping[str, common_pb2.Offer], duplicates: int
) -> ranking_pb2.RankOffersResponse:
    analysis = result.analysis
    reports = [
        common_pb2.FilterReport(filter=r.filter, removed=r.removed, unchecked=r.unchecked)
        for r in result.filter_reports
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
    source = None  # the answer's source supplier, as written in (its kind and evidence)
    for r in result.offers:
        message = response.offers.add()
        _write_ranked(r, originals[r.offer.offer_id], message)
        if r.offer.offer_id == result.answer.source_offer_id:
            source = message.offer.supplier
    response.answer.CopyFrom(_answer(result.answer, source))
    return response
