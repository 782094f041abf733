"""Which kind of business sells an offer, inferred from the signals 1688 does publish.

1688 has no "supplier type" field. Each signal below points to one kind with
a weight; weights add up per camp (makers = source factory + manufacturer,
trading companies, brands). The strongest camp wins; a tie or a winner below
``_DECISIVE`` leaves the kind UNKNOWN. Within the makers, enough evidence of
being *the* factory (厂 in the name, ``super_factory``, a verified-factory
certificate, bizType 加工, a title claiming 源头工厂) makes it a source factory,
otherwise a manufacturer. Every signal used is returned as evidence.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.ranking import wording
from services.ranking.domain import Evidence, KindInference, Locale, Offer, SupplierKind

_S = SupplierKind.SOURCE_FACTORY
_M = SupplierKind.MANUFACTURER
_B = SupplierKind.BRAND
_T = SupplierKind.TRADING_COMPANY

# (word in the company name, kind it points to, weight); at most one word per kind counts,
# so "XX贸易商行" is not twice as much a trader as "XX贸易".
_NAME_WORDS: tuple[tuple[str, SupplierKind, float], ...] = (
    ("厂", _S, 2.0),
    ("制造", _M, 2.0),
    ("制衣", _M, 2.0),
    ("制品", _M, 2.0),
    ("实业", _M, 2.0),
    ("工艺品", _M, 2.0),
    ("织造", _M, 2.0),
    ("加工", _M, 2.0),
    ("生产", _M, 2.0),
    ("针织", _M, 1.5),
    ("贸易", _T, 2.5),
    ("商贸", _T, 2.5),
    ("商行", _T, 2.5),
    ("电子商务", _T, 2.5),
    ("进出口", _T, 2.5),
    ("经营部", _T, 2.5),
    ("经销", _T, 2.0),
    ("供应链", _T, 2.0),
    ("百货", _T, 2.0),
    ("网络科技", _T, 1.5),
    ("旗舰店", _B, 2.5),
    ("专卖店", _B, 2.5),
    ("品牌", _B, 2.5),
)

# Traders copy these words too, so they only tip the balance.
_TITLE_WORDS = (
    "源头工厂",
    "源头厂家",
    "厂家直销",
    "工厂直销",
    "工厂直供",
    "工厂店",
    "自产自销",
    "实体工厂",
)
_TITLE_WEIGHT = 1.0

_IDENTITIES = {"super_factory": (_S, 3.0), "超级工厂": (_S, 3.0)}

# Verified-factory certificates say "this is a factory"; quality-system ones mostly do.
_FACTORY_CERTIFICATES = {"certified_factory", "factory_audit", "工厂认证", "认证工厂", "验厂"}
_QUALITY_CERTIFICATES = ("iso9001", "iso 9001")
_BIZ_TYPES = {2: (_S, 1.5), 3: (_T, 1.5)}

_ESTABLISHED_YEARS = 5
_ESTABLISHED_WEIGHT = 0.5

_DECISIVE = 1.0  # a camp needs at least this much to decide anything
_SOURCE_MIN = 1.0  # source-factory weight needed for a maker to count as the source
_FULL_CONFIDENCE = 4.0  # camp weight at which the signals are strong enough to be sure
_SOURCE_FULL = 2.0

_CAMP = {_S: "maker", _M: "maker", _T: "trader", _B: "brand"}


def is_factory_certificate(certificate: str) -> bool:
    """Counts for the +5 factory-certification bonus as well as for inference."""
    lowered = certificate.strip().lower()
    return lowered in _FACTORY_CERTIFICATES or lowered.startswith(_QUALITY_CERTIFICATES)


def infer_kind(offer: Offer, locale: Locale) -> KindInference:
    """The supplier's kind, its confidence (0-1) and the evidence behind it."""
    signals = list(_signals(offer))
    certified = any(is_factory_certificate(c) for c in offer.supplier.certifications)
    kind, confidence = _decide(signals)
    decided_camp = _CAMP.get(kind)
    evidence = tuple(
        Evidence(
            signal=signal,
            value=value,
            weight=weight if decided_camp in (None, _CAMP[points_to]) else -weight,
            note=wording.evidence_note(locale, signal, value, points_to),
        )
        for signal, value, points_to, weight in signals
    )
    return KindInference(kind, confidence, evidence, certified)


_Signal = tuple[str, str, SupplierKind, float]


def _signals(offer: Offer) -> Iterable[_Signal]:
    supplier = offer.supplier
    for identity in supplier.seller_identities:
        if identity in _IDENTITIES:
            kind, weight = _IDENTITIES[identity]
            yield "seller_identity", identity, kind, weight
    yield from _name_signals(supplier.company_name)
    if offer.detail is not None and offer.detail.biz_type in _BIZ_TYPES:
        kind, weight = _BIZ_TYPES[offer.detail.biz_type]
        yield "biz_type", str(offer.detail.biz_type), kind, weight
    for word in _TITLE_WORDS:
        if word in offer.title:
            yield "title_word", word, _S, _TITLE_WEIGHT
            break
    yield from _certificate_signals(supplier.certifications)
    if supplier.years_on_platform >= _ESTABLISHED_YEARS:
        yield "years_on_platform", str(supplier.years_on_platform), _M, _ESTABLISHED_WEIGHT


def _name_signals(name: str) -> Iterable[_Signal]:
    seen: set[SupplierKind] = set()
    for word, kind, weight in _NAME_WORDS:
        if kind not in seen and word in name:
            seen.add(kind)
            yield "company_name", word, kind, weight


def _certificate_signals(certificates: Iterable[str]) -> Iterable[_Signal]:
    factory = next((c for c in certificates if c.strip().lower() in _FACTORY_CERTIFICATES), None)
    if factory is not None:
        yield "certification", factory, _S, 1.5
        return
    quality = next((c for c in certificates if is_factory_certificate(c)), None)
    if quality is not None:
        yield "certification", quality, _M, 0.5


def _decide(signals: list[_Signal]) -> tuple[SupplierKind, float]:
    per_kind = dict.fromkeys(SupplierKind, 0.0)
    for _, _, kind, weight in signals:
        per_kind[kind] += weight
    camps = {
        "maker": per_kind[_S] + per_kind[_M],
        "trader": per_kind[_T],
        "brand": per_kind[_B],
    }
    total = sum(camps.values())
    best = max(camps.values())
    winners = [camp for camp, weight in camps.items() if weight == best]
    if best < _DECISIVE or len(winners) > 1:
        return SupplierKind.UNKNOWN, 0.0
    confidence = best / total * min(1.0, best / _FULL_CONFIDENCE)
    camp = winners[0]
    if camp == "trader":
        return _T, round(confidence, 2)
    if camp == "brand":
        return _B, round(confidence, 2)
    if per_kind[_S] >= _SOURCE_MIN:
        return _S, round(confidence * min(1.0, per_kind[_S] / _SOURCE_FULL), 2)
    return _M, round(confidence, 2)
