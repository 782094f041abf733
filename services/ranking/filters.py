"""The buyer's filters, applied after inference (1688 filters neither place nor supplier kind).

Filters run in a fixed order and an offer is counted against the first one
that removes it, so the per-filter counts add up to the offers removed.
A value the offer does not publish (no minimum order, no price, a similarity not
measured because its image could not be compared, a supplier whose place 1688 did not
say) never removes it: missing data is not evidence against a supplier. An offer kept
by the region filter without being checked is marked ``region_unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from services.ranking.domain import Assessed, FilterReport, Filters, Offer
from services.ranking.errors import InvalidRequest
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

    Filters on published fields run first, then inference, then the filters on what was
    inferred. Each filter the buyer set passes over the survivors of the ones before it,
    in FILTER_NAMES order, so an offer is counted against the first filter that removes it.
    Each report also counts the offers its filter kept unchecked (the value not published:
    for "regions" the ``region_unknown`` ones), among the offers that filter saw.
    """
    removed = dict.fromkeys(FILTER_NAMES, 0)
    unchecked = dict.fromkeys(FILTER_NAMES, 0)
    published = list(offers)
    if filters.min_similarity > 0:
        floor = filters.min_similarity
        unchecked["min_similarity"] = sum(1 for o in published if not o.compared)
        published = _count(
            removed,
            "min_similarity",
            published,
            [o for o in published if not o.compared or o.similarity >= floor],
        )
    limit = filters.max_min_order or filters.purchase_quantity
    if limit > 0:
        unchecked["max_min_order"] = sum(1 for o in published if o.effective_min_order <= 0)
        published = _count(
            removed,
            "max_min_order",
            published,
            [o for o in published if o.effective_min_order <= limit],
        )
    low, high = filters.price_min, filters.price_max
    if low is not None or high is not None:
        unchecked["price"] = sum(1 for o in published if o.price is None)
        published = _count(
            removed,
            "price",
            published,
            [
                o
                for o in published
                if (price := o.price) is None
                or ((low is None or price >= low) and (high is None or price <= high))
            ],
        )
    unknown: set[str] = set()
    if regions is not None:
        inside = {o.offer_id: regions.check(o.supplier) for o in published}
        unknown = {offer_id for offer_id, found in inside.items() if found is None}
        unchecked["regions"] = len(unknown)
        published = _count(
            removed, "regions", published, [o for o in published if inside[o.offer_id] is not False]
        )
    kept = [
        replace(assess(o), region_unknown=True) if o.offer_id in unknown else assess(o)
        for o in published
    ]
    if filters.supplier_kinds:
        kinds = filters.supplier_kinds
        kept = _count(removed, "supplier_kinds", kept, [a for a in kept if a.kind.kind in kinds])
    if filters.made_to_sample_only:
        kept = _count(
            removed,
            "made_to_sample_only",
            kept,
            [a for a in kept if a.customization.made_to_sample],
        )
    return kept, tuple(FilterReport(name, removed[name], unchecked[name]) for name in FILTER_NAMES)


_T = TypeVar("_T")


def _count(removed: dict[str, int], name: str, before: list[_T], after: list[_T]) -> list[_T]:
    """``after``, the survivors of ``before``, with the offers ``name`` removed counted."""
    removed[name] += len(before) - len(after)
    return after
