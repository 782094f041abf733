from __future__ import annotations

import json
import re

from services.sandbox import detail_json, offer_json
from services.sandbox.catalog_loader import LoadedCatalog

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


def test_search_row_shape(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    offer = catalog.offers[0]
    row = offer_json.search_row(catalog, offer, with_address=True)
    assert isinstance(row["offerId"], int) and isinstance(row["priceInfo"]["price"], str)
    assert re.fullmatch(r"\d+\.\d{2}", row["priceInfo"]["price"])
    assert re.fullmatch(r"\d+%", row["repurchaseRate"])
    assert isinstance(row["sellerDataInfo"]["tpYear"], int)
    assert {
        "topCategoryId",
        "secondCategoryId",
        "thirdCategoryId",
        "companyName",
        "minOrderQuantity",
        "monthSold",
        "tradeScore",
        "sellerIdentities",
        "subjectTrans",
        "province",
        "city",
    } <= row.keys()
    assert "province" not in offer_json.search_row(catalog, offer, with_address=False)
    json.dumps(row)


def test_detail_and_product_get_carry_the_ladder(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    structured = next(o for o in catalog.offers if o.text_ladder_style is None)
    detail = detail_json.detail(catalog, structured, BASE)
    assert detail["productSaleInfo"]["priceRangeList"] == [
        {"startQuantity": t.start, "price": f"{t.price_fen / 100:.2f}", "promotionPrice": None}
        for t in structured.tiers
    ]
    assert detail["productSaleInfo"]["quoteType"] == 0
    assert detail["minOrderQuantity"] == structured.moq
    assert detail["productShippingInfo"]["weight"] == structured.weight_kg
    assert detail["productShippingInfo"]["sendGoodsAddressText"].startswith(
        structured.seller.province
    )
    info = detail_json.product_info(catalog, structured, BASE)
    assert info["saleInfo"]["priceRanges"][0] == {
        "startQuantity": structured.tiers[0].start,
        "price": structured.tiers[0].price_fen / 100,
    }
    assert (
        info["bizType"] == structured.biz_type
        and info["saleInfo"]["minOrderQuantity"] == structured.moq
    )
    json.dumps(detail)
    json.dumps(info)


def test_text_ladders_are_parseable_and_exact(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    texts = [o for o in catalog.offers if o.text_ladder_style is not None]
    assert {o.text_ladder_style for o in texts} == {0, 1, 2}
    for offer in texts[:200]:
        detail = detail_json.detail(catalog, offer, BASE)
        assert detail["productSaleInfo"]["priceRangeList"] == []
        assert detail["productSaleInfo"]["quoteType"] == 1
        note = next(a for a in detail["productAttribute"] if a["attributeName"] == "价格说明")[
            "value"
        ]
        assert note in detail["description"]
        assert _parse_text_ladder(note) == [
            (t.start, f"{t.price_fen / 100:.2f}") for t in offer.tiers
        ]
        info = detail_json.product_info(catalog, offer, BASE)
        assert info["saleInfo"]["priceRanges"] == [] and info["saleInfo"]["quoteType"] == 1


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
