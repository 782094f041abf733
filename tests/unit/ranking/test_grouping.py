"""Same product, several sellers: grouping by image hash or title and price, source and resellers."""

from __future__ import annotations

from decimal import Decimal

from services.ranking.domain import Filters, Offer, RankingResult
from services.ranking.grouping import GroupingRules
from services.ranking.ranking import rank
from tests.unit.ranking.offers import FACTORY, MANUFACTURER, TRADER, offer

D = Decimal
HASH = 0x9F3A_5C71_0E2B_D486
TITLE = "纯棉圆领短袖T恤男夏季宽松打底衫"


def flip(bits: int) -> int:
    """HASH with its lowest ``bits`` bits flipped."""
    return HASH ^ ((1 << bits) - 1)


def factory_and_traders(*, hashes: bool) -> list[Offer]:
    def h(bits: int) -> int | None:
        return flip(bits) if hashes else None

    return [
        offer("100", title=TITLE, price="20.00", company=FACTORY, years=8, phash=h(0)),
        offer("201", title="厂家直销" + TITLE, price="21.00", company=TRADER, phash=h(3)),
        offer(
            "202",
            title=TITLE + " 一件代发",
            price="24.00",
            company="广州市潮流商贸有限公司",
            phash=h(5),
        ),
        offer(
            "203",
            title=TITLE + "批发",
            price="28.00",
            company="深圳市优选电子商务有限公司",
            phash=h(8),
        ),
        offer(
            "300",
            title="不锈钢门铰链合页",
            price="3.50",
            category="hinges",
            company="永康五金制造有限公司",
            phash=~HASH & (2**64 - 1),
        ),
    ]


def by_id(result: RankingResult) -> dict[str, object]:
    return {r.offer.offer_id: r for r in result.offers}


def test_resellers_sharing_the_factorys_photo_are_grouped_under_it() -> None:
    result = rank(factory_and_traders(hashes=True), Filters(), locale="en")
    assert len(result.groups) == 1
    group = result.groups[0]
    assert group.source_offer_id == "100"
    assert group.offer_ids == ("100", "201", "202", "203")
    assert group.basis == "image_hash"
    assert (group.min_markup, group.max_markup) == (D("0.05"), D("0.4"))
    assert (
        group.summary
        == "4 sellers, the source is 广州市白云区永盛服装厂, the others are traders at +5–40 %"
    )
    ranked = {r.offer.offer_id: r for r in result.offers}
    assert ranked["100"].is_group_source and not ranked["100"].is_reseller
    assert [ranked[i].is_reseller for i in ("201", "202", "203")] == [True, True, True]
    assert [ranked[i].markup_over_source for i in ("201", "202", "203")] == [
        D("0.05"),
        D("0.2"),
        D("0.4"),
    ]
    assert ranked["300"].group_id == "" and not ranked["300"].is_reseller
    assert result.offers[0].offer.offer_id == "100"


def test_near_identical_titles_group_when_there_are_no_photo_hashes() -> None:
    result = rank(factory_and_traders(hashes=False), Filters(), locale="en")
    assert len(result.groups) == 1
    assert result.groups[0].offer_ids == ("100", "201", "202", "203")
    assert result.groups[0].basis == "title_and_price"


def test_hash_distance_threshold() -> None:
    # Weak matches for the buyer's photo: only the strict distance counts.
    offers = [
        offer("1", phash=HASH, company=FACTORY, similarity=50),
        offer("2", phash=flip(9), company=TRADER, similarity=50),
    ]
    assert rank(offers, Filters()).groups == ()
    assert len(rank(offers, Filters(), rules=GroupingRules(phash_max_distance=9)).groups) == 1


def test_when_both_photos_are_known_the_image_decides_even_for_identical_titles() -> None:
    offers = [offer("1", title=TITLE, phash=HASH), offer("2", title=TITLE, phash=flip(25))]
    assert rank(offers, Filters()).groups == ()


def test_an_edited_copy_groups_when_both_match_the_buyers_photo_well() -> None:
    def pair(similarity: float, price: str, category: str = "c1") -> list[Offer]:
        return [
            offer("1", similarity=90, price="20", phash=HASH, company=FACTORY),
            offer("2", similarity=similarity, price=price, phash=flip(20), category=category),
        ]

    grouped = rank(pair(70, "28"), Filters()).groups
    assert [(g.offer_ids, g.basis) for g in grouped] == [(("1", "2"), "image_hash")]
    assert rank(pair(69.9, "28"), Filters()).groups == ()  # a weaker match: only similar
    assert rank(pair(85, "33"), Filters()).groups == ()  # 65 % dearer: another product
    assert rank(pair(85, "28", category="c2"), Filters()).groups == ()


def test_one_photo_missing_falls_back_to_the_title() -> None:
    offers = [offer("1", title=TITLE, phash=HASH), offer("2", title=TITLE + "批发", phash=None)]
    groups = rank(offers, Filters()).groups
    assert [(g.offer_ids, g.basis) for g in groups] == [(("1", "2"), "title_and_price")]


def test_titles_alone_do_not_group_other_categories_or_distant_prices() -> None:
    other_category = [offer("1", title=TITLE, category="a"), offer("2", title=TITLE, category="b")]
    far_price = [offer("1", title=TITLE, price="10"), offer("2", title=TITLE, price="16.01")]
    close_price = [offer("1", title=TITLE, price="10"), offer("2", title=TITLE, price="16.00")]
    unknown_category = [offer("1", title=TITLE, category=""), offer("2", title=TITLE, category="b")]
    assert rank(other_category, Filters()).groups == ()
    assert rank(far_price, Filters()).groups == ()
    assert len(rank(close_price, Filters()).groups) == 1
    assert len(rank(unknown_category, Filters()).groups) == 1


def test_different_products_are_not_grouped() -> None:
    offers = [offer("1", title="纯棉圆领短袖T恤男"), offer("2", title="加厚连帽卫衣女秋冬")]
    assert rank(offers, Filters()).groups == ()


def test_without_a_factory_the_cheapest_long_standing_manufacturer_is_the_source() -> None:
    offers = [
        offer("1", phash=HASH, price="18", company="东莞新锐制衣有限公司", years=1),
        offer("2", phash=HASH, price="20", company=MANUFACTURER, years=6),
        offer("3", phash=HASH, price="21", company="佛山华兴制衣有限公司", years=4),
        offer("4", phash=HASH, price="25", company=TRADER),
    ]
    result = rank(offers, Filters(), locale="en")
    group = result.groups[0]
    # "1" is cheaper but only a year on 1688; of the long-standing ones "2" is cheapest.
    assert group.source_offer_id == "2"
    assert group.offer_ids == ("2", "1", "3", "4")
    ranked = {r.offer.offer_id: r for r in result.offers}
    assert ranked["4"].is_reseller and not ranked["1"].is_reseller and not ranked["3"].is_reseller
    assert ranked["1"].markup_over_source == D("-0.1")


def test_a_group_of_traders_names_no_source() -> None:
    offers = [
        offer("1", phash=HASH, company=TRADER),
        offer("2", phash=HASH, company="广州市潮流商贸有限公司"),
    ]
    group = rank(offers, Filters(), locale="en").groups[0]
    assert group.source_offer_id == ""
    assert group.summary == "2 sellers of the same product, none identified as its maker"
    assert all(
        not r.is_reseller and r.markup_over_source == 0 for r in rank(offers, Filters()).offers
    )


def test_a_cheaper_reseller_shows_a_negative_markup() -> None:
    offers = [
        offer("1", phash=HASH, price="20", company=FACTORY),
        offer("2", phash=HASH, price="19", company=TRADER),
    ]
    result = rank(offers, Filters(), locale="en")
    assert result.groups[0].min_markup == D("-0.05")
    assert result.groups[0].summary.endswith("the others are traders at -5 %")


def test_other_makers_in_a_group_are_not_resellers() -> None:
    offers = [
        offer("1", phash=HASH, price="20", company=FACTORY),
        offer("2", phash=HASH, price="22", company=MANUFACTURER),
        offer("3", phash=HASH, price="26", company=TRADER),
    ]
    result = rank(offers, Filters(), locale="zh")
    ranked = {r.offer.offer_id: r for r in result.offers}
    assert not ranked["2"].is_reseller and ranked["2"].markup_over_source == D("0.1")
    assert (
        result.groups[0].summary
        == "3家在售，源头为广州市白云区永盛服装厂，1家贸易商加价+30 %，另有1家生产商"
    )


def test_group_ids_follow_the_best_rank_in_each_group() -> None:
    offers = [
        offer("a1", phash=HASH, company=TRADER, price="30"),
        offer("a2", phash=HASH, company=TRADER, price="31"),
        offer("b1", phash=~HASH & (2**64 - 1), company=FACTORY, price="30"),
        offer("b2", phash=~HASH & (2**64 - 1), company=TRADER, price="33"),
    ]
    result = rank(offers, Filters())
    assert result.offers[0].offer.offer_id == "b1"
    assert [g.offer_ids[0] for g in result.groups] == ["b1", "a1"]
    assert [g.group_id for g in result.groups] == ["g1", "g2"]


def test_a_shared_photo_still_needs_an_agreeing_category_and_a_close_price() -> None:
    def pair(price: str | None, category: str = "c1") -> list[Offer]:
        return [
            offer("1", phash=HASH, price="20", company=FACTORY),
            offer("2", phash=flip(2), price=price, category=category, company=TRADER),
        ]

    assert len(rank(pair("32"), Filters()).groups) == 1
    assert rank(pair("32.01"), Filters()).groups == ()  # a look-alike at 60 % more
    assert rank(pair("25", category="c9"), Filters()).groups == ()
    unpriced = rank(pair(None), Filters(), locale="en").groups
    assert [g.summary for g in unpriced] == [
        "2 sellers, the source is 广州市白云区永盛服装厂, traders: 1 (prices not comparable)"
    ]
