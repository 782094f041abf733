"""Protobuf ↔ ranking domain.

Incoming offers are read into domain values; outgoing ranked offers are the
caller's own ``Offer`` messages (every field kept) with the inferred supplier
kind, evidence and customization written in, plus the score breakdown.
Prices of zero or less are "not published", as 1688 shows them.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from factoryfinder.v1 import common_pb2, ranking_pb2
from google.protobuf.message import Message
from google.type import money_pb2

from services.ranking.domain import (
    Customization,
    Detail,
    Evidence,
    Filters,
    InvalidRequest,
    KindInference,
    Offer,
    RankedOffer,
    RankingResult,
    Score,
    ScoreComponent,
    Supplier,
    SupplierKind,
)
from shared.money import CNY, PriceTier, from_money

DUPLICATES_REPORT = "duplicate_offer_id"
_NANOS = Decimal(1_000_000_000)


def _amount(message: Message, field: str) -> Decimal | None:
    """A published amount, or None when the field is unset, zero or negative."""
    return _published(getattr(message, field)) if message.HasField(field) else None


def _similarity(value: float) -> float:
    """0 to 100; a NaN would make the order of offers undefined."""
    if 0.0 < value <= 100.0:  # nearly always: no clamping (0.0 below: -0.0 becomes 0.0)
        return value
    return min(100.0, max(0.0, value)) if math.isfinite(value) else 0.0


def _published(money: money_pb2.Money) -> Decimal | None:
    """``from_money(money)`` when above zero, else None; the sign is read from the integers,
    so an unpublished price builds no Decimal."""
    units = money.units
    nanos = money.nanos
    if units * 1_000_000_000 + nanos <= 0:
        return None
    return Decimal(units) + Decimal(nanos) / _NANOS  # from_money


def _ladder(tiers: Iterable[common_pb2.PriceTier]) -> tuple[PriceTier, ...]:
    ladder: list[PriceTier] = []
    for tier in tiers:
        price = _published(tier.unit_price)
        if price is not None:
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
    similarity = message.similarity
    if not 0.0 < similarity <= 100.0:  # nearly always in range
        similarity = _similarity(similarity)
    ladder = message.price_ladder
    min_order = message.min_order
    identities = supplier.seller_identities
    certifications = supplier.certifications
    return Offer(
        message.offer_id,
        message.title,
        similarity,
        _published(message.price) if message.HasField("price") else None,
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
    best, duplicates = unique_offers_by_id(offers)
    return list(best.values()), duplicates


def unique_offers_by_id(
    offers: Iterable[common_pb2.Offer],
) -> tuple[dict[str, common_pb2.Offer], int]:
    """As ``unique_offers``, the kept offers by their id (in the order of first appearance)."""
    best: dict[str, common_pb2.Offer] = {}
    total = 0
    for index, offer in enumerate(offers):
        total += 1
        if not offer.offer_id:
            raise InvalidRequest(f"offers[{index}].offer_id", "every offer needs its offer_id")
        current = best.get(offer.offer_id)
        if current is None or _preference(offer) > _preference(current):
            best[offer.offer_id] = offer
    return best, total - len(best)


def _preference(offer: common_pb2.Offer) -> tuple[float, bool, bytes]:
    """Serialized only for the rare repeated id, so unique offers cost nothing here."""
    available = offer.detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
    return offer.similarity, available, offer.SerializeToString(deterministic=True)


# The ranked offers are written as their wire form and parsed by protobuf in one call: setting
# fields from Python costs a call per field and per offer, while the bytes of what offers share
# (inferences and score components are cached and shared, averages are per category) are made
# once per response, and each caller's offer is copied in by its own serialized form. The
# response is serialized again by whoever sends it, so the order fields are written in here
# and whether a default is written out do not change its bytes; what does is presence (an
# empty sub-message written is a set one) and merging (a field written twice merges), both
# kept as the field-by-field writing had them.


def _varint(value: int) -> bytes:
    """A varint; negative numbers as their 64-bit two's complement, as int32 and int64 are."""
    if 0 <= value < 1 << 28:  # nanos, most units: four bytes at most
        if value < 0x80:
            return bytes((value,))
        if value < 1 << 14:
            return bytes((value & 0x7F | 0x80, value >> 7))
        if value < 1 << 21:
            return bytes((value & 0x7F | 0x80, value >> 7 & 0x7F | 0x80, value >> 14))
        return bytes(
            (value & 0x7F | 0x80, value >> 7 & 0x7F | 0x80, value >> 14 & 0x7F | 0x80, value >> 21)
        )
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# Lengths, ranks and enum numbers below 2**14 (every sub-message of a ranked offer short of an
# offer with a 16 KB description) by indexing; _size() for any length.
_SMALL = [bytes((n,)) if n < 0x80 else bytes((n & 0x7F | 0x80, n >> 7)) for n in range(1 << 14)]


def _size(value: int) -> bytes:
    return _SMALL[value] if value < 0x4000 else _varint(value)


def _key(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _delimited(key: bytes, data: bytes) -> bytes:
    """A length-delimited field: its key (number and wire type 2), length and data."""
    return key + _size(len(data)) + data


def _string(key: bytes, text: str) -> bytes:
    return _delimited(key, text.encode())


def _double_field(number: int) -> Callable[[float], bytes]:
    """Packs a double as field ``number`` (key and value in one call)."""
    pack = struct.Struct("<Bd").pack
    key = number << 3 | 1
    assert key < 0x80
    return functools.partial(pack, key)


_MONEY_CNY = _string(_key(money_pb2.Money.CURRENCY_CODE_FIELD_NUMBER, 2), CNY)
_MONEY_UNITS = _key(money_pb2.Money.UNITS_FIELD_NUMBER, 0)
_MONEY_NANOS = _key(money_pb2.Money.NANOS_FIELD_NUMBER, 0)
_MONEY_HEAD = _MONEY_CNY + _MONEY_UNITS


def _money(key: bytes, amount: Decimal) -> bytes:
    """``to_money(amount)`` as a field (set even when zero, as CopyFrom set it)."""
    units = int(amount)  # as to_money: truncates toward zero, nanos keep the sign
    nanos = int(((amount - units) * _NANOS).to_integral_value(ROUND_HALF_UP))
    data = (
        _MONEY_HEAD
        + (_SMALL[units] if 0 <= units < 0x4000 else _varint(units))
        + _MONEY_NANOS
        + _varint(nanos)
    )
    return key + _SMALL[len(data)] + data  # under 40 bytes


_Ev = common_pb2.Evidence
_EV_SIGNAL = _key(_Ev.SIGNAL_FIELD_NUMBER, 2)
_EV_VALUE = _key(_Ev.VALUE_FIELD_NUMBER, 2)
_EV_WEIGHT = _double_field(_Ev.WEIGHT_FIELD_NUMBER)
_EV_NOTE = _key(_Ev.NOTE_FIELD_NUMBER, 2)


def _evidence(key: bytes, e: Evidence) -> bytes:
    return _delimited(
        key,
        _string(_EV_SIGNAL, e.signal)
        + _string(_EV_VALUE, e.value)
        + _EV_WEIGHT(e.weight)
        + _string(_EV_NOTE, e.note),
    )


_Sup = common_pb2.Supplier
_SUPPLIER = _key(common_pb2.Offer.SUPPLIER_FIELD_NUMBER, 2)
_SUP_KIND = _key(_Sup.KIND_FIELD_NUMBER, 0)
_SUP_CONFIDENCE = _double_field(_Sup.KIND_CONFIDENCE_FIELD_NUMBER)
_SUP_EVIDENCE = _key(_Sup.KIND_EVIDENCE_FIELD_NUMBER, 2)


def _supplier_kind(kind: KindInference) -> bytes:
    """The inference as a supplier field: merged into the caller's supplier, whose own
    kind_evidence, if any, is left out first (see _serialized)."""
    return _delimited(
        _SUPPLIER,
        _SUP_KIND
        + _varint(kind.kind)
        + _SUP_CONFIDENCE(kind.confidence)
        + b"".join(_evidence(_SUP_EVIDENCE, e) for e in kind.evidence),
    )


_Cus = common_pb2.Customization
_CUSTOMIZATION = _key(common_pb2.Offer.CUSTOMIZATION_FIELD_NUMBER, 2)
_CUS_SUPPORTED = _key(_Cus.SUPPORTED_FIELD_NUMBER, 0)
_CUS_TO_SAMPLE = _key(_Cus.MADE_TO_SAMPLE_FIELD_NUMBER, 0)
_CUS_MIN_ORDER = _key(_Cus.CUSTOM_MIN_ORDER_FIELD_NUMBER, 0)
_CUS_SAMPLE_FEE = _key(_Cus.SAMPLE_FEE_FIELD_NUMBER, 2)
_CUS_SERVICES = _key(_Cus.SERVICES_FIELD_NUMBER, 2)
_CUS_FAST = _key(_Cus.FAST_SAMPLING_FIELD_NUMBER, 0)
_CUS_EVIDENCE = _key(_Cus.EVIDENCE_FIELD_NUMBER, 2)


def _customization(custom: Customization) -> bytes:
    """The customization field of an offer: set even when empty, and the caller's own is
    left out (see _serialized), as CopyFrom replaced it."""
    return _delimited(
        _CUSTOMIZATION,
        _CUS_SUPPORTED
        + _varint(custom.supported)
        + _CUS_TO_SAMPLE
        + _varint(custom.made_to_sample)
        + _CUS_MIN_ORDER
        + _varint(custom.custom_min_order)
        + (b"" if custom.sample_fee is None else _money(_CUS_SAMPLE_FEE, custom.sample_fee))
        + b"".join(_string(_CUS_SERVICES, s) for s in custom.services)
        + _CUS_FAST
        + _varint(custom.fast_sampling)
        + b"".join(_evidence(_CUS_EVIDENCE, e) for e in custom.evidence),
    )


_Com = common_pb2.ScoreComponent
_COMPONENT = _key(common_pb2.ScoreBreakdown.COMPONENTS_FIELD_NUMBER, 2)
_COM_NAME = _key(_Com.NAME_FIELD_NUMBER, 2)
_COM_REASON = _key(_Com.REASON_FIELD_NUMBER, 2)
_COM_POINTS_KEY = _Com.POINTS_FIELD_NUMBER << 3 | 1
_COM_MAX_POINTS_KEY = _Com.MAX_POINTS_FIELD_NUMBER << 3 | 1
assert _COM_POINTS_KEY < 0x80 and _COM_MAX_POINTS_KEY < 0x80 and len(_COM_REASON) == 1
_COM_POINTS = struct.Struct("<BdBd").pack  # points and max_points, keys and values

_Sco = common_pb2.ScoreBreakdown
_SCO_TOTAL = _double_field(_Sco.TOTAL_FIELD_NUMBER)
_SCO_PROFILE = _key(_Sco.PROFILE_FIELD_NUMBER, 2)
_SCO_BASIS = _key(_Sco.PRICE_BASIS_FIELD_NUMBER, 2)
_SCO_COMPARED = _key(_Sco.COMPARED_UNIT_PRICE_FIELD_NUMBER, 2)
_SCO_AVERAGE = _key(_Sco.AVERAGE_UNIT_PRICE_FIELD_NUMBER, 2)
_SCO_RATIO = _double_field(_Sco.PRICE_RATIO_FIELD_NUMBER)

_Ran = common_pb2.RankedOffer
_RAN_OFFER = _key(_Ran.OFFER_FIELD_NUMBER, 2)
_RAN_SCORE = _key(_Ran.SCORE_FIELD_NUMBER, 2)
_RAN_RANK = _key(_Ran.RANK_FIELD_NUMBER, 0)
_RAN_GROUP = _key(_Ran.GROUP_ID_FIELD_NUMBER, 2)
_RAN_SOURCE = _key(_Ran.IS_GROUP_SOURCE_FIELD_NUMBER, 0) + b"\x01"
_RAN_RESELLER = _key(_Ran.IS_RESELLER_FIELD_NUMBER, 0) + b"\x01"
_RAN_MARKUP = _double_field(_Ran.MARKUP_OVER_SOURCE_FIELD_NUMBER)
_RANKED = _key(ranking_pb2.RankOffersResponse.OFFERS_FIELD_NUMBER, 2)
assert len(_RAN_OFFER) == len(_RAN_SCORE) == 1


class _Writer:
    """Writes ranked offers as the pieces of the response's offers fields. Shared values are
    written once, keyed by their identity (they stay alive in the result while it is
    written)."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self._kinds: dict[int, bytes] = {}
        self._customizations: dict[int, bytes] = {}
        self._components: dict[int, bytes] = {}
        self._averages: dict[int, bytes] = {}
        self._names: dict[str, bytes] = {}
        self._texts: dict[tuple[str, str], bytes] = {}

    def ranked(self, ranked: RankedOffer, original: common_pb2.Offer) -> None:
        """Adds the ranked offer as an offers field of the response."""
        kind = ranked.kind
        supplier = self._kinds.get(id(kind))
        if supplier is None:
            supplier = self._kinds[id(kind)] = _supplier_kind(kind)
        custom = ranked.customization
        customization = self._customizations.get(id(custom))
        if customization is None:
            customization = self._customizations[id(custom)] = _customization(custom)
        if original.HasField("customization") or original.supplier.kind_evidence:
            original = _without_inferences(original)
        offer = original.SerializeToString()
        offer_size = len(offer) + len(supplier) + len(customization)
        score = self.score(ranked.score)
        score_size = _size(len(score))
        rank = ranked.rank
        tail = _RAN_RANK + (_SMALL[rank] if 0 <= rank < 0x4000 else _varint(rank))
        if ranked.group_id:
            tail += _string(_RAN_GROUP, ranked.group_id)
        if ranked.is_group_source:
            tail += _RAN_SOURCE
        if ranked.is_reseller:
            tail += _RAN_RESELLER
        markup = ranked.markup_over_source
        if markup or markup.is_signed():  # +0.0 is the default: not written (-0.0 is)
            tail += _RAN_MARKUP(float(markup))
        offer_size_field = _size(offer_size)
        size = (
            2 + len(offer_size_field) + offer_size + len(score_size) + len(score) + len(tail)
        )  # 2: the offer and score keys
        self.pieces += (
            _RANKED,
            _size(size),
            _RAN_OFFER,
            offer_size_field,
            offer,
            supplier,
            customization,
            _RAN_SCORE,
            score_size,
            score,
            tail,
        )

    def score(self, score: Score) -> bytes:
        components = self._components
        parts = [components.get(id(c)) or self._component(c) for c in score.components]
        parts.append(_SCO_TOTAL(float(score.total)))
        texts = self._texts
        key = (score.profile, score.price_basis)
        text = texts.get(key)
        if text is None:
            text = texts[key] = _string(_SCO_PROFILE, key[0]) + _string(_SCO_BASIS, key[1])
        parts.append(text)
        compared = score.compared_unit_price
        if compared is not None:
            parts.append(_money(_SCO_COMPARED, compared))
        average = score.average_unit_price
        if average is not None:
            money = self._averages.get(id(average))
            if money is None:
                money = self._averages[id(average)] = _money(_SCO_AVERAGE, average)
            parts.append(money)
        if score.price_ratio is not None:
            parts.append(_SCO_RATIO(float(score.price_ratio)))
        return b"".join(parts)

    def _component(self, c: ScoreComponent) -> bytes:
        """The component as a components field, kept for the other offers that share it."""
        name = self._names.get(c.name)
        if name is None:
            name = self._names[c.name] = _string(_COM_NAME, c.name)
        reason = c.reason.encode()
        points = _COM_POINTS(
            _COM_POINTS_KEY,
            float(c.points),
            _COM_MAX_POINTS_KEY,
            float(c.max_points),
        )
        reason_size = _SMALL[len(reason)] if len(reason) < 0x4000 else _varint(len(reason))
        size = len(name) + len(points) + 1 + len(reason_size) + len(reason)  # 1: reason key
        field = self._components[id(c)] = b"".join(
            (
                _COMPONENT,
                _SMALL[size] if size < 0x4000 else _varint(size),
                name,
                points,
                _COM_REASON,
                reason_size,
                reason,
            )
        )
        return field


def _without_inferences(original: common_pb2.Offer) -> common_pb2.Offer:
    """A copy without what the response writes in its place, the supplier's kind_evidence
    and the customization: written fields merge into what is there."""
    copy = common_pb2.Offer()
    copy.CopyFrom(original)
    copy.ClearField("customization")
    del copy.supplier.kind_evidence[:]
    return copy


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
        writer.ranked(ranked, originals[ranked.offer.offer_id])
    response.MergeFromString(b"".join(writer.pieces))
    return response
