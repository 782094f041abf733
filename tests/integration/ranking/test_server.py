"""RankingService on a real server (port 0, loopback): ranking over the wire and rich errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import grpc
import pytest
from factoryfinder.v1 import common_pb2, ranking_pb2, ranking_pb2_grpc
from google.rpc import error_details_pb2, status_pb2
from google.type import money_pb2

from services.ranking.server import SERVICE_NAME, create_server
from services.ranking.settings import RankingSettings
from shared.config import load
from shared.grpc_errors import status_of
from shared.money import from_money, to_money
from tests.integration.serving import serving_channel

D = Decimal
PHOTO = 0x9F3A_5C71_0E2B_D486
TITLE = "纯棉圆领短袖T恤男夏季宽松打底衫"


@pytest.fixture
async def stub() -> AsyncIterator[ranking_pb2_grpc.RankingServiceAsyncStub]:
    settings = load(RankingSettings, {}, drain_delay_seconds=0.0)
    async with serving_channel(await create_server(settings), SERVICE_NAME) as channel:
        yield ranking_pb2_grpc.RankingServiceStub(channel)


def seller(
    offer_id: str, company: str, price: str, similarity: float, bits: int, title: str = TITLE
) -> common_pb2.Offer:
    return common_pb2.Offer(
        offer_id=offer_id,
        title=title,
        similarity=similarity,
        price=to_money(D(price)),
        min_order=2,
        category_id="1008003",
        supplier=common_pb2.Supplier(company_name=company, province="广东", city="广州"),
        image_phash=PHOTO ^ ((1 << bits) - 1),
        has_image_phash=True,
    )


def factory_and_traders() -> list[common_pb2.Offer]:
    return [
        seller("9001", "广州市潮流商贸有限公司", "21.00", 96, 2),
        seller("9002", "义乌市优品贸易有限公司", "25.00", 94, 4, "厂家直销" + TITLE),
        seller("9003", "深圳市优选电子商务有限公司", "28.00", 92, 6),
        seller("1001", "广州市白云区永盛服装厂", "20.00", 88, 0, TITLE + " 来样加工"),
    ]


async def failure(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub, request: ranking_pb2.RankOffersRequest
) -> tuple[grpc.StatusCode, error_details_pb2.ErrorInfo, error_details_pb2.BadRequest]:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.RankOffers(request, timeout=5)
    status: status_pb2.Status | None = status_of(failed.value)
    assert status is not None
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in status.details:
        if not detail.Unpack(info):
            detail.Unpack(bad)
    return failed.value.code(), info, bad


async def test_the_factory_ranks_first_and_the_traders_are_grouped_under_it(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    request = ranking_pb2.RankOffersRequest(
        offers=factory_and_traders(), filters=common_pb2.Filters(purchase_quantity=100), locale="en"
    )
    reply = await stub.RankOffers(request, timeout=5)
    first = reply.offers[0]
    assert first.offer.offer_id == "1001"
    assert first.offer.supplier.kind == common_pb2.SUPPLIER_KIND_SOURCE_FACTORY
    assert first.is_group_source and first.rank == 1
    assert first.offer.customization.made_to_sample
    assert first.score.total == sum(c.points for c in first.score.components)
    assert from_money(first.score.compared_unit_price) == D("20.00")
    (group,) = reply.groups
    assert group.source_offer_id == "1001"
    assert group.offer_ids[0] == "1001" and set(group.offer_ids) == {
        "1001",
        "9001",
        "9002",
        "9003",
    }
    assert group.basis == "image_hash"
    assert (round(group.min_markup, 4), round(group.max_markup, 4)) == (0.05, 0.4)
    assert group.summary == (
        "4 sellers, the source is 广州市白云区永盛服装厂, the others are traders at +5–40 %"
    )
    traders = [r for r in reply.offers if r.offer.offer_id != "1001"]
    assert all(r.is_reseller and r.group_id == group.group_id for r in traders)
    assert all(r.offer.supplier.kind == common_pb2.SUPPLIER_KIND_TRADING_COMPANY for r in traders)
    assert reply.analysis.top_factory_offer_id == "1001"
    assert reply.analysis.conclusions[0].startswith(
        "The pictured product is made by 广州市白云区永盛服装厂 (source factory, offer 1001"
    )
    answer = reply.answer
    assert answer.found
    assert answer.source_offer_id == "1001"
    assert answer.source_supplier.company_name == "广州市白云区永盛服装厂"
    assert answer.source_supplier.kind == common_pb2.SUPPLIER_KIND_SOURCE_FACTORY
    assert [m.offer_id for m in answer.match_set] == ["1001", "9001", "9002", "9003"]
    assert [m.role for m in answer.match_set] == [common_pb2.MATCH_ROLE_SOURCE] + [
        common_pb2.MATCH_ROLE_RESELLER
    ] * 3
    assert [round(m.markup_over_source, 2) for m in answer.match_set] == [0.0, 0.05, 0.25, 0.4]
    assert reply.profile == "default"
    assert len(reply.filter_reports) == 6


async def test_unknown_region_lists_the_known_names(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    request = ranking_pb2.RankOffersRequest(
        offers=factory_and_traders(), filters=common_pb2.Filters(regions=["广州", "火星"])
    )
    code, info, bad = await failure(stub, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert (info.reason, info.domain, info.metadata["unknown"]) == (
        "UNKNOWN_REGION",
        "factoryfinder",
        "火星",
    )
    assert {"虎门", "义乌", "柯桥", "永康"} <= set(info.metadata["known"].split(","))
    assert [v.field for v in bad.field_violations] == ["filters.regions"]


async def test_unknown_profile_is_invalid_argument(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    request = ranking_pb2.RankOffersRequest(offers=factory_and_traders(), profile="fastest")
    code, info, bad = await failure(stub, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.reason == "INVALID_REQUEST"
    assert [v.field for v in bad.field_violations] == ["profile"]
    assert "default, seed, similarity, price" in bad.field_violations[0].description


async def test_negative_quantity_is_invalid_quantity(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    request = ranking_pb2.RankOffersRequest(filters=common_pb2.Filters(purchase_quantity=-3))
    code, info, bad = await failure(stub, request)
    assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUANTITY")
    assert bad.field_violations[0].field == "filters.purchase_quantity"


@pytest.mark.parametrize(
    ("field", "money", "problem"),
    [
        ("price_min", money_pb2.Money(currency_code="CNY", units=1, nanos=2_000_000_000), "nanos"),
        ("price_max", money_pb2.Money(currency_code="CNY", units=5, nanos=-500_000_000), "sign"),
        ("price_max", money_pb2.Money(currency_code="USD", units=5), "CNY"),
    ],
)
async def test_an_invalid_price_filter_is_refused_naming_it(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub, field: str, money: money_pb2.Money, problem: str
) -> None:
    # Read as sent, 1 yuan + 2,000,000,000 nanos would be a 3-yuan floor; 5 - 0.5 a 4.50 cap.
    request = ranking_pb2.RankOffersRequest(
        offers=factory_and_traders(), filters=common_pb2.Filters(**{field: money})
    )
    code, info, bad = await failure(stub, request)
    assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert [v.field for v in bad.field_violations] == [f"filters.{field}"]
    assert problem in bad.field_violations[0].description


async def test_similarity_profile_and_chinese_over_the_wire(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    request = ranking_pb2.RankOffersRequest(offers=factory_and_traders(), profile="similarity")
    reply = await stub.RankOffers(request, timeout=5)
    assert reply.profile == "similarity"
    similarity = [c for c in reply.offers[0].score.components if c.name == "similarity"]
    assert similarity[0].max_points == 60 and similarity[0].points > 0
    assert reply.groups[0].summary.startswith("4家在售，源头为广州市白云区永盛服装厂")


async def test_repeated_offers_are_ranked_once_and_reported(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    offers = factory_and_traders()
    request = ranking_pb2.RankOffersRequest(offers=[*offers, offers[0]])
    reply = await stub.RankOffers(request, timeout=5)
    assert len(reply.offers) == 4
    assert reply.filter_reports[-1].filter == "duplicate_offer_id"
    assert reply.filter_reports[-1].removed == 1


def live_row(
    offer_id: str, similarity: float | None, rank: int, identities: tuple[str, ...], price: str
) -> common_pb2.Offer:
    """A live-shaped offer: no company name, no minimum order, 1688's order, and
    factoryfinder's own similarity when the image was compared."""
    offer = common_pb2.Offer(
        offer_id=offer_id,
        title=TITLE,
        price=to_money(D(price)),
        upstream_rank=rank,
        supplier=common_pb2.Supplier(id=f"open-{offer_id}", seller_identities=identities),
    )
    if similarity is None:
        offer.visual_match.unavailable_reason = "image host refused"
    else:
        offer.similarity = similarity
        offer.visual_match.compared = True
        offer.visual_match.similarity = similarity
    return offer


def look_alike(offer_id: str, similarity: float, rank: int) -> common_pb2.Offer:
    offer = live_row(offer_id, similarity, rank, ("super_factory",), "9.90")
    offer.title = "不锈钢合页加厚"
    return offer


async def test_the_answer_on_live_shaped_offers(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    request = ranking_pb2.RankOffersRequest(
        offers=[
            look_alike("50", 38, 1),
            live_row("11", 91, 2, ("tp_member",), "26.00"),  # a reseller's copy, ranked first
            live_row("10", 87, 4, ("super_factory", "tp_member"), "20.00"),
            live_row("12", None, 3, (), "24.00"),  # its image could not be compared
            look_alike("51", 31, 5),
            look_alike("52", 35, 6),
        ],
        image_pairs=[
            common_pb2.ImagePair(first_offer_id="10", second_offer_id="11", similarity=93),
            common_pb2.ImagePair(first_offer_id="12", second_offer_id="10", similarity=90),
        ],
        locale="en",
    )
    reply = await stub.RankOffers(request, timeout=5)
    answer = reply.answer
    assert answer.found
    assert answer.source_offer_id == "10"
    assert answer.source_supplier.id == "open-10"
    assert answer.source_supplier.kind == common_pb2.SUPPLIER_KIND_SOURCE_FACTORY
    assert [(m.offer_id, m.role) for m in answer.match_set] == [
        ("10", common_pb2.MATCH_ROLE_SOURCE),
        ("11", common_pb2.MATCH_ROLE_RESELLER),
        ("12", common_pb2.MATCH_ROLE_RESELLER),
    ]
    assert [round(m.markup_over_source, 2) for m in answer.match_set] == [0.0, 0.3, 0.2]
    assert answer.match_set[2].reasons[0].signal == "near_duplicate"
    assert "seller open-1… (company name not provided)" in answer.summary
    assert [r.offer.offer_id for r in reply.offers] == ["10", "11", "12", "50", "52", "51"]
    assert reply.analysis.conclusions[0] == answer.summary
    first = reply.offers[0]
    assert first.score.components[-1].name == "match_set"
    assert first.score.total == sum(c.points for c in first.score.components)


async def test_an_out_of_catalog_photo_gets_no_factory(
    stub: ranking_pb2_grpc.RankingServiceAsyncStub,
) -> None:
    offers = [look_alike(str(50 + i), 30 + 2 * i, i + 1) for i in range(5)]
    reply = await stub.RankOffers(
        ranking_pb2.RankOffersRequest(offers=offers, locale="zh"), timeout=5
    )
    assert not reply.answer.found
    assert reply.answer.source_offer_id == ""
    assert not reply.answer.HasField("source_supplier")
    assert reply.answer.confidence < 0.25
    assert reply.answer.summary.startswith("没有商品明显是照片中的商品")
