"""Can this offer take a custom order? Decided with evidence a buyer can check.

When the offer arrives with a customization already inferred (``Offer.customization``,
set by ranking) that decision is used as it stands. Otherwise the detail decides:
bizType 2 (加工, processing) or customization words in the title or description, read
as ranking reads them (``shared.customization_words``): a word right after a negation
(不定制, 不支持来样加工, 暂不打样) counts against, but 不锈钢定制 is stainless steel made
to order.
"""

from __future__ import annotations

from services.planning.domain import (
    Customizability,
    CustomizationClaim,
    Evidence,
    OfferFacts,
)
from shared.customization_words import TO_SAMPLE, find_words, offers_fast_sampling

PROCESSING_BIZ_TYPE = 2


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
        for word, negated in find_words(text):
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
        made_to_sample=any(word in TO_SAMPLE for word in positives),
        fast_sampling=offers_fast_sampling(text),
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
