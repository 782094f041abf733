"""The whole pipeline on a product sold by one factory and several traders."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.ranking.domain import Filters, Offer, SupplierKind
from services.ranking.errors import InvalidRequest
from services.ranking.ranking import rank
from tests.unit.ranking.offers import FACTORY, TRADER, detail, offer, tier

TITLE = "纯棉圆领短袖T恤男夏季宽松打底衫"


def marketplace() -> list[Offer]:
    # The traders list the factory's product at +5 to +40 % and rank higher on similarity.
    return [
        offer(
            "9001",
            title=TITLE + " 一件代发",
            similarity=96,
            price="21.00",
            min_order=1,
            company=TRADER,
        ),
        offer(
            "9002",
            title="厂家直销" + TITLE,
            similarity=94,
            price="24.00",
            min_order=2,
            company="广州市潮流商贸有限公司",
            province="广东",
            city="广州",
        ),
        offer(
            "9003",
            title=TITLE + "批发",
            similarity=92,
            price="28.00",
            min_order=5,
            company="深圳市优选电子商务有限公司",
            province="广东",
            city="深圳",
        ),
        offer(
            "1001",
            title=TITLE + " 支持来样加工 定制300件起",
            similarity=88,
            price="20.00",
            min_order=50,
            company=FACTORY,
            province="广东",
            city="广州",
            years=9,
            identities=("super_factory",),
            details=detail(ladder=(tier(50, "20.00", 199), tier(200, "17.50")), biz_type=2),
        ),
    ]


def test_the_factory_ranks_first_and_the_traders_are_grouped_under_it() -> None:
    result = rank(marketplace(), Filters(purchase_quantity=200), locale="en")
    first = result.offers[0]
    assert first.offer.offer_id == "1001"
    assert first.kind.kind is SupplierKind.SOURCE_FACTORY
    assert first.score.price_basis == "ladder_at_quantity"
    assert (
        first.score.compared_unit_price is not None
        and str(first.score.compared_unit_price) == "17.50"
    )
    assert first.score.total == 100  # 40 + 25 + 20 + 15
    assert [r.rank for r in result.offers] == [1, 2, 3, 4]
    assert len(result.groups) == 1
    group = result.groups[0]
    assert group.source_offer_id == "1001"
    assert set(group.offer_ids) == {"1001", "9001", "9002", "9003"}
    assert all(r.is_reseller for r in result.offers[1:])
    assert result.analysis.top_factory_offer_id == "1001"
    assert result.profile == "default"


def test_filters_are_reported_and_applied_before_scoring() -> None:
    filters = Filters(
        purchase_quantity=200,
        regions=("广州",),
        supplier_kinds=frozenset({SupplierKind.TRADING_COMPANY}),
    )
    result = rank(marketplace(), filters, locale="en")
    # 9003 is known to be in 深圳; 1688 did not say where 9001 is: kept, marked.
    kept = {r.offer.offer_id: r.region_unknown for r in result.offers}
    assert kept == {"9001": True, "9002": False}
    removed = {r.filter: r.removed for r in result.filter_reports}
    assert removed == {
        "min_similarity": 0,
        "max_min_order": 0,
        "price": 0,
        "regions": 1,
        "supplier_kinds": 1,
        "made_to_sample_only": 0,
    }


def test_unknown_region_profile_and_locale_are_bad_requests() -> None:
    with pytest.raises(InvalidRequest, match="unknown region"):
        rank(marketplace(), Filters(regions=("亚特兰蒂斯",)))
    with pytest.raises(InvalidRequest, match="unknown profile"):
        rank(marketplace(), Filters(), profile="fastest")
    with pytest.raises(InvalidRequest, match="unknown locale"):
        rank(marketplace(), Filters(), locale="fr")


@pytest.mark.parametrize(
    ("locale", "first"), [("", "源"), ("zh-CN", "源"), ("en_US", "s"), ("EN", "s")]
)
def test_locales(locale: str, first: str) -> None:
    result = rank(marketplace(), Filters(), locale=locale)
    assert result.offers[0].score.components[0].reason[0] == first


def test_duplicate_offer_ids_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="duplicate offer id 1"):
        rank([offer("1"), offer("1")], Filters())


def test_equal_totals_break_on_kind_then_similarity_then_price_then_offer_id() -> None:
    offers = [
        offer("b", company="张三", similarity=80),
        offer("a", company=TRADER, similarity=90),
        offer("c", company="张三", similarity=80),
        offer("d", company="张三", similarity=85),
    ]
    result = rank(offers, Filters(), profile="seed")
    assert len({r.score.total for r in result.offers}) == 1
    assert [r.offer.offer_id for r in result.offers] == ["d", "b", "c", "a"]


def _live_rows_in_guangdong() -> list[Offer]:
    """The marketplace as live rows place it: the factory's row carries no place (1688's
    live image-search rows carry none), two traders are placed, one is not; two offers of
    other products, the closer one not placed."""
    placed = {"9002": "广东省广州市", "9003": "广东省深圳市"}
    offers = [
        replace(
            o,
            supplier=replace(o.supplier, province="", city="", address=placed.get(o.offer_id, "")),
        )
        for o in marketplace()
    ]
    other = "不锈钢保温杯大容量"
    return [
        *offers,
        offer("5001", title=other, similarity=30, company="A", address="广东省佛山市"),
        offer("5002", title=other + "男", similarity=35, company="B"),
        offer("5003", title=other + "女", similarity=32, company="C", address="浙江省宁波市"),
    ]


def test_a_region_1688_did_not_say_is_kept_marked_and_listed_after_the_known_ones() -> None:
    result = rank(_live_rows_in_guangdong(), Filters(regions=("广东",)), locale="en")
    order = [(r.offer.offer_id, r.region_unknown) for r in result.offers]
    # The source stays first whatever its region; among its resellers and among the other
    # candidates, the ones known to be in 广东 come first; 5003 (宁波) is removed.
    assert order == [
        ("1001", True),
        ("9002", False),
        ("9003", False),
        ("9001", True),
        ("5001", False),
        ("5002", True),
    ]
    assert {r.filter: r.removed for r in result.filter_reports}["regions"] == 1
    answer = result.answer
    assert answer.source_offer_id == "1001"
    assert [m.offer_id for m in answer.match_set] == ["1001", "9002", "9003", "9001"]
    assert answer.summary.endswith(
        "; 1688 did not say where 2 of them are, the source included, so 广东 could not be "
        "checked for them."
    )
    marked = {m.offer_id for m in answer.match_set if any(e.signal == "region" for e in m.reasons)}
    assert marked == {"1001", "9001"}
    for r in result.offers:
        regions = [c for c in r.score.components if c.name == "region"]
        assert len(regions) == r.region_unknown
        assert all(c.points == 0 and "广东 could not be checked" in c.reason for c in regions)
    assert any(
        c.startswith("1688 did not say where the suppliers of 3 offers are")
        for c in result.analysis.conclusions
    )


def test_the_points_profiles_list_the_offers_known_in_the_region_first() -> None:
    result = rank(_live_rows_in_guangdong(), Filters(regions=("广东",)), profile="seed")
    unknown = [r.region_unknown for r in result.offers]
    assert unknown == sorted(unknown) and unknown.count(True) == 3


def test_the_summary_speaks_of_the_region_only_when_one_was_asked_and_not_checked() -> None:
    rows = _live_rows_in_guangdong()
    assert "广东" not in rank(rows, Filters()).answer.summary
    placed = [replace(o, supplier=replace(o.supplier, address="广东省广州市")) for o in rows]
    assert "所在地" not in rank(placed, Filters(regions=("广东",))).answer.summary
    # 9001 alone is not placed in marketplace(): the source was checked.
    zh = rank(marketplace(), Filters(regions=("广东",))).answer.summary
    assert zh.endswith("；其中1家的所在地1688未提供，无法核实是否在广东。")
    zh = rank(rows, Filters(regions=("广东",))).answer.summary
    assert zh.endswith("；其中2家（含源头）的所在地1688未提供，无法核实是否在广东。")
