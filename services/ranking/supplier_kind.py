"""Which kind of business sells an offer, inferred from the signals 1688 does publish.

1688 has no "supplier type" field, and live answers carry little: search rows have
``sellerIdentities`` and the title, the detail adds bizType and product attributes, and
the company name, years and certifications come only sometimes. Each signal below points
to one kind with a weight; weights add up per camp (makers = source factory +
manufacturer, trading companies, brands). The strongest camp wins; a tie or a winner
below ``_DECISIVE`` leaves the kind UNKNOWN. Within the makers, enough evidence of being
*the* factory (``super_factory`` — strong; ``powerful_merchants`` — weaker; 厂 in the
name, a verified-factory certificate, bizType 2 加工, a title claiming 源头工厂) makes it
a source factory, otherwise a manufacturer. ``tp_member`` (诚信通, a paid membership) says
nothing about kind and is listed as such.

Every signal used is returned as evidence, and so is what was missing: a company name
the upstream did not send, a detail not fetched. Each missing source lowers the
confidence (× 0.85 without a company name, × 0.9 without a detail), so an inference
from a live row alone is never as sure as one from a full record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from services.ranking import wording
from services.ranking.domain import (
    MAKERS,
    Evidence,
    KindInference,
    Locale,
    Offer,
    SupplierKind,
)

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
    # A line of business and no trading word: probably a manufacturer, weakly.
    *((word, _M, 1.5) for word in ("服饰", "服装", "纺织", "布业", "五金", "电子", "数码", "玩具")),
    *((word, _M, 1.5) for word in ("塑胶", "包装", "印刷", "配件", "日用品", "文化用品", "紧固件")),
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
# Titles of resellers: drop-shipping (一件代发) is what a trader offers, a brand's shop says
# 官方正品 / 品牌直营. Factories write them too, so they only tip the balance as well.
_RESELLER_TITLE_WORDS = {
    "一件代发": _T,
    "代发": _T,
    "官方正品": _B,
    "品牌直营": _B,
    "旗舰店": _B,
}

_IDENTITIES = {
    "super_factory": (_S, 3.0),
    "超级工厂": (_S, 3.0),
    "powerful_merchants": (_S, 1.0),
    "实力商家": (_S, 1.0),
}
_SAYS_NOTHING = ("tp_member", "诚信通会员")
# A product attribute stating that the offer is made to order: what a maker states.
_MAKER_ATTRIBUTES = {"加工定制": ("是", "支持", "可以"), "加印LOGO": ("可以", "是", "支持")}
_ATTRIBUTE_WEIGHT = 1.0
_NO_NAME_FACTOR = 0.85
_NO_DETAIL_FACTOR = 0.9

# Verified-factory certificates say "this is a factory"; quality-system ones mostly do.
_FACTORY_CERTIFICATES = {"certified_factory", "factory_audit", "工厂认证", "认证工厂", "验厂"}
_QUALITY_CERTIFICATES = ("iso9001", "iso 9001")
_BIZ_TYPES = {2: (_S, 1.5), 3: (_T, 1.5)}

_ESTABLISHED_YEARS = 5
_ESTABLISHED_WEIGHT = 0.5

_DECISIVE = 1.5  # a camp needs this much to decide: a title word alone does not
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
    supplier = offer.supplier
    detail = offer.detail
    title_word = _TITLE_PATTERN.search(offer.title)
    reseller_word = _RESELLER_TITLE_PATTERN.search(offer.title)
    attribute = ""
    if detail is not None:
        attribute = next(
            (
                f"{name}: {value}"
                for name, value in detail.attributes
                if value.strip() in _MAKER_ATTRIBUTES.get(name.strip(), ())
            ),
            "",
        )
    return _infer(
        supplier.seller_identities,
        supplier.company_name,
        detail.biz_type if detail is not None else -1,
        title_word.group(0) if title_word is not None else "",
        reseller_word.group(0) if reseller_word is not None else "",
        supplier.certifications,
        supplier.years_on_platform,
        attribute,
        locale,
    )


# Keyed on everything the inference reads; of the title, only the word it claims.
# ``biz_type`` -1: no detail.
@lru_cache(maxsize=4096)
def _infer(
    identities: tuple[str, ...],
    company_name: str,
    biz_type: int,
    title_word: str,
    reseller_word: str,
    certifications: tuple[str, ...],
    years: int,
    attribute: str,
    locale: Locale,
) -> KindInference:
    signals: list[_Signal] = [
        ("seller_identity", identity, *_IDENTITIES[identity])
        for identity in identities
        if identity in _IDENTITIES
    ]
    if attribute:
        signals.append(("detail_field", attribute, _M, _ATTRIBUTE_WEIGHT))
    signals.extend(_name_signals(company_name))
    if biz_type in _BIZ_TYPES:
        signals.append(("biz_type", str(biz_type), *_BIZ_TYPES[biz_type]))
    if title_word:
        signals.append(("title_word", title_word, _S, _TITLE_WEIGHT))
    if reseller_word:
        kind = _RESELLER_TITLE_WORDS[reseller_word]
        signals.append(("title_word", reseller_word, kind, _TITLE_WEIGHT))
    certified = False
    if certifications:
        signals.extend(_certificate_signals(certifications))
        certified = any(is_factory_certificate(c) for c in certifications)
    if years >= _ESTABLISHED_YEARS:
        signals.append(("years_on_platform", str(years), _M, _ESTABLISHED_WEIGHT))
    concluded = _conclude(tuple(signals), certified, locale)
    notes = [
        Evidence("seller_identity", i, 0.0, wording.say(locale, "ev.says_nothing", value=i))
        for i in identities
        if i in _SAYS_NOTHING
    ]
    factor = 1.0
    if not company_name:
        factor *= _NO_NAME_FACTOR
        notes.append(Evidence("company_name", "", 0.0, wording.say(locale, "ev.no_company")))
    if biz_type < 0:
        factor *= _NO_DETAIL_FACTOR
        notes.append(Evidence("detail_field", "", 0.0, wording.say(locale, "ev.no_detail")))
    return KindInference(
        concluded.kind,
        round(concluded.confidence * factor, 2),
        concluded.evidence + tuple(notes),
        concluded.factory_certified,
        concluded.lean,
    )


_Signal = tuple[str, str, SupplierKind, float]
_NAME_WEIGHTS = {word: (kind, weight) for word, kind, weight in _NAME_WORDS}
# Longest first, so 电子商务 (a trader) is not read as 电子 (a line of business).
_NAME_PATTERN = re.compile("|".join(sorted(_NAME_WEIGHTS, key=len, reverse=True)))
_TITLE_PATTERN = re.compile("|".join(_TITLE_WORDS))
# Longest first, so 一件代发 is read before 代发.
_RESELLER_TITLE_PATTERN = re.compile("|".join(sorted(_RESELLER_TITLE_WORDS, key=len, reverse=True)))


def _name_signals(company_name: str) -> tuple[_Signal, ...]:
    signals: list[_Signal] = []
    seen: set[SupplierKind] = set()
    for word in _NAME_PATTERN.findall(company_name):
        kind, weight = _NAME_WEIGHTS[word]
        if kind not in seen:
            seen.add(kind)
            signals.append(("company_name", word, kind, weight))
    return tuple(signals)


def _conclude(signals: tuple[_Signal, ...], certified: bool, locale: Locale) -> KindInference:
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
    lean = sum(w if points_to in MAKERS else -w for _, _, points_to, w in signals)
    return KindInference(kind, confidence, evidence, certified, round(lean, 2))


def _certificate_signals(certificates: Iterable[str]) -> Iterable[_Signal]:
    factory = next((c for c in certificates if c.strip().lower() in _FACTORY_CERTIFICATES), None)
    if factory is not None:
        yield "certification", factory, _S, 1.5
        return
    quality = next((c for c in certificates if is_factory_certificate(c)), None)
    if quality is not None:
        yield "certification", quality, _M, 0.5


def _decide(signals: tuple[_Signal, ...]) -> tuple[SupplierKind, float]:
    source = maker = trader = brand = 0.0
    for _, _, kind, weight in signals:
        if kind is _S:
            source += weight
        if kind in MAKERS:
            maker += weight
        elif kind is _T:
            trader += weight
        else:
            brand += weight
    best = max(maker, trader, brand)
    if best < _DECISIVE or [maker, trader, brand].count(best) > 1:
        return SupplierKind.UNKNOWN, 0.0
    confidence = best / (maker + trader + brand) * min(1.0, best / _FULL_CONFIDENCE)
    if best == trader:
        return _T, round(confidence, 2)
    if best == brand:
        return _B, round(confidence, 2)
    if source >= _SOURCE_MIN:
        return _S, round(confidence * min(1.0, source / _SOURCE_FULL), 2)
    return _M, round(confidence, 2)
