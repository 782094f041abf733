"""The matching analysis: what the ranked result means for the buyer, in plain words.

Conclusions, in this order: whom to contact first (the best-ranked source
factory, else manufacturer, else advice to widen the search), a low average
similarity (→ add a detail photo), how many make to sample, how many
products several sellers offer, and, when offers that barely match the photo
outrank the best match on supplier points alone (the seed's weights ignore
similarity), where that best match is and how to put matches first. When filters removed everything, the one
that removed most is named so the buyer knows what to loosen.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.ranking import wording
from services.ranking.domain import (
    FilterReport,
    Locale,
    MatchAnalysis,
    OfferGroup,
    RankedOffer,
    SupplierKind,
)

LOW_SIMILARITY = 60.0
_SOURCE_FACTORY = SupplierKind.SOURCE_FACTORY  # enum member lookups are slow in loops
_MANUFACTURER = SupplierKind.MANUFACTURER


def analyse(
    ranked: Sequence[RankedOffer],
    groups: Sequence[OfferGroup],
    reports: Sequence[FilterReport],
    locale: Locale,
    match_similarity: float = 70.0,
) -> MatchAnalysis:
    factories = [r for r in ranked if r.kind.kind is _SOURCE_FACTORY]
    makers = factories or [r for r in ranked if r.kind.kind is _MANUFACTURER]
    top = makers[0] if makers else None
    average = round(sum(r.offer.similarity for r in ranked) / len(ranked), 1) if ranked else 0.0
    to_sample = sum(1 for r in ranked if r.customization.made_to_sample)
    conclusions = (
        _conclusions(locale, len(factories), top, average, to_sample, len(groups))
        if ranked
        else [_empty(locale, reports)]
    )
    outranked = _outranked_match(ranked, match_similarity)
    if outranked is not None:
        conclusions.append(
            wording.say(
                locale,
                "an.outranked",
                name=_name(outranked),
                similarity=round(outranked.offer.similarity, 1),
                rank=outranked.rank,
                floor=round(match_similarity),
            )
        )
    return MatchAnalysis(
        source_factory_count=len(factories),
        average_similarity=average,
        top_factory_offer_id=top.offer.offer_id if top is not None else "",
        top_factory_name=top.offer.supplier.company_name if top is not None else "",
        group_count=len(groups),
        made_to_sample_count=to_sample,
        conclusions=tuple(conclusions),
    )


def _outranked_match(ranked: Sequence[RankedOffer], match_similarity: float) -> RankedOffer | None:
    """The best match for the photo when weak matches rank above it on the default weights."""
    if not ranked:
        return None
    best = max(ranked, key=lambda r: (r.offer.similarity, -r.rank))
    if best.offer.similarity < match_similarity:
        return None
    above = ranked[: best.rank - 1]
    return best if any(r.offer.similarity < match_similarity for r in above) else None


def _name(offer: RankedOffer) -> str:
    return offer.offer.supplier.company_name or offer.offer.offer_id


def _conclusions(
    locale: Locale,
    factory_count: int,
    top: RankedOffer | None,
    average: float,
    to_sample: int,
    group_count: int,
) -> list[str]:
    if top is None:
        lines = [wording.say(locale, "an.no_factory")]
    else:
        key = "an.contact" if factory_count else "an.manufacturer"
        total = wording.points(top.score.total)
        lines = [wording.say(locale, key, count=factory_count, name=_name(top), total=total)]
    if average < LOW_SIMILARITY:
        lines.append(wording.say(locale, "an.low_similarity", average=average))
    if to_sample:
        lines.append(wording.say(locale, "an.to_sample", count=to_sample))
    if group_count:
        lines.append(wording.say(locale, "an.groups", count=group_count))
    return lines


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
