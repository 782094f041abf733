"""The whole ranking pipeline: validate, infer, filter, score, sort, group, analyse.

Deterministic and independent of input order: every step either works per
offer or on order-free aggregates (sums, connected components), and the sort
has a full tie-break ending on the offer id. The average price is computed
once per result, not once per offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from services.ranking import wording
from services.ranking.analysis import analyse
from services.ranking.customization import infer_customization
from services.ranking.domain import (
    Assessed,
    Filters,
    Offer,
    RankedOffer,
    RankingResult,
    Score,
    SupplierKind,
)
from services.ranking.filters import apply_filters, validate
from services.ranking.grouping import GroupingRules, group_offers
from services.ranking.regions import resolve_regions
from services.ranking.scoring import compared_price, price_averages, profile_named, score_all
from services.ranking.supplier_kind import infer_kind

# Equal totals: factories before traders, so an offer never ranks below an
# otherwise identical one from a trading company.
_KIND_ORDER = {
    SupplierKind.SOURCE_FACTORY: 0,
    SupplierKind.MANUFACTURER: 1,
    SupplierKind.BRAND: 2,
    SupplierKind.UNKNOWN: 3,
    SupplierKind.TRADING_COMPANY: 4,
}
_UNKNOWN_MIN_ORDER = 1 << 62
_ZERO = Decimal(0)


def rank(
    offers: Sequence[Offer],
    filters: Filters,
    profile: str = "",
    locale: str = "",
    rules: GroupingRules | None = None,
) -> RankingResult:
    """Rank ``offers`` (unique offer ids) for a buyer.

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
    quantity = filters.purchase_quantity
    prices = [compared_price(a.offer, quantity) for a in kept]
    # Two list comprehensions zipped: a generator expression cost a resumption per offer.
    categories = [a.offer.category_id for a in kept]
    averages = price_averages(zip(categories, [p.unit_price for p in prices], strict=True))
    scores = score_all(kept, prices, averages, quantity, chosen, language)
    scored = sorted(zip(kept, scores, strict=True), key=_order)
    rules = rules or GroupingRules()
    groups, roles = group_offers(scored, rules, language)
    ranked: list[RankedOffer] = []
    for i, (a, s) in enumerate(scored):
        role = roles.get(i)
        if role is None:
            ranked.append(RankedOffer(a.offer, a.kind, a.customization, s, i + 1))
        else:
            ranked.append(RankedOffer(a.offer, a.kind, a.customization, s, i + 1, *role))
    return RankingResult(
        offers=tuple(ranked),
        groups=groups,
        analysis=analyse(ranked, groups, reports, language, rules.match_similarity),
        filter_reports=reports,
        profile=chosen.name,
    )


def _check_unique(offers: Sequence[Offer]) -> None:
    # A set built in one comprehension first (1,000 offers: 0.11 -> 0.03 ms); the loop
    # below only runs to name the first duplicate.
    if len({offer.offer_id for offer in offers}) == len(offers):
        return
    seen: set[str] = set()
    for offer in offers:
        if offer.offer_id in seen:
            raise ValueError(f"duplicate offer id {offer.offer_id}")
        seen.add(offer.offer_id)


def _order(item: tuple[Assessed, Score]) -> tuple[Decimal, int, float, bool, Decimal, int, str]:
    assessed, breakdown = item
    offer = assessed.offer
    price = breakdown.compared_unit_price
    return (
        -breakdown.total,
        _KIND_ORDER[assessed.kind.kind],
        -offer.similarity,
        price is None,
        price if price is not None else _ZERO,
        offer.effective_min_order or _UNKNOWN_MIN_ORDER,
        offer.offer_id,
    )
