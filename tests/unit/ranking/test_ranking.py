"""The whole pipeline on a product sold by one factory and several traders."""

from __future__ import annotations

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
    assert [r.offer.offer_id for r in result.offers] == ["9002"]
    removed = {r.filter: r.removed for r in result.filter_reports}
    assert removed == {
        "min_similarity": 0,
        "max_min_order": 0,
        "price": 0,
        "regions": 2,
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
