"""The matching analysis: what the ranked result means for the buyer, in plain words.

Conclusions, in this order: the answer's sentence (who makes the pictured product, or
that no offer clearly shows it), how many images could not be compared (those offers are
placed by 1688's order and their titles), for how many offers the buyer's region could not
be checked (1688 did not say where their suppliers are), how many make to sample, how many
products several sellers offer, and, under a profile other than the default, where the
answer's source was ranked when it is not first. When filters removed everything, the one that
removed most is named so the buyer knows what to loosen.

The top factory is the answer's source when it is a maker, else the best-ranked source
factory (or manufacturer). A company name the upstream did not send is never shown as
an empty name: conclusions say it was not provided.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.ranking import wording
from services.ranking.domain import (
    MAKERS,
    Answer,
    FilterReport,
    Locale,
    MatchAnalysis,
    OfferGroup,
    RankedOffer,
    SupplierKind,
)


def analyse(
    ranked: Sequence[RankedOffer],
    groups: Sequence[OfferGroup],
    reports: Sequence[FilterReport],
    locale: Locale,
    answer: Answer,
    region: str = "",
) -> MatchAnalysis:
    """``region``: the buyer's region names, for the offers whose place is unknown."""
    factories = [r for r in ranked if r.kind.kind is SupplierKind.SOURCE_FACTORY]
    top = _top_factory(ranked, factories, answer)
    compared = [r.offer.similarity for r in ranked if r.offer.compared]
    average = round(sum(compared) / len(compared), 1) if compared else 0.0
    to_sample = sum(1 for r in ranked if r.customization.made_to_sample)
    if ranked:
        conclusions = [answer.summary] if answer.summary else []
        missing = len(ranked) - len(compared)
        if missing:
            conclusions.append(
                wording.say(locale, "an.not_compared", missing=missing, count=len(ranked))
            )
        unknown = sum(1 for r in ranked if r.region_unknown)
        if unknown:
            conclusions.append(
                wording.say(locale, "an.region_unknown", count=unknown, region=region)
            )
        if to_sample:
            conclusions.append(wording.say(locale, "an.to_sample", count=to_sample))
        if groups:
            conclusions.append(wording.say(locale, "an.groups", count=len(groups)))
        source = next((r for r in ranked if r.offer.offer_id == answer.source_offer_id), None)
        if answer.found and source is not None and source.rank > 1:
            name = wording.supplier_name(locale, source.offer)
            conclusions.append(wording.say(locale, "an.outranked", name=name, rank=source.rank))
    else:
        conclusions = [_empty(locale, reports)]
    return MatchAnalysis(
        source_factory_count=len(factories),
        average_similarity=average,
        top_factory_offer_id=top.offer.offer_id if top is not None else "",
        top_factory_name=top.offer.supplier.company_name if top is not None else "",
        group_count=len(groups),
        made_to_sample_count=to_sample,
        conclusions=tuple(conclusions),
    )


def _top_factory(
    ranked: Sequence[RankedOffer], factories: Sequence[RankedOffer], answer: Answer
) -> RankedOffer | None:
    for r in ranked:
        if r.offer.offer_id == answer.source_offer_id and r.kind.kind in MAKERS:
            return r
    makers = factories or [r for r in ranked if r.kind.kind is SupplierKind.MANUFACTURER]
    return makers[0] if makers else None


def _empty(locale: Locale, reports: Sequence[FilterReport]) -> str:
    removed = sum(r.removed for r in reports)
    if removed == 0:
        return wording.say(locale, "an.nothing")
    worst = max(reports, key=lambda r: r.removed)  # first of equals: the fixed filter order
    return wording.say(
        locale,
        "an.all_filtered",
        total=removed,
        filter=wording.say(locale, f"fi.{worst.filter}"),
        removed=worst.removed,
    )
