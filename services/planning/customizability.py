"""Can this offer take a custom order? Decided with evidence a buyer can check.

When the offer arrives with a customization already inferred (``Offer.customization``,
set by ranking) that decision is used as it stands. Otherwise the one rule ranking uses
decides (``shared.customization_words.decide``): bizType 2 (加工, processing), product
attributes (加工定制: 是, listed by the detail or spelled out in its description),
customization words in the title or description, a refusal winning over a claim
(不定制, 不支持来样加工, 暂不打样; but 不锈钢定制 is stainless steel made to order).
A direct caller of planning so gets the answer the public flow gets.
"""

from __future__ import annotations

from services.planning.domain import (
    Customizability,
    CustomizationClaim,
    Evidence,
    OfferFacts,
)
from shared.customization_words import decide as decide_customization
from shared.customization_words import describe

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
    detail = offer.detail
    decision = decide_customization(
        offer.title, detail.description, detail.biz_type, detail.attributes, detail.sample_fee
    )
    # A refusal lists what speaks for or against customization, not the fee it quotes.
    said = [
        s
        for s in decision.signals
        if decision.supported or s.meaning not in ("sample_fee", "custom_minimum")
    ]
    evidence = [Evidence(s.signal, s.value, s.weight, describe(s)) for s in said]
    if detail.biz_type != PROCESSING_BIZ_TYPE:
        evidence.insert(0, _biz_type_evidence(detail.biz_type))
    if not decision.supported and not said:
        evidence.append(
            Evidence("title_word", "", -0.5, "no customization word in the title or description")
        )
    return Customizability(
        supported=decision.supported,
        made_to_sample=decision.made_to_sample,
        fast_sampling=decision.fast_sampling,
        custom_min_order=decision.custom_min_order,
        sample_fee=decision.sample_fee,
        evidence=tuple(evidence),
    )


def _biz_type_evidence(biz_type: int) -> Evidence:
    """What a bizType other than 2 says (2 is a signal of the rule itself)."""
    if biz_type == 0:
        return Evidence("biz_type", "0", 0.0, "bizType unknown")
    return Evidence("biz_type", str(biz_type), -0.5, f"bizType {biz_type}: not a processing offer")
