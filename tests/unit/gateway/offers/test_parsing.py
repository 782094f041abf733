"""1688 JSON → protobuf: tolerant of loose fields, strict about unusable shapes."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from factoryfinder.v1 import common_pb2

from services.gateway.offers import parsing
from services.gateway.upstream import errors
from shared.money import from_money

API = "product.search.imageQuery"

ROW: dict[str, Any] = {
    "offerId": 584051070147,
    "subject": "纯棉T恤 源头工厂 来样加工",
    "subjectTrans": "Cotton T-shirt",
    "imageUrl": "https://cbu01.alicdn.com/img/a.jpg",
    "priceInfo": {"price": "12.50", "promotionPrice": "11.00"},
    "minOrderQuantity": 2,
    "monthSold": "1,200",
    "repurchaseRate": "13%",
    "sellerIdentities": ["super_factory", "tp_member"],
    "tradeScore": "4.5",
    "companyName": "广州市白云区XX服装厂",
    "topCategoryId": 10166,
    "secondCategoryId": "1038378",
    "thirdCategoryId": 0,
    "sellerDataInfo": {"tpYear": 8, "repeatPurchasePercent": "0.2"},
    "similarity": "87.5",
    "somethingNew": {"ignored": True},
}


def body(text: str) -> Any:
    return parsing.decode_body(API, text.encode())


def test_a_full_row() -> None:
    offer = parsing.parse_offer(API, body(json.dumps(ROW)))
    assert offer is not None
    assert offer.offer_id == "584051070147"
    assert offer.title == "纯棉T恤 源头工厂 来样加工"
    assert offer.title_translated == "Cotton T-shirt"
    assert from_money(offer.price) == Decimal("12.50")
    assert offer.price.currency_code == "CNY"
    assert offer.min_order == 2
    assert offer.month_sold == 1200
    assert offer.repurchase_rate == pytest.approx(0.13)
    assert offer.category_path == ["10166", "1038378"]
    assert offer.category_id == "1038378"
    # 1688 sends no similarity; a relay's stray field is not read as one.
    assert offer.similarity == 0
    assert offer.upstream_rank == 0
    assert list(offer.supplier.seller_identities) == ["super_factory", "tp_member"]
    assert offer.supplier.company_name == "广州市白云区XX服装厂"
    assert offer.supplier.years_on_platform == 8
    assert offer.supplier.trade_score == pytest.approx(4.5)
    assert offer.detail_url == "https://detail.1688.com/offer/584051070147.html"


def test_missing_fields_are_tolerated() -> None:
    offer = parsing.parse_offer(API, {"offerId": "1"})
    assert offer is not None
    assert offer.offer_id == "1"
    assert not offer.HasField("price")
    assert offer.min_order == 0
    assert offer.repurchase_rate == 0
    assert offer.category_id == ""


def test_a_row_without_an_offer_id_is_skipped_not_fatal() -> None:
    page = parsing.parse_search_page(API, {"data": [{"subject": "x"}, {"offerId": 7}]})
    assert [offer.offer_id for offer in page.offers] == ["7"]
    assert page.skipped_rows == 1


def test_unreadable_values_are_left_unset() -> None:
    offer = parsing.parse_offer(
        API,
        {
            "offerId": 1,
            "priceInfo": {"price": "面议"},
            "monthSold": "many",
            "repurchaseRate": "n/a",
        },
    )
    assert offer is not None
    assert not offer.HasField("price")
    assert offer.month_sold == 0
    assert offer.repurchase_rate == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("13%", 0.13), ("0.13", 0.13), (13, 0.13), ("100%", 1.0), ("0%", 0.0), (Decimal("0.5"), 0.5)],
)
def test_rates(value: Any, expected: float) -> None:
    assert parsing.parse_rate(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["", None, "abc", "-3%"])
def test_bad_rates(value: Any) -> None:
    assert parsing.parse_rate(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", "12.50"),
        ("¥12.5", "12.5"),
        ("12.50-18.00", "12.50"),
        ("１２．５", "12.5"),
        (Decimal("3.10"), "3.10"),
        (8, "8"),
    ],
)
def test_yuan_prices(value: Any, expected: str) -> None:
    assert parsing.parse_yuan(value) == Decimal(expected)


@pytest.mark.parametrize("text", ["20.50", "57", "20.5", "007.50", "0", "0.00", "1280.125"])
def test_plain_prices_read_as_the_general_path_reads_them(text: str) -> None:
    assert parsing.parse_yuan(text) == parsing._yuan_text(text)


@pytest.mark.parametrize("value", [None, "", "0", "面议", "0.00"])
def test_unusable_yuan_prices(value: Any) -> None:
    assert parsing.parse_yuan(value) is None


def test_integer_fen_prices_of_the_older_api() -> None:
    offer = parsing.parse_offer(API, {"offerId": 1, "oldPrice": 1250, "quantityBegin": "3"})
    assert offer is not None
    assert from_money(offer.price) == Decimal("12.50")
    assert offer.min_order == 3
    assert parsing.parse_fen("99") == Decimal("0.99")


def test_prices_never_pass_through_float() -> None:
    decoded = body('{"priceInfo": {"price": 0.1}, "offerId": 1}')
    assert isinstance(decoded["priceInfo"]["price"], Decimal)
    offer = parsing.parse_offer(API, decoded)
    assert offer is not None
    assert (offer.price.units, offer.price.nanos) == (0, 100_000_000)


@pytest.mark.parametrize("flag", [True, "true", "True", 1, "1"])
def test_success_as_bool_or_string(flag: Any) -> None:
    payload = {"result": {"success": flag, "result": {"data": []}}}
    assert parsing.unwrap_result(API, payload) == {"data": []}


@pytest.mark.parametrize("flag", [False, "false", 0, None])
def test_business_failure_raises_with_the_upstream_code(flag: Any) -> None:
    payload = {"result": {"success": flag, "code": "E01", "message": "bad imageId"}}
    with pytest.raises(errors.UpstreamError) as caught:
        parsing.unwrap_result(API, payload)
    assert caught.value.reason == errors.REQUEST_INVALID
    assert caught.value.upstream_code == "E01"
    assert not caught.value.transient


def test_business_failure_of_an_upload_is_an_image_rejection() -> None:
    payload = {"result": {"success": "false", "code": "400", "message": "image too large"}}
    with pytest.raises(errors.UpstreamError) as caught:
        parsing.unwrap_result("product.image.upload", payload, image_api=True)
    assert caught.value.reason == errors.IMAGE_REJECTED
    assert caught.value.upstream_message == "image too large"


def test_business_not_found() -> None:
    payload = {"result": {"success": False, "code": "OFFER_NOT_EXIST", "message": "商品不存在"}}
    with pytest.raises(errors.UpstreamError) as caught:
        parsing.unwrap_result(parsing.QUERY_DETAIL_API, payload)
    assert caught.value.reason == errors.OFFER_NOT_FOUND


def test_top_level_success_false_of_older_apis() -> None:
    with pytest.raises(errors.UpstreamError) as caught:
        parsing.unwrap_result(parsing.PRODUCT_GET_API, {"success": "false", "errorMsg": "x"})
    assert caught.value.reason == errors.REQUEST_INVALID


@pytest.mark.parametrize("raw", [b"<html>502</html>", b"", b"\xff\xfe", b"{"])
def test_non_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(errors.UpstreamMalformed) as caught:
        parsing.decode_body(API, raw)
    assert caught.value.reason == errors.MALFORMED
    assert "not JSON" in str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [[], "x", {"data": "rows"}, {"data": ["not an object"]}],
)
def test_wrong_shapes_are_malformed(payload: Any) -> None:
    with pytest.raises(errors.UpstreamMalformed):
        parsing.parse_search_page(API, payload)


def test_a_search_page() -> None:
    payload = {
        "totalRecords": 57,
        "totalPage": "3",
        "pageSize": 20,
        "currentPage": 2,
        "data": [ROW, {**ROW, "offerId": "2"}],
    }
    page = parsing.parse_search_page(API, payload)
    assert (page.total_records, page.total_pages, page.current_page, page.page_size) == (
        57,
        3,
        2,
        20,
    )
    assert [offer.offer_id for offer in page.offers] == ["584051070147", "2"]


def test_an_empty_search_result() -> None:
    page = parsing.parse_search_page(API, None)
    assert page.offers == []
    assert page.total_records == 0


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("1048608196202797156", "1048608196202797156"),
        (1048608, "1048608"),
        ("0", None),
        (None, None),
    ],
)
def test_image_ids(payload: Any, expected: str | None) -> None:
    assert parsing.parse_image_id("product.image.upload", payload) == expected


@pytest.mark.parametrize("payload", [["x"], True, {"imageId": False}])
def test_an_image_id_of_the_wrong_type_is_malformed(payload: Any) -> None:
    with pytest.raises(errors.UpstreamMalformed):
        parsing.parse_image_id("product.image.upload", payload)


def test_query_product_detail() -> None:
    payload = {
        "offerId": 99,
        "subject": "定制 OEM 帆布包",
        "companyName": "义乌市XX箱包厂",
        "minOrderQuantity": 50,
        "productSaleInfo": {
            "priceRangeList": [
                {"startQuantity": 50, "price": "8.50"},
                {"startQuantity": 500, "price": "7.20"},
            ],
            "quoteType": 2,
        },
        "productShippingInfo": {"weight": "0.35"},
        "description": "<p>支持&nbsp;来样加工</p><img src='x'>",
    }
    offer = parsing.parse_query_detail(payload)
    assert offer.offer_id == "99"
    detail = offer.detail
    assert detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
    assert detail.source_api == "product.search.queryProductDetail"
    assert [(t.min_quantity, t.max_quantity) for t in detail.price_ladder] == [(50, 499), (500, 0)]
    assert [from_money(t.unit_price) for t in detail.price_ladder] == [
        Decimal("8.50"),
        Decimal("7.20"),
    ]
    assert detail.min_order == 50
    assert detail.unit_weight_kg == pytest.approx(0.35)
    assert detail.quote_type == 2
    assert detail.biz_type == 0
    assert detail.description == "支持 来样加工"
    assert from_money(offer.price) == Decimal("7.20")


def test_product_get() -> None:
    payload = {
        "productInfo": {
            "productID": 584051070147,
            "subject": "来图加工 五金铰链",
            "bizType": "2",
            "saleInfo": {
                "priceRanges": [{"startQuantity": 100, "price": 1.5}],
                "minOrderQuantity": 100,
                "quoteType": 1,
            },
            "shippingInfo": {"unitWeight": 0.02},
            "image": {"images": ["img/ibank/a.jpg"]},
        },
        "success": True,
    }
    offer = parsing.parse_product_get(payload)
    assert offer.offer_id == "584051070147"
    assert offer.detail.biz_type == 2
    assert offer.detail.source_api == "alibaba.product.get"
    assert offer.detail.min_order == 100
    assert offer.detail.quote_type == 1
    assert offer.image_url == "https://cbu01.alicdn.com/img/ibank/a.jpg"
    assert offer.detail.unit_weight_kg == pytest.approx(0.02)


def test_a_detail_with_a_broken_ladder_keeps_the_rest() -> None:
    payload = {"offerId": 5, "productSaleInfo": {"priceRangeList": [{"price": "x"}]}}
    offer = parsing.parse_query_detail(payload)
    assert len(offer.detail.price_ladder) == 0
    assert offer.detail.quote_type == -1


def test_product_get_without_product_info_is_malformed() -> None:
    with pytest.raises(errors.UpstreamMalformed):
        parsing.parse_product_get({"success": True})


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"result": 1718000000000}, 1718000000000),
        ({"result": "1718000000000"}, 1718000000000),
        ({"result": "20240610141320000+0800"}, 1718000000000),
        ("20240610141320000", 1718000000000),
        ({"result": {"currentTime": 1718000000000}}, 1718000000000),
    ],
)
def test_server_time(reply: Any, expected: int) -> None:
    assert parsing.parse_server_time_ms("currentTime", reply) == expected


def test_unreadable_server_time_is_malformed() -> None:
    with pytest.raises(errors.UpstreamMalformed):
        parsing.parse_server_time_ms("currentTime", {"result": "soon"})


def test_a_text_ladder_in_the_price_note_attribute() -> None:
    payload = {
        "offerId": 8,
        "productSaleInfo": {"priceRangeList": [], "quoteType": 1},
        "productAttribute": [
            {"attributeName": "材质", "value": "棉"},
            {
                "attributeName": "价格说明",
                "value": "2~9件 ¥20.50, 10~99件 ¥19.00, 100件以上 ¥18.00",
            },
        ],
        "productShippingInfo": {"sendGoodsAddressText": "浙江省金华市永康市工业路88号"},
    }
    offer = parsing.parse_query_detail(payload)
    ladder = [
        (t.min_quantity, t.max_quantity, from_money(t.unit_price))
        for t in offer.detail.price_ladder
    ]
    assert ladder == [
        (2, 9, Decimal("20.50")),
        (10, 99, Decimal("19.00")),
        (100, 0, Decimal("18.00")),
    ]
    assert offer.detail.quote_type == 1
    assert offer.supplier.address == "浙江省金华市永康市工业路88号"


def test_product_get_price_note_in_attributes() -> None:
    payload = {
        "productInfo": {
            "productID": 9,
            "saleInfo": {"priceRanges": [], "quoteType": 1},
            "attributes": [
                {"attributeName": "价格说明", "value": "1-9个:12.50元;10个以上:10.90元"}
            ],
        },
        "success": "true",
    }
    offer = parsing.parse_product_get(payload)
    assert [t.min_quantity for t in offer.detail.price_ladder] == [1, 10]


def test_an_unknown_image_id_is_not_an_unknown_offer() -> None:
    payload = {
        "result": {
            "success": "false",
            "code": "IMAGE_NOT_FOUND",
            "message": "imageId 5 not found or expired",
        }
    }
    with pytest.raises(errors.UpstreamError) as caught:
        parsing.unwrap_result(API, payload)
    assert caught.value.reason == errors.REQUEST_INVALID
    assert caught.value.image_expired


def test_the_documentation_legend_is_no_seller_identity() -> None:
    legend = "super_factory-超级工厂 powerful_merchants-实力商家 tp_member-诚信通会员"
    offer = parsing.parse_offer(API, {"offerId": 1, "sellerIdentities": [legend]})
    assert offer is not None
    assert list(offer.supplier.seller_identities) == []
    mixed = parsing.parse_offer(API, {"offerId": 1, "sellerIdentities": ["yx-严选", "tp_member"]})
    assert mixed is not None
    assert list(mixed.supplier.seller_identities) == ["tp_member"]


def test_the_upstream_rank_is_the_row_position_across_pages() -> None:
    payload = {"data": [{"offerId": 1}, {"subject": "no id"}, {"offerId": "3"}]}
    page = parsing.parse_search_page(API, payload, first_rank=21)
    assert [(o.offer_id, o.upstream_rank) for o in page.offers] == [("1", 21), ("3", 23)]
    assert all(offer.similarity == 0 for offer in page.offers)


def test_pic_region_info_is_kept_as_sent() -> None:
    regions = {"currentRegion": "0,799,0,799", "yoloCropRegion": "1,2,3,4;5,6,7,8"}
    page = parsing.parse_search_page(API, {"data": [], "picRegionInfo": regions})
    assert (page.searched_region, page.seen_regions) == ("0,799,0,799", "1,2,3,4;5,6,7,8")


@pytest.mark.parametrize(
    "relayed",
    [
        {"code": 200, "message": "操作成功", "data": {"totalRecords": 1, "data": []}},
        {"success": True, "data": {"totalRecords": 1, "data": []}},
    ],
)
def test_a_relay_envelope_is_unwrapped(relayed: dict[str, Any]) -> None:
    assert parsing.unwrap_result(API, relayed) == {"totalRecords": 1, "data": []}


@pytest.mark.parametrize(
    "relayed",
    [
        {"code": 500, "message": "系统繁忙", "data": None},
        {"success": False, "code": "500", "message": "系统繁忙", "data": None},
    ],
)
def test_a_relay_failure_is_a_business_error(relayed: dict[str, Any]) -> None:
    with pytest.raises(errors.UpstreamError) as caught:
        parsing.unwrap_result(API, relayed)
    assert caught.value.upstream_message == "系统繁忙"


def test_a_search_payload_is_not_taken_for_a_relay_envelope() -> None:
    payload = {"success": True, "data": [{"offerId": 1}]}
    assert parsing.unwrap_result(API, payload) is payload


def test_sku_weights_in_grams_become_kilograms() -> None:
    payload = {
        "offerId": 5,
        "productShippingInfo": {
            "weight": None,
            "skuShippingInfoList": [{"skuId": 1, "weight": 200}, {"skuId": 2, "weight": 250}],
        },
    }
    assert parsing.parse_query_detail(payload).detail.unit_weight_kg == pytest.approx(0.25)


def test_a_seller_repeat_rate_is_not_the_offers_repurchase_rate() -> None:
    offer = parsing.parse_offer(
        API, {"offerId": 1, "sellerDataInfo": {"repeatPurchasePercent": "11"}}
    )
    assert offer is not None
    assert offer.repurchase_rate == 0


# --- bodies that differ from ours (each case crashed or read wrong before) ------------------


@pytest.mark.parametrize("value", ["NaN", "1e100", "1e999999", "-5", 99_999_999_999, -1])
@pytest.mark.parametrize("field", ["monthSold", "minOrderQuantity", "tpYear"])
def test_a_count_that_is_no_count_is_left_unset(field: str, value: Any) -> None:
    offer = parsing.parse_offer(API, {"offerId": 1, field: value})
    assert offer is not None
    assert (offer.month_sold, offer.min_order, offer.supplier.years_on_platform) == (0, 0, 0)


@pytest.mark.parametrize("value", ["NaN", "1e10", 3_000_000_000, "-2"])
def test_detail_numbers_beyond_their_fields_are_left_unset(value: Any) -> None:
    payload = {
        "offerId": 5,
        "bizType": value,
        "productSaleInfo": {"quoteType": value, "minOrderQuantity": value},
        "sellerDataInfo": {"tradeMedalLevel": value},
    }
    detail = parsing.parse_query_detail(payload).detail
    assert (detail.biz_type, detail.quote_type, detail.min_order) == (0, -1, 0)
    assert detail.seller_scores.trade_medal_level == 0


def test_page_counts_that_are_no_counts() -> None:
    payload = {"totalRecords": "NaN", "currentPage": 3_000_000_000, "data": [{"offerId": 1}]}
    page = parsing.parse_search_page(API, payload)
    assert (page.total_records, page.current_page) == (1, 1)


@pytest.mark.parametrize(
    "price", ["100000000000000000000", "0.9999999999", "12.1234567891", "1e999999"]
)
def test_a_price_money_cannot_hold_exactly_is_left_unset(price: str) -> None:
    offer = parsing.parse_offer(API, {"offerId": 1, "priceInfo": {"price": price}})
    assert offer is not None
    assert not offer.HasField("price")
    detail = parsing.parse_query_detail(
        {
            "offerId": 1,
            "productSaleInfo": {"priceRangeList": [{"startQuantity": 1, "price": price}]},
            "productSkuInfos": [{"price": price}],
        }
    )
    assert len(detail.detail.price_ladder) == 0
    assert not detail.detail.HasField("sku_price_min")


@pytest.mark.parametrize(
    "row",
    [
        {"startQuantity": 1, "price": True},
        {"startQuantity": 10**20, "price": "5"},
        {"startQuantity": 1, "endQuantity": 10**20, "price": "5"},
    ],
)
def test_a_ladder_row_of_the_wrong_type_or_size_drops_the_ladder(row: dict[str, Any]) -> None:
    payload = {"offerId": 1, "productSaleInfo": {"priceRangeList": [row]}}
    assert len(parsing.parse_query_detail(payload).detail.price_ladder) == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("//cbu01.alicdn.com/img/ibank/a.jpg", "https://cbu01.alicdn.com/img/ibank/a.jpg"),
        ("http://cbu01.alicdn.com/O1CN01a.jpg", "https://cbu01.alicdn.com/O1CN01a.jpg"),
        ("HTTP://img.alicdn.com/a.jpg_220x220.jpg", "https://img.alicdn.com/a.jpg_220x220.jpg"),
        ("/img/ibank/a.jpg", "https://cbu01.alicdn.com/img/ibank/a.jpg"),
        # Not 1688's CDN (the sandbox serves http on 127.0.0.1): the scheme is kept.
        ("http://127.0.0.1:8080/images/1.jpg", "http://127.0.0.1:8080/images/1.jpg"),
        ("图片url", ""),
        ("ftp://cbu01.alicdn.com/a.jpg", ""),
        ("javascript:alert(1)", ""),
        ("https://", ""),
    ],
)
def test_image_urls_are_absolute_and_https_on_the_cdn(value: str, expected: str) -> None:
    offer = parsing.parse_offer(API, {"offerId": 1, "imageUrl": value})
    assert offer is not None
    assert offer.image_url == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Men&#39;s T-shirt &amp; Shorts", "Men's T-shirt & Shorts"),
        ("<em>纯棉</em>T恤 <font color=red>工厂</font>", "纯棉T恤 工厂"),
        ("&quot;OEM&quot;&nbsp;定制", '"OEM" 定制'),
        ("尺寸<10cm 源头工厂", "尺寸<10cm 源头工厂"),
        ("A&B 工厂", "A&B 工厂"),
    ],
)
def test_titles_lose_html_entities_and_highlight_tags(value: str, expected: str) -> None:
    offer = parsing.parse_offer(API, {"offerId": 1, "subject": value, "subjectTrans": value})
    assert offer is not None
    assert (offer.title, offer.title_translated) == (expected, expected)


@pytest.mark.parametrize("value", [0, "0", True, False])
def test_no_offer_id_is_no_offer(value: Any) -> None:
    assert parsing.parse_offer(API, {"offerId": value, "subject": "x"}) is None


def test_an_integral_decimal_offer_id_reads_as_the_integer() -> None:
    offer = parsing.parse_offer(API, body('{"offerId": 727920485853.0}'))
    assert offer is not None
    assert offer.offer_id == "727920485853"


def test_a_null_row_is_skipped_keeping_its_place() -> None:
    page = parsing.parse_search_page(API, {"data": [None, {"offerId": 2}]}, first_rank=1)
    assert [(offer.offer_id, offer.upstream_rank) for offer in page.offers] == [("2", 2)]
    assert page.skipped_rows == 1


PAYLOAD = {"totalRecords": 1, "data": [{"offerId": 1}]}


@pytest.mark.parametrize(
    "reply",
    [
        {"result": {"code": "200", "message": "", "result": PAYLOAD}},
        {"success": True, "result": PAYLOAD},
        {"success": "true", "code": "S0000", "result": PAYLOAD},
        {"result": PAYLOAD},
        {"code": "S0000", "message": "成功", "data": PAYLOAD},
        {"code": 0, "msg": "success", "data": PAYLOAD},
    ],
)
def test_envelope_variants_give_the_payload(reply: dict[str, Any]) -> None:
    assert parsing.unwrap_result(API, reply) == PAYLOAD


@pytest.mark.parametrize(
    ("reply", "code", "message", "reason"),
    [
        (
            {"result": {"code": "500", "message": "系统繁忙"}},
            "500",
            "系统繁忙",
            errors.REQUEST_INVALID,
        ),
        (
            {"success": False, "errorCode": "E1", "errorMessage": "bad"},
            "E1",
            "bad",
            errors.REQUEST_INVALID,
        ),
        (
            {"success": "false", "error_code": "E2", "error_message": "no"},
            "E2",
            "no",
            errors.REQUEST_INVALID,
        ),
        ({"code": 500, "msg": "系统繁忙", "data": None}, "500", "系统繁忙", errors.REQUEST_INVALID),
        (
            {"code": "gw.QosAppFrequencyLimit", "message": "App call exceeds limited frequency"},
            "gw.QosAppFrequencyLimit",
            "App call exceeds limited frequency",
            errors.RATE_LIMITED,
        ),
    ],
)
def test_refusal_variants_are_refusals_with_their_code_and_text(
    reply: dict[str, Any], code: str, message: str, reason: str
) -> None:
    with pytest.raises(errors.UpstreamError) as caught:
        parsing.unwrap_result(API, reply)
    assert (caught.value.upstream_code, caught.value.upstream_message) == (code, message)
    assert caught.value.reason == reason
