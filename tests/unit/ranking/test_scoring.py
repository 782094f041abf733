"""Every score component and its boundaries, on concrete offers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.ranking.customization import infer_customization
from services.ranking.domain import Assessed, Locale, Offer, Score
from services.ranking.errors import InvalidRequest
from services.ranking.scoring import (
    LADDER,
    LISTED,
    ComparedPrice,
    compared_price,
    price_averages,
    profile_named,
    score,
)
from services.ranking.supplier_kind import infer_kind
from tests.unit.ranking.offers import BRAND, FACTORY, MANUFACTURER, TRADER, detail, offer, tier

D = Decimal


def assess(item: Offer, locale: Locale = "en") -> Assessed:
    return Assessed(item, infer_kind(item, locale), infer_customization(item, locale))


def scored(item: Offer, profile: str = "", quantity: int = 0, locale: Locale = "en") -> Score:
    price = compared_price(item, quantity)
    averages = price_averages([(item.category_id, price.unit_price)])
    return score(assess(item, locale), price, averages, quantity, profile_named(profile), locale)


def points(breakdown: Score, name: str) -> Decimal:
    return next(c.points for c in breakdown.components if c.name == name)


def reason(breakdown: Score, name: str) -> str:
    return next(c.reason for c in breakdown.components if c.name == name)


@pytest.mark.parametrize(
    ("company", "certificates", "expected"),
    [
        (FACTORY, (), 40),
        (FACTORY, ("certified_factory",), 45),
        (FACTORY, ("ISO9001",), 45),
        (MANUFACTURER, ("ISO9001",), 30),  # the +5 is for source factories only
        (MANUFACTURER, (), 30),
        (BRAND, (), 20),
        (TRADER, (), 10),
        ("张三", (), 10),
    ],
)
def test_supplier_kind_points(company: str, certificates: tuple[str, ...], expected: int) -> None:
    breakdown = scored(offer(company=company, certifications=certificates, title="短袖"))
    assert points(breakdown, "supplier_kind") == expected


def test_supplier_kind_reason_names_the_bonus() -> None:
    breakdown = scored(offer(company=FACTORY, certifications=("certified_factory",)))
    assert reason(breakdown, "supplier_kind") == "source factory with a factory certification (+5)"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("纯棉T恤", 0),
        ("纯棉T恤 支持定制", 10),  # custom minimum unknown: no 7
        ("纯棉T恤 来样加工", 18),
        ("纯棉T恤 定制499件起", 17),
        ("纯棉T恤 定制500件起", 10),
        ("纯棉T恤 来样定制 499件起做", 25),
        ("纯棉T恤 来样定制 500件起做", 18),
    ],
)
def test_customization_points_and_the_499_500_boundary(title: str, expected: int) -> None:
    assert points(scored(offer(title=title)), "customization") == expected


def test_customization_reason_lists_each_part() -> None:
    breakdown = scored(offer(title="来样定制 300件起做"))
    assert reason(breakdown, "customization") == (
        "custom orders 10 + made to sample 8 + custom minimum 300 < 500: 7"
    )


@pytest.mark.parametrize(
    ("price", "expected"),
    [("89.9", 20), ("90", 15), ("94.9", 15), ("95", 10), ("100", 10), ("100.1", 0), ("150", 0)],
)
def test_price_points_at_the_boundaries_of_the_average(price: str, expected: int) -> None:
    # Two offers whose prices average exactly 100.
    other = str(200 - D(price))
    averages = price_averages([("c1", D(price)), ("c1", D(other))])
    item = offer(price=price)
    breakdown = score(
        assess(item), ComparedPrice(LISTED, D(price)), averages, 0, profile_named(""), "en"
    )
    assert points(breakdown, "price_advantage") == expected
    assert breakdown.average_unit_price == D(100)
    assert breakdown.price_ratio == D(price) / 100


def test_price_reason_shows_the_basis_the_price_and_the_average() -> None:
    averages = price_averages([("c1", D("89.9")), ("c1", D("110.1"))])
    item = offer(price="89.9")
    breakdown = score(
        assess(item), ComparedPrice(LADDER, D("89.9")), averages, 100, profile_named(""), "en"
    )
    assert reason(breakdown, "price_advantage") == (
        "ladder price at 100 pcs ¥89.90 is 89.9 % of the average ¥100.00 (under 90 %)"
    )


def test_no_price_earns_no_price_points() -> None:
    breakdown = scored(offer(price=None))
    assert points(breakdown, "price_advantage") == 0
    assert breakdown.price_ratio is None and breakdown.average_unit_price is None
    assert reason(breakdown, "price_advantage") == "no price to compare"


@pytest.mark.parametrize(
    ("min_order", "expected"),
    [(1, 15), (50, 15), (51, 12), (100, 12), (101, 8), (500, 8), (501, 5), (0, 5)],
)
def test_min_order_points(min_order: int, expected: int) -> None:
    assert points(scored(offer(min_order=min_order)), "min_order_fit") == expected


def test_the_details_min_order_wins_over_the_listed_one() -> None:
    item = offer(min_order=2, details=detail(min_order=300))
    assert points(scored(item), "min_order_fit") == 8


LADDER_TIERS = (tier(1, "20.00", 49), tier(50, "18.00", 199), tier(200, "16.00"))


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, "20.00"), (49, "20.00"), (50, "18.00"), (199, "18.00"), (200, "16.00"), (5000, "16.00")],
)
def test_ladder_price_at_tier_edges(quantity: int, expected: str) -> None:
    item = offer(price="20", details=detail(ladder=LADDER_TIERS))
    assert compared_price(item, quantity) == ComparedPrice(LADDER, D(expected))


def test_without_a_quantity_or_a_ladder_the_listed_price_is_compared() -> None:
    enriched = offer(price="20", details=detail(ladder=LADDER_TIERS))
    plain = offer(price="19.50")
    assert compared_price(enriched, 0) == ComparedPrice(LISTED, D("20"))
    assert compared_price(plain, 100) == ComparedPrice(LISTED, D("19.50"))


def test_the_details_ladder_wins_over_the_search_results_ladder() -> None:
    item = offer(ladder=(tier(1, "30"),), details=detail(ladder=(tier(1, "25"),)))
    assert compared_price(item, 10).unit_price == D(25)
    assert compared_price(offer(ladder=(tier(1, "30"),)), 10).unit_price == D(30)


def test_averages_are_per_category_when_two_offers_share_it() -> None:
    averages = price_averages(
        [("shirts", D(10)), ("shirts", D(20)), ("printers", D(3000)), ("", D(5)), ("x", None)]
    )
    shirts, printers = averages.for_category("shirts"), averages.for_category("printers")
    assert shirts is not None and shirts.average == D(15)
    # A category priced once is compared with every priced offer.
    assert printers is not None and printers.average == D(3035) / 4
    assert averages.for_category("") == printers


def test_similarity_breaks_ties_only_in_the_default_profile() -> None:
    breakdown = scored(offer(similarity=87.5))
    assert points(breakdown, "similarity") == 0
    assert reason(breakdown, "similarity") == "similarity 87.5 % (breaks ties only)"


def test_similarity_profile_weighs_similarity_in() -> None:
    breakdown = scored(offer(similarity=87.5), profile="similarity")
    component = next(c for c in breakdown.components if c.name == "similarity")
    assert (component.points, component.max_points) == (D("52.50"), D(60))
    assert breakdown.profile == "similarity"


def test_price_profile_doubles_the_price_component() -> None:
    breakdown = scored(offer(), profile="price")
    component = next(c for c in breakdown.components if c.name == "price_advantage")
    assert (component.points, component.max_points) == (D(20), D(40))


def test_total_is_the_sum_of_the_components_in_a_fixed_order() -> None:
    breakdown = scored(offer(company=FACTORY, title="来样加工", similarity=91.3), "similarity")
    names = [c.name for c in breakdown.components]
    assert names == [
        "supplier_kind",
        "customization",
        "price_advantage",
        "min_order_fit",
        "similarity",
        "upstream_rank",
        "match_set",
    ]
    assert breakdown.total == sum(c.points for c in breakdown.components)
    assert breakdown.total == D(40) + D(18) + D(10) + D(15) + D("54.78")


@pytest.mark.parametrize("name", ["", "default", " default "])
def test_default_profile_names(name: str) -> None:
    assert profile_named(name).name == "default"


def test_unknown_profile_is_a_bad_request_naming_the_known_ones() -> None:
    with pytest.raises(InvalidRequest) as caught:
        profile_named("cheapest")
    assert caught.value.field_name == "profile"
    assert caught.value.reason == "INVALID_REQUEST"
    assert "default, seed, similarity, price" in caught.value.message


def test_reasons_in_chinese() -> None:
    breakdown = scored(offer(company=FACTORY, min_order=50), locale="zh")
    assert reason(breakdown, "supplier_kind") == "源头工厂"
    assert reason(breakdown, "min_order_fit") == "起订量 50（≤ 50）"
