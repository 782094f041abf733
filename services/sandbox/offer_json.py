"""The JSON shapes of offers in search results (``detail_json`` has the detail APIs').

Field names and types follow the protocol note; where the note is silent the
sandbox chooses, and this docstring is the reference for parsers.

``product.search.imageQuery`` rows (:func:`search_row`)
    ``offerId`` (number), ``subject``, ``subjectTrans``, ``imageUrl``,
    ``priceInfo{price, consignPrice[, promotionPrice]}`` (yuan strings
    "20.50"), ``minOrderQuantity``, ``monthSold`` (numbers),
    ``repurchaseRate`` ("13%"), ``sellerIdentities`` (list), ``tradeScore``
    ("4.7"), ``companyName``, ``topCategoryId``/``secondCategoryId``/
    ``thirdCategoryId`` (numbers), ``isOnePsale``, ``isJxhy``, ``traceInfo``,
    ``sellerDataInfo{tpYear (number), repeatPurchasePercent ("0.43"),
    compositeServiceScore ("4.5"), tradeMedalLevel, logisticsExperienceScore,
    disputeComplaintScore, offerExperienceScore, consultingExperienceScore,
    afterSalesExperienceScore}``. Sandbox additions, each behind a setting:
    ``province`` and ``city`` of the company ("浙江", "金华"; setting
    ``search_address``) and ``similarity`` (a number 0-100 with one decimal;
    setting ``emit_similarity``).

``alibaba.cross.similar.offer.search`` rows (:func:`linkplus_row`)
    ``offerId, subject, quantityBegin, unit, oldPrice`` (integer fen),
    ``imageUrl, province, city, supplyAmount, categoryId, detailUrl``.
"""

from __future__ import annotations

import random
from typing import Any

from services.sandbox.catalog import Catalog, Offer
from services.sandbox.companies import Seller
from services.sandbox.price_ladders import yuan

Json = dict[str, Any]


def image_path(offer_id: int) -> str:
    return f"/img/ibank/{offer_id}.jpg"


def seller_data(seller: Seller) -> Json:
    rng = random.Random(seller.member_id)
    score = float(seller.service_score)

    def near() -> str:
        return f"{min(5.0, max(3.0, score + rng.uniform(-0.4, 0.4))):.1f}"

    return {
        "tradeMedalLevel": str(min(5, 1 + seller.tp_year // 3)),
        "compositeServiceScore": seller.service_score,
        "logisticsExperienceScore": near(),
        "disputeComplaintScore": near(),
        "offerExperienceScore": near(),
        "consultingExperienceScore": near(),
        "afterSalesExperienceScore": near(),
        "repeatPurchasePercent": seller.repeat_purchase,
        "tpYear": seller.tp_year,
    }


def search_row(catalog: Catalog, offer: Offer, with_address: bool) -> Json:
    """An imageQuery row without ``imageUrl`` and ``similarity`` (added per request)."""
    product = catalog.products[offer.product]
    first = offer.tiers[0].price_fen
    price_info = {"price": yuan(first), "consignPrice": yuan(-(-first * 105 // 100))}
    if offer.promotion_fen is not None:
        price_info["promotionPrice"] = yuan(offer.promotion_fen)
    row: Json = {
        "subject": offer.subject,
        "subjectTrans": offer.subject_en,
        "offerId": offer.offer_id,
        "isJxhy": False,
        "priceInfo": price_info,
        "repurchaseRate": f"{offer.repurchase_pct}%",
        "monthSold": offer.month_sold,
        "traceInfo": f"object_id@{offer.offer_id}^object_type@offer",
        "isOnePsale": offer.one_psale,
        "sellerIdentities": list(offer.seller.identities),
        "tradeScore": offer.seller.trade_score,
        "topCategoryId": product.top.top_id,
        "secondCategoryId": product.second.second_id,
        "thirdCategoryId": product.kind.third_id,
        "minOrderQuantity": offer.moq,
        "companyName": offer.seller.name,
        "sellerDataInfo": seller_data(offer.seller),
    }
    if with_address:
        row["province"] = offer.seller.province
        row["city"] = offer.seller.city
    return row


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
