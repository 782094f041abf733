"""The buyer's filters, applied after inference (1688 filters neither place nor supplier kind).

Filters run in a fixed order and an offer is counted against the first one
that removes it, so the per-filter counts add up to the offers removed.
A value the offer does not publish (no minimum order, no price) never
removes it: missing data is not evidence against a supplier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.ranking.domain import Assessed, FilterReport, Filters, InvalidRequest, Offer
from services.ranking.regions import RegionFilter

FILTER_NAMES = (
    "min_similarity",
    "max_min_order",
    "price",
    "regions",
    "supplier_kinds",
    "made_to_sample_only",
)


def validate(filters: Filters) -> None:
    """Reject values no offer could be filtered by."""
    if filters.purchase_quantity < 0:
        raise InvalidRequest(
            "filters.purchase_quantity",
            "purchase quantity must be 0 (unknown) or positive",
            reason="INVALID_QUANTITY",
        )
    if filters.max_min_order < 0:
        raise InvalidRequest("filters.max_min_order", "must be 0 (no limit) or positive")
    if not 0 <= filters.min_similarity <= 100:
        raise InvalidRequest("filters.min_similarity", "must be between 0 and 100")
    low, high = filters.price_min, filters.price_max
    if (low is not None and low < 0) or (high is not None and high < 0):
        raise InvalidRequest("filters.price_min", "prices must not be negative")
    if low is not None and high is not None and low > high:
        raise InvalidRequest("filters.price_max", "price_max is below price_min")


def apply_filters(
    offers: Sequence[Offer],
    filters: Filters,
    regions: RegionFilter | None,
    assess: Callable[[Offer], Assessed],
) -> tuple[list[Assessed], tuple[FilterReport, ...]]:
    """The surviving offers, assessed (input order kept), and how many each filter removed.

    Filters on published fields run first, so only their survivors pay for inference.
    """
    removed = dict.fromkeys(FILTER_NAMES, 0)
    published = _published_checks(filters, regions)
    assessed: list[Assessed] = []
    for offer in offers:
        for name, check in published:
            if not check(offer):
                removed[name] += 1
                break
        else:
            assessed.append(assess(offer))
    kept: list[Assessed] = []
    inferred = _inferred_checks(filters)
    for item in assessed:
        for name, inferred_check in inferred:
            if not inferred_check(item):
                removed[name] += 1
                break
        else:
            kept.append(item)
    return kept, tuple(FilterReport(name, removed[name]) for name in FILTER_NAMES)


def _published_checks(
    filters: Filters, regions: RegionFilter | None
) -> list[tuple[str, Callable[[Offer], bool]]]:
    """The filters on published fields the buyer set, in FILTER_NAMES order."""
    checks: list[tuple[str, Callable[[Offer], bool]]] = []
    if filters.min_similarity > 0:
        floor = filters.min_similarity
        checks.append(("min_similarity", lambda o: o.similarity >= floor))
    limit = filters.max_min_order or filters.purchase_quantity
    if limit > 0:
        checks.append(("max_min_order", lambda o: o.effective_min_order <= limit))
    if filters.price_min is not None or filters.price_max is not None:
        low, high = filters.price_min, filters.price_max

        def in_range(offer: Offer) -> bool:
            price = offer.price
            if price is None:
                return True
            return (low is None or price >= low) and (high is None or price <= high)

        checks.append(("price", in_range))
    if regions is not None:
        checks.append(("regions", lambda o: regions.matches(o.supplier)))
    return checks


def _inferred_checks(filters: Filters) -> list[tuple[str, Callable[[Assessed], bool]]]:
    """The filters on inferred values the buyer set, in FILTER_NAMES order."""
    checks: list[tuple[str, Callable[[Assessed], bool]]] = []
    if filters.supplier_kinds:
        kinds = filters.supplier_kinds
        checks.append(("supplier_kinds", lambda a: a.kind.kind in kinds))
    if filters.made_to_sample_only:
        checks.append(("made_to_sample_only", lambda a: a.customization.made_to_sample))
    return checks
