"""The whole ranking pipeline: validate, infer, filter, answer, score, sort, group, analyse.

Deterministic and independent of input order: every step either works per
offer or on order-free aggregates (sums, medians, connected components), and the
sort has a full tie-break ending on the offer id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from services.ranking import wording
from services.ranking.analysis import analyse
from services.ranking.answer import build_answer
from services.ranking.customization import infer_customization
from services.ranking.domain import (
    KIND_ORDER,
    Answer,
    Assessed,
    Filters,
    ImagePair,
    Offer,
    RankedOffer,
    RankingResult,
    Score,
)
from services.ranking.filters import apply_filters, validate
from services.ranking.grouping import GroupingRules, group_offers
from services.ranking.match_set import MatchRules, find_match_set
from services.ranking.regions import resolve_regions
from services.ranking.scoring import compared_price, price_averages, profile_named, score_all
from services.ranking.supplier_kind import infer_kind

_UNKNOWN_MIN_ORDER = 1 << 62
_ZERO = Decimal(0)


def rank(
    offers: Sequence[Offer],
    filters: Filters,
    profile: str = "",
    locale: str = "",
    rules: GroupingRules | None = None,
    pairs: Sequence[ImagePair] = (),
    match_rules: MatchRules | None = None,
) -> RankingResult:
    """Rank ``offers`` (unique offer ids) for a buyer and answer who makes the pictured
    product; ``pairs`` are the near-duplicate images preprocess found among the offers.

    Raises ``InvalidRequest`` for an unknown profile, locale or region and for
    impossible filter values, and ``ValueError`` for duplicate offer ids.
    """
    chosen = profile_named(profile)
    language = wording.parse_locale(locale)
    validate(filters)
    regions = resolve_regions(filters.regions)
    _check_unique(offers)

    def assess(offer: Offer) -> Assessed:
        return Assessed(offer, infer_kind(offer, language), infer_customization(offer, language))

    kept, reports = apply_filters(offers, filters, regions, assess)
    region = wording.region_names(language, filters.regions)
    quantity = filters.purchase_quantity
    prices = [compared_price(a.offer, quantity) for a in kept]
    averages = price_averages(
        (a.offer.category_id, p.unit_price) for a, p in zip(kept, prices, strict=True)
    )
    match_rules = match_rules or MatchRules()
    match = find_match_set(kept, pairs, match_rules, language)
    unit_prices = {a.offer.offer_id: p.unit_price for a, p in zip(kept, prices, strict=True)}
    answer = build_answer(match, kept, unit_prices, match_rules, language, region)
    roles = {m.offer_id: m.role.name.lower() for m in answer.match_set}
    scores = score_all(kept, prices, averages, quantity, chosen, language, roles, region)
    order = _answer_first(answer) if chosen.answer_first else _order
    scored = sorted(zip(kept, scores, strict=True), key=order)
    rules = rules or GroupingRules()
    groups, memberships = group_offers(scored, rules, language, pairs, roles)
    ranked = [
        RankedOffer(
            a.offer,
            a.kind,
            a.customization,
            s,
            i + 1,
            *memberships.get(i, _ALONE),
            region_unknown=a.region_unknown,
        )
        for i, (a, s) in enumerate(scored)
    ]
    return RankingResult(
        offers=tuple(ranked),
        groups=groups,
        analysis=analyse(ranked, groups, reports, language, answer, region),
        filter_reports=reports,
        profile=chosen.name,
        answer=answer,
    )


_ALONE = ("", False, False, _ZERO)


def _check_unique(offers: Sequence[Offer]) -> None:
    seen: set[str] = set()
    for offer in offers:
        if offer.offer_id in seen:
            raise ValueError(f"duplicate offer id {offer.offer_id}")
        seen.add(offer.offer_id)


def _answer_first(answer: Answer) -> Callable[[tuple[Assessed, Score]], tuple[object, ...]]:
    """The default profile's order: the answer's match set first, in the answer's order; then
    the other candidates, those known to be in the buyer's region before those whose region
    1688 did not say, the most similar to the photo first (those whose image was not
    compared after them, in 1688's order); then by points."""
    place = {m.offer_id: i for i, m in enumerate(answer.match_set)}
    last = len(place)

    def key(item: tuple[Assessed, Score]) -> tuple[object, ...]:
        offer = item[0].offer
        if offer.offer_id in place:
            return (place[offer.offer_id],)
        similarity = -offer.similarity if offer.compared else 0.0
        upstream = offer.upstream_rank if offer.upstream_rank > 0 else _UNKNOWN_RANK
        unknown = item[0].region_unknown
        return (last, unknown, not offer.compared, similarity, upstream, *_by_points(item))

    return key


_UNKNOWN_RANK = 1 << 30


def _order(
    item: tuple[Assessed, Score],
) -> tuple[bool, Decimal, int, float, bool, Decimal, int, str]:
    """The points profiles' order: the offers known to be in the buyer's region before those
    whose region 1688 did not say, then by points."""
    return (item[0].region_unknown, *_by_points(item))


def _by_points(
    item: tuple[Assessed, Score],
) -> tuple[Decimal, int, float, bool, Decimal, int, str]:
    """By points, then factories first, the more similar, the cheaper, the lower minimum
    order and the offer id: the full tie-break of both orders."""
    assessed, breakdown = item
    offer = assessed.offer
    price = breakdown.compared_unit_price
    return (
        -breakdown.total,
        KIND_ORDER[assessed.kind.kind],
        -offer.similarity,
        price is None,
        price if price is not None else _ZERO,
        offer.effective_min_order or _UNKNOWN_MIN_ORDER,
        offer.offer_id,
    )
