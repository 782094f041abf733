"""Can this offer take a custom order? Decided with evidence a buyer can check.

When the offer arrives with a customization already inferred (``Offer.customization``,
set by ranking) that decision is used as it stands. Otherwise the detail decides:
bizType 2 (加工, processing) or customization words in the title or description.
A word right after a negation (不定制, 不支持来样加工, 暂不打样) counts against,
but 不锈钢定制 is stainless steel made to order, so only whole negation phrases count.
"""

from __future__ import annotations

import re

from services.planning.domain import (
    Customizability,
    CustomizationClaim,
    Evidence,
    OfferFacts,
)

PROCESSING_BIZ_TYPE = 2

#: Words that say the supplier customizes, and whether they mean "makes to sample"
#: (the words ranking reads, services/ranking/customization.py).
_WORDS: dict[str, bool] = {
    "来样加工": True,
    "来图加工": True,
    "来样定制": True,
    "来图定制": True,
    "按样定制": True,
    "看样定制": True,
    "来样定做": True,
    "来图定做": True,
    "定制": False,
    "订制": False,
    "定做": False,
    "OEM": False,
    "ODM": False,
    "贴牌": False,
    "打样": False,
}
_FAST_SAMPLING = ("快速打样", "急速打样", "当天打样", "24小时打样", "48小时打样", "快速出样")
_NEGATION = re.compile(r"(暂不|不|无法|无|不能)(支持|提供|接受|接|做|可以|可)?$")
_LATIN_WORD = re.compile(r"[A-Za-z]")


def decide(offer: OfferFacts) -> Customizability:
    """The customization decision for ``offer`` (never raises)."""
    if offer.customization is not None:
        return _from_claim(offer.customization)
    return _from_detail(offer)


def _from_claim(claim: CustomizationClaim) -> Customizability:
    evidence = claim.evidence
    if not evidence:
        evidence = (
            Evidence(
                "detail_field",
                f"customization.supported={str(claim.supported).lower()}",
                1.0 if claim.supported else -1.0,
                "customization as inferred before planning, without signals attached",
            ),
        )
    return Customizability(
        supported=claim.supported,
        made_to_sample=claim.made_to_sample,
        fast_sampling=claim.fast_sampling,
        custom_min_order=claim.custom_min_order,
        sample_fee=claim.sample_fee,
        evidence=evidence,
    )


def _from_detail(offer: OfferFacts) -> Customizability:
    evidence = [_biz_type_evidence(offer.detail.biz_type)]
    positives: list[str] = []
    for signal, text in (
        ("title_word", offer.title),
        ("description_word", offer.detail.description),
    ):
        for word, negated in _word_hits(text):
            evidence.append(_word_evidence(signal, word, negated))
            if not negated:
                positives.append(word)
    supported = offer.detail.biz_type == PROCESSING_BIZ_TYPE or bool(positives)
    if not supported and len(evidence) == 1:
        evidence.append(
            Evidence("title_word", "", -0.5, "no customization word in the title or description")
        )
    text = f"{offer.title} {offer.detail.description}"
    return Customizability(
        supported=supported,
        made_to_sample=any(_WORDS[word] for word in positives),
        fast_sampling=any(
            not negated for word in _FAST_SAMPLING for _, negated in _hits(text, word)
        ),
        custom_min_order=0,
        sample_fee=None,
        evidence=tuple(evidence),
    )


def _biz_type_evidence(biz_type: int) -> Evidence:
    if biz_type == PROCESSING_BIZ_TYPE:
        return Evidence("biz_type", "2", 1.0, "bizType 2: a processing (加工) offer")
    if biz_type == 0:
        return Evidence("biz_type", "0", 0.0, "bizType unknown")
    return Evidence("biz_type", str(biz_type), -0.5, f"bizType {biz_type}: not a processing offer")


def _word_evidence(signal: str, word: str, negated: bool) -> Evidence:
    if negated:
        return Evidence(signal, word, -1.0, f"'{word}' is negated: the supplier says it does not")
    return Evidence(signal, word, 0.5, f"'{word}': the supplier offers customization")


def _word_hits(text: str) -> list[tuple[str, bool]]:
    """Each customization word found in ``text`` once, negated or not (negated wins)."""
    found: list[tuple[str, bool]] = []
    for word in _WORDS:
        hits = _hits(text, word)
        if hits:
            found.append((word, any(negated for _, negated in hits)))
    return found


def _hits(text: str, word: str) -> list[tuple[int, bool]]:
    hits = []
    for match in re.finditer(re.escape(word), text, flags=re.IGNORECASE):
        start, end = match.span()
        if word.isascii() and _inside_latin_word(text, start, end):
            continue  # "OEM" inside "POEMS" is not the service
        hits.append((start, bool(_NEGATION.search(text[max(0, start - 4) : start]))))
    return hits


def _inside_latin_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return bool(_LATIN_WORD.match(before) or _LATIN_WORD.match(after))
