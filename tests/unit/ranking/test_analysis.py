"""The matching analysis and its plain conclusions, in Chinese and English."""

from __future__ import annotations

from services.ranking.domain import Filters
from services.ranking.ranking import rank
from tests.unit.ranking.offers import FACTORY, MANUFACTURER, TRADER, offer


def test_the_answer_leads_the_conclusions() -> None:
    offers = [
        offer("1", company=FACTORY, title="来样加工纯棉T恤", similarity=82),
        offer("2", company=TRADER, similarity=90),
        offer("3", company="东莞永利服装厂", title="T恤", similarity=40),
        offer("4", company=TRADER, title="不锈钢合页", similarity=30, compared=True),
    ]
    result = rank(offers, Filters(), locale="en")
    analysis = result.analysis
    assert analysis.source_factory_count == 2
    assert analysis.average_similarity == 60.5
    assert (analysis.top_factory_offer_id, analysis.top_factory_name) == ("1", FACTORY)
    assert analysis.made_to_sample_count == 1
    assert analysis.group_count == 0
    assert analysis.conclusions == (
        result.answer.summary,
        "Suppliers that make to sample: 1",
    )
    assert result.answer.summary.startswith(f"The pictured product is made by {FACTORY}")


def test_images_not_compared_are_counted_in_chinese() -> None:
    offers = [
        offer("1", company=FACTORY, similarity=88, phash=7),
        offer("2", company=TRADER, similarity=0, phash=7),
        offer("3", company=TRADER, title="陶瓷马克杯", similarity=30),
    ]
    analysis = rank(offers, Filters(), locale="zh").analysis
    assert analysis.conclusions[1:] == (
        "3个商品中有1个主图未能比对：它们按1688的排序和标题判断",
        "1款商品有多家在售，已标出源头和转售商",
    )
    assert analysis.average_similarity == 59.0


def test_an_unknown_company_name_is_said_plainly() -> None:
    offers = [
        offer("1", similarity=90, identities=("super_factory",), seller="3f9a77b0"),
        offer("2", title="陶瓷马克杯", similarity=30),
    ]
    result = rank(offers, Filters(), locale="en")
    assert result.analysis.top_factory_offer_id == "1"
    assert result.analysis.top_factory_name == ""
    assert "seller 3f9a77… (company name not provided)" in result.analysis.conclusions[0]


def test_not_found_says_so_instead_of_naming_a_factory() -> None:
    offers = [
        offer("1", company=FACTORY, similarity=31),
        offer("2", company=MANUFACTURER, similarity=35.0),
    ]
    analysis = rank(offers, Filters(), locale="en").analysis
    assert analysis.conclusions[0].startswith(
        "No offer clearly shows the product in the photo (best similarity 35.0 %)"
    )
    assert FACTORY not in analysis.conclusions[0]


def test_everything_filtered_names_the_filter_that_removed_most() -> None:
    offers = [offer("1", min_order=1000), offer("2", min_order=2000), offer("3", similarity=5)]
    analysis = rank(offers, Filters(purchase_quantity=100, min_similarity=10), locale="en").analysis
    assert analysis.average_similarity == 0.0
    assert analysis.conclusions == (
        "All 3 offers were filtered out, most by the minimum-order limit (2): loosen it",
    )


def test_no_offers_at_all() -> None:
    analysis = rank([], Filters(), locale="zh").analysis
    assert analysis.conclusions == ("没有可推荐的商品：建议换一张更清晰的照片",)


def test_a_source_not_first_under_another_profile_is_pointed_out() -> None:
    offers = [
        offer("1", company=FACTORY, title="来样加工合页", similarity=31),  # another product
        offer("2", company=MANUFACTURER, similarity=92, title="纯棉T恤"),
        offer("3", company=TRADER, similarity=88),
    ]
    default = rank(offers, Filters(), locale="en")
    assert [r.offer.offer_id for r in default.offers] == ["2", "3", "1"]
    assert not any("under this profile" in c for c in default.analysis.conclusions)
    seed = rank(offers, Filters(), profile="seed", locale="en")
    assert [r.offer.offer_id for r in seed.offers] == ["1", "2", "3"]
    assert seed.analysis.conclusions[-1] == (
        f"The pictured product's source, {MANUFACTURER}, is ranked 2 under this profile: the "
        "default profile puts it first"
    )
