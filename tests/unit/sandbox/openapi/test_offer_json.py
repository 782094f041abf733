from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from services.sandbox.catalog.loader import LoadedCatalog
from services.sandbox.openapi import detail_json, offer_json

BASE = "http://127.0.0.1:1"


def _parse_text_ladder(text: str) -> list[tuple[int, str]]:
    """What a gateway's parser must get out of the three documented styles."""
    pieces = re.split(r"[;,]\s*", text)
    found = []
    for piece in pieces:
        start = re.match(r"[≥]?(\d+)", piece)
        price = re.search(r"(\d+\.\d{2})", piece)
        assert start and price, piece
        found.append((int(start.group(1)), price.group(1)))
    return found


REAL_1688 = Path(__file__).resolve().parents[5] / "shared" / "real-1688"


def _captured(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REAL_1688 / name).read_text(encoding="utf-8"))
    return loaded


def _live_row() -> dict[str, Any]:
    row: dict[str, Any] = _captured("imageQuery__dajisaas_doc_example_real_values.json")["data"][
        "data"
    ][0]
    return row


def _doc_row() -> dict[str, Any]:
    row: dict[str, Any] = _captured("imageQuery__official_doc_sample.json")["result"]["result"][
        "data"
    ][0]
    return row


@pytest.mark.parametrize("shape", offer_json.ROW_SHAPES)
def test_search_rows_have_exactly_the_captured_keys(loaded: LoadedCatalog, shape: str) -> None:
    catalog = loaded.catalog
    expected = _live_row() if shape == "live" else _doc_row()
    for offer in catalog.offers[:300]:
        row = offer_json.finish_row(
            offer_json.search_row(catalog, offer, shape), BASE, "abc", "1164408192156408878"
        )
        if shape == "live":
            assert list(row) == list(expected)  # the 11 live keys, in their order
            assert list(row["priceInfo"]) == list(expected["priceInfo"])
        else:
            assert set(row) == set(expected)
            assert set(row["priceInfo"]) == set(expected["priceInfo"])
            assert set(row["sellerDataInfo"]) == set(expected["sellerDataInfo"])
            assert row["companyName"] == offer.seller.name
            assert row["minOrderQuantity"] == offer.moq
            assert isinstance(row["sellerDataInfo"]["tpYear"], int)
        assert not any("similar" in key.lower() for key in row)
        assert isinstance(row["offerId"], int) and isinstance(row["monthSold"], int)
        assert re.fullmatch(r"\d+%", row["repurchaseRate"])
        assert isinstance(row["sellerIdentities"], list)
        assert set(row["sellerIdentities"]) <= {"super_factory", "powerful_merchants", "tp_member"}
        price = row["priceInfo"]
        assert Decimal(price["price"]) * 100 == offer.tiers[0].price_fen
        assert Decimal(price["consignPrice"]) >= Decimal(price["price"])
        assert (price["jxhyPrice"] is None) is (not row["isJxhy"])
        assert row["imageUrl"].startswith(BASE + "/") and "-0-cib.jpg" in row["imageUrl"]
        assert offer_json.offer_of_cdn_name(row["imageUrl"].rsplit("/", 1)[1]) == offer.offer_id
        trace = unquote(row["traceInfo"])
        assert trace.startswith(f"object_id@{offer.offer_id}^object_type@offer^trace@abc")
        json.dumps(row)


def test_prices_are_strings_of_mixed_scale(loaded: LoadedCatalog) -> None:
    texts = [
        offer_json.search_row(loaded.catalog, offer, "live")["priceInfo"]["price"]
        for offer in loaded.catalog.offers
    ]
    assert any(re.fullmatch(r"\d+\.\d\d", t) for t in texts)
    assert any(re.fullmatch(r"\d+\.\d", t) for t in texts)
    assert any(re.fullmatch(r"\d+", t) for t in texts)
    assert offer_json.price_text(2050, 0) == "20.50"
    assert offer_json.price_text(2050, 1) == "20.5" and offer_json.price_text(4700, 1) == "47.0"
    assert offer_json.price_text(4700, 2) == "47" and offer_json.price_text(2005, 2) == "20.05"


def _ladder(detail: dict[str, Any]) -> list[tuple[int, str]]:
    return [
        (entry["startQuantity"], entry["price"])
        for entry in detail["productSaleInfo"]["priceRangeList"]
    ]


def test_detail_is_shaped_like_the_live_captures(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    captured = _captured("queryProductDetail__dajisaas_relay__822737307436.json")["data"]
    for offer in catalog.offers[:200]:
        detail = detail_json.detail(catalog, offer, BASE)
        assert set(detail) == set(captured)
        assert "companyName" not in json.dumps(detail)
        assert offer.seller.name not in json.dumps(detail, ensure_ascii=False)
        assert detail["sellerOpenId"].startswith("BBB")
        assert detail["productSaleInfo"]["priceRanges"] is None
        assert set(detail["productSaleInfo"]) == set(captured["productSaleInfo"])
        assert set(detail["productShippingInfo"]) == set(captured["productShippingInfo"])
        assert isinstance(detail["soldOut"], str)
        assert all(isinstance(a["attributeId"], str) for a in detail["productAttribute"])
        skus = detail["productSkuInfos"]
        assert all(isinstance(s["skuId"], int) for s in skus)
        assert all(isinstance(a["attributeId"], int) for s in skus for a in s["skuAttributes"])
        shipping = detail["productShippingInfo"]
        assert shipping["weight"] is None
        assert [d["skuId"] for d in shipping["skuShippingDetails"]] == [
            str(s["skuId"]) for s in skus
        ]
        assert all(d["weight"] == offer.weight_kg for d in shipping["skuShippingDetails"])
        if shipping["skuShippingInfoList"] is not None:
            grams = [i["weight"] for i in shipping["skuShippingInfoList"]]
            assert grams == [round(offer.weight_kg * 1000)] * len(skus)
        assert "tpYear" not in detail["sellerDataInfo"]
        assert 0 < float(detail["sellerDataInfo"]["repeatPurchasePercent"]) < 1
        json.dumps(detail)


def test_quote_types_behave_as_captured(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    seen = {1: 0, 2: 0}
    for offer in catalog.offers[:400]:
        detail = detail_json.detail(catalog, offer, BASE)
        sale = detail["productSaleInfo"]
        skus = detail["productSkuInfos"]
        assert sale["quoteType"] == offer.quote_type
        seen[offer.quote_type] += 1
        if offer.quote_type == 2:
            # Quantity tiers: the ladder; SKU prices null, only consignPrice set.
            assert [(q, Decimal(p)) for q, p in _ladder(detail)] == [
                (t.start, Decimal(t.price_fen) / 100) for t in offer.tiers
            ]
            assert all(s["price"] is None and s["consignPrice"] for s in skus)
        else:
            # Per SKU: ONE entry, the lowest SKU price, while SKU prices differ.
            prices = [Decimal(s["price"]) for s in skus]
            ((start, low),) = _ladder(detail)
            assert start == offer.moq and Decimal(low) == min(prices)
            assert Decimal(low) * 100 == offer.tiers[0].price_fen
            assert len(set(prices)) > 1
    assert seen[1] > 50 and seen[2] > 50


def test_bait_resellers_show_one_cheap_sku(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    baits = [o for o in catalog.offers if o.role == "bait"][:50]
    assert baits
    for offer in baits:
        maker = catalog.maker_of(offer.product)
        detail = detail_json.detail(catalog, offer, BASE)
        prices = sorted(Decimal(s["price"]) * 100 for s in detail["productSkuInfos"])
        assert prices[0] == offer.tiers[0].price_fen
        if maker is not None:
            assert prices[0] < maker.tiers[0].price_fen < prices[-1]


def test_customization_is_stated_only_as_attributes_and_title_words(
    loaded: LoadedCatalog,
) -> None:
    catalog = loaded.catalog
    said_yes = said_no = logo = 0
    for offer in catalog.offers[:600]:
        attributes = {
            a["attributeName"]: a["value"]
            for a in detail_json.detail(catalog, offer, BASE)["productAttribute"]
        }
        if attributes.get("加工定制") == "是" or attributes.get("加印LOGO") == "可以":
            assert offer.customizable
        if attributes.get("加工定制") == "否":
            assert not offer.customizable
        said_yes += attributes.get("加工定制") == "是"
        said_no += attributes.get("加工定制") == "否"
        logo += attributes.get("加印LOGO") == "可以"
    assert said_yes > 20 and said_no > 5 and logo > 10


def test_text_ladders_are_parseable_and_exact(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    texts = [o for o in catalog.offers if o.text_ladder_style is not None]
    assert {o.text_ladder_style for o in texts} == {0, 1, 2}
    for offer in texts[:200]:
        detail = detail_json.detail(catalog, offer, BASE)
        assert detail["productSaleInfo"]["quoteType"] == 1
        assert len(detail["productSaleInfo"]["priceRangeList"]) == 1
        note = next(a for a in detail["productAttribute"] if a["attributeName"] == "价格说明")[
            "value"
        ]
        assert note in detail["description"]
        assert _parse_text_ladder(note) == [
            (t.start, f"{t.price_fen / 100:.2f}") for t in offer.tiers
        ]
        info = detail_json.product_info(catalog, offer, BASE)
        assert info["saleInfo"]["priceRanges"] == [] and info["saleInfo"]["quoteType"] == 1


def test_product_get_carries_the_ladder(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    structured = next(o for o in catalog.offers if o.text_ladder_style is None)
    info = detail_json.product_info(catalog, structured, BASE)
    assert info["saleInfo"]["priceRanges"] == [
        {"startQuantity": t.start, "price": t.price_fen / 100} for t in structured.tiers
    ]
    assert (
        info["bizType"] == structured.biz_type
        and info["saleInfo"]["minOrderQuantity"] == structured.moq
    )
    json.dumps(info)


def test_linkplus_row_uses_fen(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    offer = catalog.offers[3]
    row = offer_json.linkplus_row(catalog, offer, BASE)
    assert row["oldPrice"] == offer.tiers[0].price_fen and isinstance(row["oldPrice"], int)
    assert row["imageUrl"] == f"{BASE}/img/ibank/{offer.offer_id}.jpg"
    assert set(row) == {
        "offerId",
        "subject",
        "quantityBegin",
        "unit",
        "oldPrice",
        "imageUrl",
        "province",
        "city",
        "supplyAmount",
        "categoryId",
        "detailUrl",
    }
