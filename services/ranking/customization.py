"""What a supplier can customize, inferred from words and detail fields.

No 1688 field states it. Signals: bizType 2 (加工, processing to the buyer's
specification), words in the title and the detail description (来样加工,
定制, OEM, 打样 ...), a negation right before such a word (不支持定制), a
custom minimum or sample fee written next to them, and the detail's sample
fee. A negation wins over a claim: a buyer should not be sent to a supplier
that says it does not take the job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from services.ranking import wording
from services.ranking.domain import Customization, Evidence, Locale, Offer

# Made-to-sample words; each also means custom orders are taken.
_TO_SAMPLE = (
    "来样加工",
    "来图加工",
    "来样定制",
    "来图定制",
    "按样定制",
    "看样定制",
    "来样定做",
    "来图定做",
)
# Custom-order words; listed as services when found.
_CUSTOM = ("定制", "订制", "定做", "OEM", "ODM", "贴牌", "打样")
_FAST_SAMPLING = ("快速打样", "急速打样", "当天打样", "24小时打样", "48小时打样", "快速出样")
# Only right before the word: "不掉色定制T恤" (does not fade, custom) is a claim, not a refusal.
_NEGATIONS = ("不", "非", "不支持", "不接", "不接受", "不做", "不提供", "不可", "不能", "无法")
_NEGATION_REACH = 4

_TRIGGER = r"(?:定制|订制|定做|来样|来图|OEM|ODM|贴牌)"
_UNIT = r"(?:件|个|套|双|条|只|pcs|PCS)"
_CUSTOM_MINIMUM = re.compile(_TRIGGER + r"[^0-9。；;！!\n]{0,10}?(\d{1,7})\s*" + _UNIT)
_SAMPLE_FEE = re.compile(
    r"(?:打样费|样品费|样衣费|打样)[^0-9。；;\n]{0,6}?(?:[¥￥]\s*(\d{1,6}(?:\.\d{1,2})?)"
    r"|(\d{1,6}(?:\.\d{1,2})?)\s*元)"
)


@dataclass(frozen=True, slots=True)
class _Found:
    word: str
    signal: str
    negated: bool


def infer_customization(offer: Offer, locale: Locale) -> Customization:
    """Customization ability with the evidence for it."""
    texts = _texts(offer)
    evidence: list[Evidence] = []
    found = [hit for signal, text in texts for hit in _find_words(text, signal)]
    processing = offer.detail is not None and offer.detail.biz_type == 2
    if processing:
        evidence.append(_evidence(locale, "biz_type", "2", 1.0, "processing"))
    for hit in found:
        meaning = "negated" if hit.negated else _meaning(hit.word)
        weight = -1.0 if hit.negated else 1.0
        evidence.append(_evidence(locale, hit.signal, hit.word, weight, meaning))
    to_sample_denied = any(h.negated and h.word in _TO_SAMPLE for h in found)
    custom_denied = any(h.negated and h.word in _CUSTOM for h in found)
    to_sample = not to_sample_denied and (
        processing or any(not h.negated and h.word in _TO_SAMPLE for h in found)
    )
    supported = not custom_denied and (to_sample or any(not h.negated for h in found))
    to_sample = to_sample and supported
    minimum = _custom_minimum(texts, locale, evidence) if supported else 0
    fee = _sample_fee(offer, texts, locale, evidence)
    services = tuple(dict.fromkeys(h.word for h in found if not h.negated))
    fast = any(word in text for _, text in texts for word in _FAST_SAMPLING)
    return Customization(
        supported=supported,
        made_to_sample=to_sample,
        custom_min_order=minimum,
        sample_fee=fee,
        services=services,
        fast_sampling=fast,
        evidence=tuple(evidence),
    )


def _texts(offer: Offer) -> tuple[tuple[str, str], ...]:
    title = ("title_word", offer.title)
    if offer.detail is not None and offer.detail.description:
        return title, ("description_word", offer.detail.description)
    return (title,)


def _find_words(text: str, signal: str) -> Iterable[_Found]:
    upper = text.upper()
    for word in (*_TO_SAMPLE, *_CUSTOM):
        start = upper.find(word)
        if start < 0:
            continue
        # A word inside a longer made-to-sample phrase ("定制" in "来样定制") is not a second claim.
        if word in _CUSTOM and any(word in phrase and phrase in upper for phrase in _TO_SAMPLE):
            continue
        before = upper[max(0, start - _NEGATION_REACH) : start]
        yield _Found(word, signal, before.endswith(_NEGATIONS))


def _meaning(word: str) -> str:
    if word in _TO_SAMPLE:
        return "to_sample"
    if word == "打样":
        return "sampling"
    return "custom"


def _evidence(locale: Locale, signal: str, value: str, weight: float, meaning: str) -> Evidence:
    return Evidence(signal, value, weight, wording.customization_note(locale, meaning, value))


def _custom_minimum(
    texts: Iterable[tuple[str, str]], locale: Locale, evidence: list[Evidence]
) -> int:
    for signal, text in texts:
        match = _CUSTOM_MINIMUM.search(text)
        if match is not None and int(match.group(1)) > 0:
            quantity = int(match.group(1))
            evidence.append(_evidence(locale, signal, match.group(0), 1.0, "custom_minimum"))
            return quantity
    return 0


def _sample_fee(
    offer: Offer, texts: Iterable[tuple[str, str]], locale: Locale, evidence: list[Evidence]
) -> Decimal | None:
    if offer.detail is not None and offer.detail.sample_fee is not None:
        fee = offer.detail.sample_fee
        evidence.append(_evidence(locale, "detail_field", str(fee), 1.0, "sample_fee"))
        return fee
    for signal, text in texts:
        match = _SAMPLE_FEE.search(text)
        if match is not None:
            evidence.append(_evidence(locale, signal, match.group(0), 1.0, "sample_fee"))
            return Decimal(match.group(1) or match.group(2))
    return None
