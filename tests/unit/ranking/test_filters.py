"""Filters: each one's rule, the order they run in, and how many each removed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.ranking.customization import infer_customization
from services.ranking.domain import (
    Assessed,
    FilterReport,
    Filters,
    Offer,
    SupplierKind,
)
from services.ranking.errors import InvalidRequest
from services.ranking.filters import FILTER_NAMES, apply_filters, validate
from services.ranking.ranking import rank
from services.ranking.regions import resolve_regions
from services.ranking.supplier_kind import infer_kind
from tests.unit.ranking.offers import FACTORY, TRADER, detail, offer

D = Decimal


def assess(item: Offer) -> Assessed:
    return Assessed(item, infer_kind(item, "en"), infer_customization(item, "en"))


def run(offers: list[Offer], filters: Filters) -> tuple[list[str], dict[str, int]]:
    kept, reports = apply_filters(offers, filters, resolve_regions(filters.regions), assess)
    return [a.offer.offer_id for a in kept], {r.filter: r.removed for r in reports}


def test_no_filters_keep_everything_and_report_every_filter_at_zero() -> None:
    kept, reports = apply_filters([offer("1"), offer("2")], Filters(), None, assess)
    assert [a.offer.offer_id for a in kept] == ["1", "2"]
    assert reports == tuple(FilterReport(name, 0) for name in FILTER_NAMES)


def test_min_order_limit_defaults_to_the_purchase_quantity() -> None:
    offers = [offer("1", min_order=100), offer("2", min_order=101), offer("3", min_order=0)]
    kept, removed = run(offers, Filters(purchase_quantity=100))
    assert kept == ["1", "3"]  # an unpublished minimum is not held against the supplier
    assert removed["max_min_order"] == 1


def test_explicit_min_order_limit_wins_and_uses_the_details_minimum() -> None:
    offers = [offer("1", min_order=1, details=detail(min_order=60)), offer("2", min_order=50)]
    kept, removed = run(offers, Filters(purchase_quantity=1000, max_min_order=50))
    assert kept == ["2"]
    assert removed["max_min_order"] == 1


def test_similarity_floor() -> None:
    kept, removed = run(
        [offer("1", similarity=59.9), offer("2", similarity=60)], Filters(min_similarity=60)
    )
    assert kept == ["2"]
    assert removed["min_similarity"] == 1


def test_price_range_on_the_listed_price() -> None:
    offers = [
        offer("1", price="9.99"),
        offer("2", price="10"),
        offer("3", price="20.01"),
        offer("4", price=None),
    ]
    kept, removed = run(offers, Filters(price_min=D(10), price_max=D(20)))
    assert kept == ["2", "4"]
    assert removed["price"] == 2


def test_regions() -> None:
    offers = [offer("1", province="广东", city="广州"), offer("2", province="浙江", city="金华")]
    kept, removed = run(offers, Filters(regions=("广州",)))
    assert kept == ["1"]
    assert removed["regions"] == 1


def test_a_region_1688_did_not_say_keeps_the_offer_marked() -> None:
    offers = [
        offer("in", province="广东", city="东莞"),
        offer("out", province="浙江", city="金华"),
        offer("unknown"),  # a live search row: no province, city or address
        offer("shipped_in", address="广东省广州市"),  # a detail's shipping origin only
        offer("shipped_out", address="浙江省金华市"),
    ]
    filters = Filters(regions=("广东",))
    kept, reports = apply_filters(offers, filters, resolve_regions(filters.regions), assess)
    assert {a.offer.offer_id: a.region_unknown for a in kept} == {
        "in": False,
        "unknown": True,
        "shipped_in": False,
    }
    assert {r.filter: r.removed for r in reports}["regions"] == 2


def test_each_report_counts_the_offers_its_filter_kept_unchecked() -> None:
    offers = [
        offer("in", province="广东", city="东莞"),
        offer("unknown"),  # no province, city or address: 广东 cannot be checked
        offer("unknown_far", price="99"),  # removed by the price first: regions never sees it
        offer("no_price", price=None, province="广东"),
        offer("no_minimum", min_order=0, province="广东"),
        offer("not_compared", similarity=0, compared=False),
        offer("out", province="浙江", city="金华"),
    ]
    filters = Filters(regions=("广东",), price_max=D(50), purchase_quantity=100, min_similarity=50)
    kept, reports = apply_filters(offers, filters, resolve_regions(filters.regions), assess)
    assert {r.filter: (r.removed, r.unchecked) for r in reports} == {
        "min_similarity": (0, 1),
        "max_min_order": (0, 1),
        "price": (1, 1),
        "regions": (1, 2),
        "supplier_kinds": (0, 0),
        "made_to_sample_only": (0, 0),
    }
    assert sorted(a.offer.offer_id for a in kept if a.region_unknown) == ["not_compared", "unknown"]


def test_without_a_region_filter_nothing_is_marked_unknown() -> None:
    kept, _ = apply_filters([offer("1")], Filters(), None, assess)
    assert [a.region_unknown for a in kept] == [False]


def test_supplier_kinds_use_the_inferred_kind() -> None:
    offers = [offer("1", company=FACTORY), offer("2", company=TRADER)]
    kept, removed = run(offers, Filters(supplier_kinds=frozenset({SupplierKind.SOURCE_FACTORY})))
    assert kept == ["1"]
    assert removed["supplier_kinds"] == 1


def test_made_to_sample_only() -> None:
    offers = [offer("1", title="来样加工T恤"), offer("2", title="定制T恤"), offer("3", title="T恤")]
    kept, removed = run(offers, Filters(made_to_sample_only=True))
    assert kept == ["1"]
    assert removed["made_to_sample_only"] == 2


def test_an_offer_counts_against_the_first_filter_that_removes_it() -> None:
    # Fails both the similarity floor and the minimum-order limit: counted once, first filter.
    offers = [offer("1", similarity=10, min_order=999), offer("2", min_order=999), offer("3")]
    kept, removed = run(offers, Filters(min_similarity=50, max_min_order=100))
    assert kept == ["3"]
    assert (removed["min_similarity"], removed["max_min_order"]) == (1, 1)
    assert sum(removed.values()) == 2


@pytest.mark.parametrize(
    ("filters", "field", "reason"),
    [
        (Filters(purchase_quantity=-1), "filters.purchase_quantity", "INVALID_QUANTITY"),
        (Filters(max_min_order=-5), "filters.max_min_order", "INVALID_REQUEST"),
        (Filters(min_similarity=101), "filters.min_similarity", "INVALID_REQUEST"),
        (Filters(min_similarity=-1), "filters.min_similarity", "INVALID_REQUEST"),
        (Filters(price_min=D(-1)), "filters.price_min", "INVALID_REQUEST"),
        (Filters(price_min=D(20), price_max=D(10)), "filters.price_max", "INVALID_REQUEST"),
    ],
)
def test_impossible_values_are_bad_requests(filters: Filters, field: str, reason: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate(filters)
    assert (caught.value.field_name, caught.value.reason) == (field, reason)


def test_a_similarity_floor_keeps_offers_whose_image_was_not_compared() -> None:
    offers = [
        offer("low", similarity=20),
        offer("high", similarity=80),
        offer("unknown", similarity=0, compared=False),
    ]
    result = rank(offers, Filters(min_similarity=50))
    assert {r.offer.offer_id for r in result.offers} == {"high", "unknown"}
    assert {r.filter: r.removed for r in result.filter_reports}["min_similarity"] == 1
