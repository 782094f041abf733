"""Every real 1688 body in ../shared/real-1688/ through the gateway, over gRPC and HTTP.

The upstream is a local server answering the gateway's signed calls with the
captures (real_1688.py), in 1688's own envelope and in the relay's. Each
expected value is read from the capture itself, so the test holds whatever
shape the sandbox has.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from factoryfinder.v1 import common_pb2, gateway_pb2

from shared.money import from_money
from tests.integration.gateway.harness import Gateway, photo, rpc_error, running_gateway
from tests.integration.gateway.real_1688 import (
    ENVELOPES,
    REAL_DIR,
    Replay,
    Reply,
    always,
    gateway_env,
    load,
    outside_pool,
    payload,
    served,
)

UPLOAD = "product.image.upload"
QUERY = "product.search.imageQuery"
DETAIL = "product.search.queryProductDetail"
GET = "alibaba.product.get"
UPLOADED = "image_upload__dajisaas_doc_example.json"
OFFICIAL_SEARCH = "imageQuery__official_doc_sample.json"
REAL_SEARCH = "imageQuery__dajisaas_doc_example_real_values.json"
# keywordQuery and querySellerOfferList send the same rows as imageQuery.
SEARCHES = [
    REAL_SEARCH,
    OFFICIAL_SEARCH,
    "keywordQuery__dajisaas_doc_example_real_values.json",
    "querySellerOfferList__dajisaas_relay_app_normalized__plastic_bags.json",
]
DETAILS = [
    "queryProductDetail__dajisaas_doc_example_real_values__670291644950.json",
    "queryProductDetail__dajisaas_relay__822737307436.json",
    "queryProductDetail__dajisaas_relay__852315035423.json",
]
PRODUCT_GET = "alibaba_product_get__official_doc_sample_truncated.json"
ACL = "error__gw.APIACLDecline.json"
ERRORS = {
    ACL: (400, "FAILED_PRECONDITION", "UPSTREAM_ACL_DECLINED"),
    "error__gw.ParamMissing.json": (400, "INTERNAL", "UPSTREAM_PARAM_MISSING"),
    "error__gw.NoUsageLeftError.json": (400, "RESOURCE_EXHAUSTED", "QUOTA_EXHAUSTED"),
    "error__gw.QosAppFrequencyLimit.json": (400, "UNAVAILABLE", "UPSTREAM_RATE_LIMITED"),
    "error__401_request_need_user_authorized.json": (401, "UNAVAILABLE", "UPSTREAM_TOKEN_EXPIRED"),
}


@pytest.fixture
def replay() -> Iterator[Replay]:
    server = Replay()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def gateway(replay: Replay) -> AsyncIterator[Gateway]:
    async with running_gateway(gateway_env(replay)) as running:
        yield running


def serve_search(replay: Replay, name: str, envelope: str) -> None:
    replay.routes[UPLOAD] = always(served(UPLOADED, envelope))
    replay.routes[QUERY] = always(served(name, envelope))


def serve_details(replay: Replay, envelope: str, product_get: Reply) -> None:
    """queryProductDetail answers for the captured offers and refuses every other one."""
    by_id = {str(payload(load(name))["offerId"]): name for name in DETAILS}

    def detail(form: dict[str, str]) -> Reply:
        offer_id = json.loads(form["offerDetailParam"])["offerId"]
        name = by_id.get(str(offer_id))
        return Reply(served(name, envelope) if name else outside_pool(offer_id))

    replay.routes[DETAIL] = detail
    replay.routes[GET] = lambda form: product_get


def amount(money: Any) -> Decimal:
    return from_money(money)


def test_every_capture_is_replayed() -> None:
    covered = {UPLOADED, PRODUCT_GET, *SEARCHES, *DETAILS, *ERRORS}
    assert {path.name for path in REAL_DIR.glob("*.json")} == covered


# --- search rows -----------------------------------------------------------------------


def check_row(offer: common_pb2.Offer, row: dict[str, Any], rank: int, doc: bool) -> None:
    assert offer.offer_id == str(row["offerId"])
    assert offer.title == row["subject"]
    assert offer.title_translated == row["subjectTrans"]
    # Real rows send https URLs; the documentation's placeholder ("图片url") is no URL.
    assert offer.image_url == (row["imageUrl"] if not doc else "")
    assert amount(offer.price) == Decimal(row["priceInfo"]["price"])
    assert offer.month_sold == row["monthSold"]
    assert offer.repurchase_rate == pytest.approx(float(row["repurchaseRate"][:-1]) / 100)
    # The documentation's legend string is no identity; real rows send codes.
    assert list(offer.supplier.seller_identities) == ([] if doc else row["sellerIdentities"])
    assert offer.upstream_rank == rank
    assert offer.similarity == 0
    # Live rows lack these: empty, never invented.
    assert offer.supplier.company_name == row.get("companyName", "")
    assert offer.supplier.address == row.get("companyAddress", "")
    assert offer.min_order == row.get("minOrderQuantity", 0)
    assert offer.supplier.years_on_platform == row.get("sellerDataInfo", {}).get("tpYear", 0)
    assert offer.supplier.trade_score == float(row.get("tradeScore", 0))
    assert offer.supplier.id == ""


@pytest.mark.parametrize("envelope", ENVELOPES)
@pytest.mark.parametrize("name", SEARCHES)
async def test_search_rows(replay: Replay, gateway: Gateway, name: str, envelope: str) -> None:
    serve_search(replay, name, envelope)
    reply = await gateway.stub.SearchOffers(
        gateway_pb2.SearchOffersRequest(image=photo(1, side=800)), timeout=30
    )
    page = payload(load(name))
    rows = page["data"]
    assert len(reply.offers) == len(rows)
    for rank, (offer, row) in enumerate(zip(reply.offers, rows, strict=True), start=1):
        check_row(offer, row, rank, doc=name == OFFICIAL_SEARCH)
    assert reply.total_results == page["totalRecords"]
    assert bool(reply.next_page_token) == (page["totalPage"] > 1)
    sent = json.loads(replay.called(QUERY)[0]["offerQueryParam"])
    assert sent["imageId"] == payload(load(UPLOADED))["imageId"]
    assert "region" not in sent and "keyword" not in sent


async def test_the_real_prices_of_mixed_scale(replay: Replay, gateway: Gateway) -> None:
    serve_search(replay, REAL_SEARCH, "relay")
    reply = await gateway.stub.SearchOffers(
        gateway_pb2.SearchOffersRequest(image=photo(2, side=800)), timeout=30
    )
    # "34.50" with jxhy "34.5"; "38.00" with jxhyPrice null.
    assert [amount(offer.price) for offer in reply.offers] == [
        Decimal("34.5"),
        Decimal("38"),
        Decimal("38"),
        Decimal("48"),
    ]
    assert [offer.supplier.seller_identities[0] for offer in reply.offers] == [
        "tp_member",
        "tp_member",
        "tp_member",
        "powerful_merchants",
    ]


async def test_the_subject_keyword_and_regions(replay: Replay, gateway: Gateway) -> None:
    serve_search(replay, REAL_SEARCH, "1688")
    request = gateway_pb2.SearchOffersRequest(
        image=photo(3, side=800),
        subject=common_pb2.SubjectBox(left=0, top=0, right=0.5, bottom=1),
        keyword="纯棉",
    )
    reply = await gateway.stub.SearchOffers(request, timeout=30)
    sent = json.loads(replay.called(QUERY)[0]["offerQueryParam"])
    assert (sent["region"], sent["keyword"]) == ("0,399,0,799", "纯棉")
    # The capture's picRegionInfo: "0,799,0,799" twice (the whole 800×800 upload).
    searched = reply.picture_regions.searched
    assert (searched.left, searched.top, searched.right, searched.bottom) == (0, 0, 1, 1)
    assert list(reply.picture_regions.others) == []
    official = payload(load(OFFICIAL_SEARCH))["picRegionInfo"]
    assert official == {"currentRegion": "", "yoloCropRegion": ""}


async def test_the_documentation_sample_as_printed_is_refused_cleanly(
    replay: Replay, gateway: Gateway
) -> None:
    # Its "success" is the placeholder "是否成功" (whether it succeeded): not a success.
    replay.routes[UPLOAD] = always(served(UPLOADED, "1688"))
    replay.routes[QUERY] = always(load(OFFICIAL_SEARCH))
    error = await rpc_error(
        gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(4, side=800)), timeout=30
        )
    )
    assert (error.code.value, error.reason) == ("INTERNAL", "UPSTREAM_REQUEST_INVALID")


# --- details -----------------------------------------------------------------------------


def check_detail(offer: common_pb2.Offer, data: dict[str, Any]) -> None:
    assert offer.offer_id == str(data["offerId"])
    assert offer.title == data["subject"]
    assert offer.supplier.id == data["sellerOpenId"]
    assert offer.supplier.company_name == "" and "companyName" not in data
    assert offer.supplier.trade_score == float(data["tradeScore"])
    assert offer.image_url == data["productImage"]["images"][0]
    assert offer.supplier.address == data["productShippingInfo"]["sendGoodsAddressText"]
    detail = offer.detail
    assert detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
    assert detail.source_api == DETAIL
    sale = data["productSaleInfo"]
    assert detail.quote_type == sale["quoteType"]
    assert detail.min_order == data["minOrderQuantity"]
    tiers = sale["priceRangeList"]
    assert [(t.min_quantity, amount(t.unit_price)) for t in detail.price_ladder] == [
        (tier["startQuantity"], Decimal(tier["price"])) for tier in tiers
    ]
    ends = [tier["startQuantity"] - 1 for tier in tiers[1:]] + [0]
    assert [t.max_quantity for t in detail.price_ladder] == ends
    assert amount(offer.price) == min(Decimal(tier["price"]) for tier in tiers)
    sku_prices = [Decimal(s["price"]) for s in data["productSkuInfos"] if s["price"] is not None]
    if sku_prices:
        assert amount(detail.sku_price_min) == min(sku_prices)
        assert amount(detail.sku_price_max) == max(sku_prices)
    else:
        assert not detail.HasField("sku_price_min") and not detail.HasField("sku_price_max")
    assert [(a.name, a.value) for a in detail.attributes] == [
        (a["attributeName"], a["value"]) for a in data["productAttribute"]
    ]
    assert list(detail.offer_identities) == data["offerIdentities"]
    scores, seller = detail.seller_scores, data["sellerDataInfo"]
    assert scores.trade_medal_level == int(seller["tradeMedalLevel"])
    for field, key in (
        ("composite_service_score", "compositeServiceScore"),
        ("logistics_experience_score", "logisticsExperienceScore"),
        ("dispute_complaint_score", "disputeComplaintScore"),
        ("offer_experience_score", "offerExperienceScore"),
        ("after_sales_experience_score", "afterSalesExperienceScore"),
        ("consulting_experience_score", "consultingExperienceScore"),
    ):
        assert getattr(scores, field) == float(seller[key])
    assert scores.repeat_purchase_rate == pytest.approx(float(seller["repeatPurchasePercent"]))
    assert scores.quality_refund_rate_30d == pytest.approx(
        float(seller["qualityRefundWithin30Day"])
    )
    shipping = data["productShippingInfo"]
    kilograms = max(sku["weight"] for sku in shipping["skuShippingDetails"])
    assert detail.unit_weight_kg == pytest.approx(kilograms)
    if shipping["skuShippingInfoList"]:
        grams = max(sku["weight"] for sku in shipping["skuShippingInfoList"])
        assert detail.unit_weight_kg == pytest.approx(grams / 1000)


@pytest.mark.parametrize("envelope", ENVELOPES)
@pytest.mark.parametrize("name", DETAILS)
async def test_details(replay: Replay, gateway: Gateway, name: str, envelope: str) -> None:
    serve_details(replay, envelope, Reply(load(ACL), 400))
    data = payload(load(name))
    reply = await gateway.stub.GetOfferDetail(
        gateway_pb2.GetOfferDetailRequest(offer_id=str(data["offerId"])), timeout=30
    )
    check_detail(reply.offer, data)
    assert len(replay.called(GET)) == 0


async def test_the_quote_type_traps(replay: Replay, gateway: Gateway) -> None:
    serve_details(replay, "relay", Reply(load(ACL), 400))

    async def detail(offer_id: str) -> common_pb2.OfferDetail:
        request = gateway_pb2.GetOfferDetailRequest(offer_id=offer_id)
        reply: gateway_pb2.GetOfferDetailResponse = await gateway.stub.GetOfferDetail(
            request, timeout=30
        )
        return reply.offer.detail

    per_sku = await detail("822737307436")
    # quoteType 1: one tier, the lowest SKU price, while SKUs cost 47 or 57.
    assert [amount(t.unit_price) for t in per_sku.price_ladder] == [Decimal(47)]
    assert (amount(per_sku.sku_price_min), amount(per_sku.sku_price_max)) == (
        Decimal(47),
        Decimal(57),
    )
    tiers = await detail("670291644950")
    # quoteType 2: SKU prices null (15.9 is the drop-ship consignPrice), the tiers hold.
    assert [(t.min_quantity, t.max_quantity, amount(t.unit_price)) for t in tiers.price_ladder] == [
        (2, 19, Decimal("13.9")),
        (20, 0, Decimal("13.5")),
    ]
    assert not tiers.HasField("sku_price_min")
    assert tiers.unit_weight_kg == pytest.approx(0.2)


@pytest.mark.parametrize("envelope", ENVELOPES)
async def test_outside_the_curated_pool_product_get_answers(
    replay: Replay, gateway: Gateway, envelope: str
) -> None:
    body = load(PRODUCT_GET)
    serve_details(
        replay, envelope, Reply(body if envelope == "1688" else {"data": body, "code": 200})
    )
    info = body["productInfo"]
    reply = await gateway.stub.GetOfferDetail(
        gateway_pb2.GetOfferDetailRequest(offer_id=str(info["productID"])), timeout=30
    )
    offer, detail = reply.offer, reply.offer.detail
    assert len(replay.called(DETAIL)) == 1
    assert detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
    assert detail.source_api == GET
    assert offer.title == info["subject"]
    ranges = info["saleInfo"]["priceRanges"]
    assert [(t.min_quantity, amount(t.unit_price)) for t in detail.price_ladder] == [
        (tier["startQuantity"], Decimal(tier["price"])) for tier in ranges
    ]
    assert detail.min_order == info["saleInfo"]["minOrderQuantity"]
    assert detail.quote_type == info["saleInfo"]["quoteType"]
    assert detail.unit_weight_kg == info["shippingInfo"]["unitWeight"]
    assert [(a.name, a.value) for a in detail.attributes] == [
        (a["attributeName"], a["value"]) for a in info["attributes"]
    ]
    # A path on 1688's image host, made a URL.
    assert offer.image_url == "https://cbu01.alicdn.com/" + info["image"]["images"][0]


async def test_outside_the_pool_without_a_fallback_is_an_unavailable_detail(
    replay: Replay, gateway: Gateway
) -> None:
    serve_details(replay, "1688", Reply(load(ACL), 400))
    error = await rpc_error(
        gateway.stub.GetOfferDetail(
            gateway_pb2.GetOfferDetailRequest(offer_id="727920485853"), timeout=30
        )
    )
    assert (error.code.value, error.reason) == ("FAILED_PRECONDITION", "DETAIL_UNAVAILABLE")
    assert error.metadata["detail_status"] == "NOT_IN_CURATED_POOL"
    serve_search(replay, REAL_SEARCH, "relay")
    reply = await gateway.stub.SearchOffers(
        gateway_pb2.SearchOffersRequest(image=photo(5, side=800), enrich_top_k=4), timeout=30
    )
    assert reply.enriched_count == 0
    assert {offer.detail.status for offer in reply.offers} == {
        common_pb2.DETAIL_STATUS_NOT_IN_CURATED_POOL
    }


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ERRORS))
async def test_error_bodies(replay: Replay, gateway: Gateway, name: str) -> None:
    status, code, reason = ERRORS[name]
    body = load(name)
    replay.routes[UPLOAD] = always(body, status)
    replay.routes["getToken"] = always(body, status)
    error = await rpc_error(
        gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(6, side=800)), timeout=30
        )
    )
    assert (error.code.value, error.reason) == (code, reason)
    if reason == "UPSTREAM_TOKEN_EXPIRED":
        # Refused again after one refresh, which was refused too.
        assert len(replay.called(UPLOAD)) == 1 and len(replay.called("getToken")) == 1
    else:
        assert error.metadata["upstream_code"] == body["error_code"]
    if reason in ("UPSTREAM_RATE_LIMITED", "QUOTA_EXHAUSTED"):
        assert error.retry_after_seconds is not None and error.retry_after_seconds > 0
    if reason == "UPSTREAM_RATE_LIMITED":
        # It lasted through every attempt, and the caller is told the pause to keep.
        assert len(replay.called(UPLOAD)) == 3
        assert error.retry_after_seconds == pytest.approx(0.05)
