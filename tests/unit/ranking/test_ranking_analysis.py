"""The matching analysis and its plain conclusions, in Chinese and English."""

from __future__ import annotations

from services.ranking.domain import Filters
from services.ranking.ranking import rank
from tests.unit.ranking.offers import FACTORY, MANUFACTURER, TRADER, offer


def test_factory_found_contact_it_first() -> None:
    offers = [
        offer("1", company=FACTORY, title="来样加工纯棉T恤", similarity=82),
        offer("2", company=TRADER, similarity=90),
        offer("3", company="东莞永利服装厂", title="T恤", similarity=70),
    ]
    result = rank(offers, Filters(), locale="en")
    analysis = result.analysis
    assert analysis.source_factory_count == 2
    assert analysis.average_similarity == 80.7
    assert (analysis.top_factory_offer_id, analysis.top_factory_name) == ("1", FACTORY)
    assert analysis.made_to_sample_count == 1
    assert analysis.group_count == 0
    assert analysis.conclusions == (
        f"Source factories found: 2. Contact {FACTORY} first (score 83)",
        "Suppliers that make to sample: 1",
    )


def test_conclusions_in_chinese_with_low_similarity_and_groups() -> None:
    offers = [
        offer("1", company=FACTORY, similarity=55, phash=7),
        offer("2", company=TRADER, similarity=50, phash=7),
    ]
    analysis = rank(offers, Filters(), locale="zh").analysis
    assert analysis.conclusions == (
        f"找到1家源头工厂，优先联系{FACTORY}（综合得分65）",
        "整体相似度偏低（平均52.5%）：建议补一张细节图（面料、做工特写）",
        "1款商品有多家在售，已标出源头和转售商",
    )


def test_no_factory_but_a_manufacturer() -> None:
    analysis = rank(
        [offer("1", company=MANUFACTURER), offer("2", company=TRADER)], Filters(), locale="en"
    ).analysis
    assert analysis.source_factory_count == 0
    assert analysis.top_factory_name == MANUFACTURER
    assert analysis.conclusions[0].startswith(
        f"No source factory found; contact the manufacturer {MANUFACTURER}"
    )


def test_no_factory_at_all_says_widen_the_region_or_drop_a_filter() -> None:
    analysis = rank([offer("1", company=TRADER)], Filters(), locale="en").analysis
    assert analysis.top_factory_offer_id == ""
    assert analysis.conclusions == ("No factory found: widen the region or drop a filter",)


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


def test_a_best_match_outranked_by_weak_matches_is_pointed_out() -> None:
    offers = [
        offer("1", company=FACTORY, similarity=31),  # another product, but a factory
        offer("2", company=MANUFACTURER, similarity=92, title="纯棉T恤"),
        offer("3", company=TRADER, similarity=80),
    ]
    result = rank(offers, Filters(), locale="en")
    assert [r.offer.offer_id for r in result.offers] == ["1", "2", "3"]
    assert result.analysis.conclusions[-1] == (
        f"The best match for the photo is {MANUFACTURER} (similarity 92 %), ranked 2: offers "
        "below 70 % similarity rank above it on supplier points; the similarity profile or a "
        "similarity floor puts matches first"
    )
    matches_first = rank(offers, Filters(), profile="similarity", locale="en")
    assert not any("best match" in c for c in matches_first.analysis.conclusions)
