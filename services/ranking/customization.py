"""What a supplier can customize, with the evidence for it, worded for the buyer.

The decision is ``shared.customization_words.decide``, the one rule planning uses too:
product attributes (加工定制: 是, 加印LOGO: 可以), bizType 2 (加工), customization words
in the title and the detail's description with their refusals, a custom minimum or
sample fee written next to them, and the detail's sample fee. This module only reads
the offer into it and words its signals in the request's locale.
"""

from __future__ import annotations

from services.ranking import wording
from services.ranking.domain import Customization, Evidence, Locale, Offer
from shared.customization_words import decide


def infer_customization(offer: Offer, locale: Locale) -> Customization:
    """Customization ability with the evidence for it."""
    detail = offer.detail
    if detail is None:
        decision = decide(offer.title)
    else:
        decision = decide(
            offer.title, detail.description, detail.biz_type, detail.attributes, detail.sample_fee
        )
    return Customization(
        supported=decision.supported,
        made_to_sample=decision.made_to_sample,
        custom_min_order=decision.custom_min_order,
        sample_fee=decision.sample_fee,
        services=decision.services,
        fast_sampling=decision.fast_sampling,
        evidence=tuple(
            Evidence(
                s.signal, s.value, s.weight, wording.customization_note(locale, s.meaning, s.value)
            )
            for s in decision.signals
        ),
    )
