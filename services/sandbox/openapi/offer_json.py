"""The JSON shapes of offers in search results (``detail_json`` has the detail APIs').

Two row shapes, chosen by the setting ``row_shape``:

``live`` (default): exactly the 11 keys of the rows captured from the live
platform in 2024-25 (``../../shared/real-1688/imageQuery__dajisaas_doc_example_real_values.json``),
in their order: ``imageUrl, subject, subjectTrans, priceInfo{price, jxhyPrice,
pfJxhyPrice, consignPrice}, offerId (number), isJxhy, repurchaseRate ("13%"),
monthSold (number), traceInfo (URL-encoded), isOnePsale, sellerIdentities
(array of codes)``. Prices are strings of mixed scale as captured ("34.50" and
"34.5" in one row, "47.0", "20"); ``jxhyPrice``/``pfJxhyPrice`` are null when
``isJxhy`` is false; ``consignPrice`` (drop-ship) equals ``price`` or lies up
to 80 % above it. No company name, no minimum order, no address.

``doc2026``: the live keys plus the fields 1688's 2026 documentation lists
(``imageQuery__official_doc_sample.json``), with real-looking values:
``priceInfo.promotionPrice`` (null without a promotion), ``offerIdentities``,
``tradeScore``, ``promotionModel``, ``topCategoryId``/``secondCategoryId``/
``thirdCategoryId``, ``isPatentProduct``, ``createDate``, ``modifyDate``,
``isSelect``, ``sellerDataInfo{... tpYear}``, ``productSimpleShippingInfo``,
``minOrderQuantity``, ``token``, ``promotionURL``, ``companyName``,
``companyAddress`` ("浙江省金华市"), ``offerDataInfo``, ``sales7d``,
``productTradeInfo``, ``invoiceInfo``. ``sellerIdentities`` stays an array
of codes (never the documentation's legend string).

Neither shape has a similarity: results come in the engine's order, the only
relevance 1688 gives.

``alibaba.cross.similar.offer.search`` rows (:func:`linkplus_row`)
    ``offerId, subject, quantityBegin, unit, oldPrice`` (integer fen),
    ``imageUrl, province, city, supplyAmount, categoryId, detailUrl``.
"""

from __future__ import annotations

import random
import re
import string
from typing import Any
from urllib.parse import quote

from services.sandbox.catalog.companies import Seller
from services.sandbox.catalog.model import Catalog, Offer
from services.sandbox.catalog.price_ladders import yuan

Json = dict[str, Any]

ROW_SHAPES = ("live", "doc2026")
_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
CDN_NAME = re.compile(r"^O1CN01([0-9A-Za-z]+)_!!(\d+)-0-cib\.jpg")


def image_path(offer_id: int) -> str:
    """The plain image path every offer's picture is served at (kept for old callers)."""
    return f"/img/ibank/{offer_id}.jpg"


def _base62(number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _B62[rest] + digits
    return digits or "0"


def offer_of_cdn_name(name: str) -> int | None:
    """The offer id behind a CDN-style picture name (``O1CN01…_!!…-0-cib.jpg``)."""
    match = CDN_NAME.match(name)
    if match is None:
        return None
    number = 0
    for char in match.group(1):
        number = number * 62 + _B62.index(char)
    return number


def cdn_path(offer: Offer) -> str:
    """The picture path as 1688's CDN names it; half the offers lack ``img/ibank/``
    as live rows often do. Both forms are served (``routes``)."""
    owner = int(offer.seller.member_id[4:17])
    name = f"O1CN01{_base62(offer.offer_id)}_!!{owner}-0-cib.jpg"
    return f"/img/ibank/{name}" if offer.offer_id % 2 else f"/{name}"


def price_text(fen: int, style: int) -> str:
    """Yuan as sellers' prices print upstream: "20.50" (0), "20.5"/"20.0" (1), "20.5"/"20" (2)."""
    text = yuan(fen)
    if style == 0:
        return text
    text = text.rstrip("0")
    if text.endswith("."):
        return text + "0" if style == 1 else text[:-1]
    return text


def seller_data(seller: Seller, *, with_tp_year: bool) -> Json:
    rng = random.Random(seller.member_id)
    score = float(seller.service_score)

    def near() -> str:
        return f"{min(5.0, max(0.0, score + rng.uniform(-0.6, 0.6))):.1f}"

    data: Json = {
        "tradeMedalLevel": str(min(5, 1 + seller.tp_year // 3)),
        "compositeServiceScore": seller.service_score,
        "logisticsExperienceScore": near(),
        "disputeComplaintScore": near(),
        "offerExperienceScore": near(),
        "consultingExperienceScore": near(),
        # A fraction with all its digits, as the live detail prints it.
        "repeatPurchasePercent": repr(float(seller.repeat_purchase) + rng.random() / 1000),
        "afterSalesExperienceScore": near(),
    }
    if with_tp_year:
        data["tpYear"] = seller.tp_year
    return data


def _price_info(offer: Offer) -> Json:
    first = offer.tiers[0].price_fen
    style = offer.price_style
    jxhy = price_text(first, (style + 1) % 3) if offer.jxhy else None
    return {
        "price": price_text(first, style),
        "jxhyPrice": jxhy,
        "pfJxhyPrice": price_text(first, (style + 2) % 3) if offer.jxhy else None,
        "consignPrice": price_text(-(-first * offer.consign_permille // 1000), style),
    }


def trace_info(offer_id: int, trace: str, image_id: str) -> str:
    """``traceInfo`` as live rows carry it: URL-encoded, with the search's trace and image."""
    raw = (
        f"object_id@{offer_id}^object_type@offer^trace@{trace}"
        f"^imageInfo@{image_id}^outMemberId@null"
    )
    return quote(raw, safe="")


def search_row(catalog: Catalog, offer: Offer, shape: str) -> Json:
    """An imageQuery row in ``shape``, ``imageUrl`` a path and ``traceInfo`` empty:
    both are per request (:func:`finish_row`)."""
    row: Json = {
        "imageUrl": cdn_path(offer),
        "subject": offer.subject,
        "subjectTrans": offer.subject_en,
        "priceInfo": _price_info(offer),
        "offerId": offer.offer_id,
        "isJxhy": offer.jxhy,
        "repurchaseRate": f"{offer.repurchase_pct}%",
        "monthSold": offer.month_sold,
        "traceInfo": "",
        "isOnePsale": offer.one_psale,
        "sellerIdentities": list(offer.seller.identities),
    }
    if shape == "doc2026":
        row.update(_documented_fields(catalog, offer))
    return row


def finish_row(static: Json, base_url: str, trace: str, image_id: str) -> Json:
    """A row of :func:`search_row` with this request's absolute ``imageUrl`` and ``traceInfo``."""
    row = dict(static)
    row["imageUrl"] = base_url + static["imageUrl"]
    row["traceInfo"] = trace_info(static["offerId"], trace, image_id)
    return row


def _documented_fields(catalog: Catalog, offer: Offer) -> Json:
    product = catalog.products[offer.product]
    seller = offer.seller
    rng = random.Random(offer.offer_id ^ 0x2026)
    token = "".join(rng.choice(_B62) for _ in range(35))
    created = offer.created.strftime("%Y-%m-%d %H:%M:%S")
    promotion = None if offer.promotion_fen is None else price_text(offer.promotion_fen, 0)
    province = "" if seller.province == seller.city else seller.province + "省"
    return {
        "priceInfo": {**_price_info(offer), "promotionPrice": promotion},
        "offerIdentities": ["tp_member"] if "tp_member" in seller.identities else [],
        "tradeScore": seller.trade_score,
        "promotionModel": {"hasPromotion": True, "promotionType": "plus"}
        if offer.promotion_fen is not None
        else None,
        "topCategoryId": product.top.top_id,
        "secondCategoryId": product.second.second_id,
        "thirdCategoryId": product.kind.third_id,
        "isPatentProduct": rng.random() < 0.05,
        "createDate": created,
        "modifyDate": created,
        "isSelect": offer.jxhy,
        "sellerDataInfo": seller_data(seller, with_tp_year=True),
        "productSimpleShippingInfo": {
            "shippingTimeGuarantee": "shipIn48Hours" if offer.ship_in_48h else "shipIn72Hours",
            "perfectFulfillmentRate30d": f"{rng.uniform(90, 100):.2f}%",
            "pickupWithin24hRate30d": f"{rng.uniform(80, 100):.0f}%",
            "qualityReturnRate30d": f"{rng.uniform(0, 3):.2f}%",
        },
        "minOrderQuantity": offer.moq,
        "token": token,
        "promotionURL": f"https://detail.1688.com/offer/{offer.offer_id}.html?fromkv=refer:{token}",
        "companyName": seller.name,
        "companyAddress": f"{province}{seller.city}市",
        "offerDataInfo": {
            "offerApplauseRate": f"{rng.uniform(90, 100):.1f}%",
            "qualityRfdRate30d": f"{rng.uniform(0, 2):.0f}%",
            "repurchaseRate30d": f"{offer.repurchase_pct + rng.uniform(-2, 2):.1f}%",
        },
        "sales7d": str(offer.month_sold // 4),
        "productTradeInfo": {
            "addCartCount7d": str(rng.randint(0, 200)),
            "payBuyerCount7d": str(rng.randint(0, 50)),
            "addCartCount30d": str(rng.randint(0, 800)),
            "payBuyerCount30d": str(rng.randint(0, 200)),
        },
        "invoiceInfo": {
            "supportOnlineInvoice": rng.random() < 0.6,
            "supportFastInvoice": rng.random() < 0.3,
            "invoiceTypes": ['["普票","专票"]'] if rng.random() < 0.5 else ['["普票"]'],
            "taxpayerType": "一般纳税人" if seller.kind != "trading" else "小规模纳税人",
        },
    }


def linkplus_row(catalog: Catalog, offer: Offer, base_url: str) -> Json:
    kind = catalog.products[offer.product].kind
    return {
        "offerId": offer.offer_id,
        "subject": offer.subject,
        "quantityBegin": offer.moq,
        "unit": kind.unit,
        "oldPrice": offer.tiers[0].price_fen,
        "imageUrl": base_url + image_path(offer.offer_id),
        "province": offer.seller.province,
        "city": offer.seller.city,
        "supplyAmount": offer.stock,
        "categoryId": kind.third_id,
        "detailUrl": f"https://detail.1688.com/offer/{offer.offer_id}.html",
    }
