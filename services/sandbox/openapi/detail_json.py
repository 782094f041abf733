"""The JSON shapes of the detail APIs.

``product.search.queryProductDetail`` (:func:`detail`): shaped like the live
captures (``../../shared/real-1688/queryProductDetail__*.json``), key for key:

- no company name: the seller is only ``sellerOpenId`` (opaque), with
  ``offerIdentities`` (``["tp_member"]`` or ``[]``) and ``sellerDataInfo``
  scores as strings (``repeatPurchasePercent`` a fraction "0.49…", no tpYear);
- ``productSaleInfo{priceRanges: null, priceRangeList[{startQuantity
  (number), price (string), promotionPrice (string|null)}], quoteType,
  consignPrice: null, jxhyPrice: null, unitInfo}``. ``quoteType`` 2
  (quantity tiers): the ladder, and every ``productSkuInfos[].price`` null
  with only ``consignPrice`` set. ``quoteType`` 1 (price per SKU): ONE entry,
  the lowest SKU price, while the SKU prices differ (a bait reseller's cheap
  SKU is that entry). Resellers who write their ladder as text are
  ``quoteType`` 1 with the ladder in the ``productAttribute`` named
  "价格说明" and in ``description`` (formats in ``price_ladders``);
- customization only as attributes (``加工定制: 是`` / ``否``,
  ``加印LOGO: 可以``, each stated for some offers only) and title words;
- type drift: ``productAttribute[].attributeId`` a string,
  ``skuAttributes[].attributeId`` a number; ``skuId`` a number except in
  ``skuShippingDetails`` (a string); ``soldOut`` a string; prices strings of
  the seller's scale ("20.50", "20.5", "20");
- weights: ``productShippingInfo.weight`` null; ``skuShippingDetails[].weight``
  in kilograms, ``skuShippingInfoList[].weight`` (when the list is not null)
  in grams; ``sendGoodsAddressText`` is province and city ("浙江省金华市").

``alibaba.product.get`` (:func:`product_info`)
    ``productInfo{productID, bizType (1 goods, 2 processing, 3 agency, 4
    cooperation), saleInfo{priceRanges[{startQuantity, price (number)}],
    minOrderQuantity, quoteType, unit, amountOnSale}, skuInfos[],
    attributes[], shippingInfo{unitWeight}, subject, description, ...}``.
    Prices here are JSON numbers, as this older API's Java doubles are; text
    ladders leave ``priceRanges`` empty (``quoteType`` 1). This documented
    shape is the fallback for offers the detail API refuses.
"""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Any

from services.sandbox.catalog.model import Catalog, Offer
from services.sandbox.catalog.price_ladders import ladder_text
from services.sandbox.openapi.offer_json import cdn_path, image_path, price_text, seller_data

Json = dict[str, Any]

_MATERIALS: dict[str, tuple[tuple[str, str], ...]] = {
    "apparel": (("棉", "cotton"), ("聚酯纤维", "polyester"), ("莫代尔", "modal")),
    "fabric": (("100%棉", "100% cotton"), ("涤纶", "polyester"), ("亚麻", "linen")),
    "hardware": (("304不锈钢", "304 stainless steel"), ("碳钢", "carbon steel"), ("铁", "iron")),
    "packaging": (("瓦楞纸", "corrugated paper"), ("牛皮纸", "kraft paper"), ("PET", "PET")),
    "electronics": (("TPE", "TPE"), ("PC", "PC"), ("硅胶", "silicone")),
    "commodities": (("陶瓷", "ceramic"), ("PP", "PP"), ("ABS", "ABS")),
    "fittings": (
        ("锌合金", "zinc alloy"),
        ("铝合金", "aluminium alloy"),
        ("不锈钢", "stainless steel"),
    ),
    "toys": (("短毛绒", "short plush"), ("PP棉", "PP cotton"), ("ABS", "ABS")),
}
_COLOURS = (
    ("红色", "Red"),
    ("蓝色", "Blue"),
    ("黑色", "Black"),
    ("白色", "White"),
    ("灰色", "Grey"),
    ("绿色", "Green"),
    ("粉色", "Pink"),
    ("黄色", "Yellow"),
)
_SIZES = ("S", "M", "L", "XL", "XXL")
_UNITS_EN = {
    "件": "piece",
    "个": "piece",
    "条": "piece",
    "米": "meter",
    "公斤": "kilogram",
    "把": "piece",
    "副": "pair",
    "套": "set",
}


def _text_ladder(catalog: Catalog, offer: Offer) -> str | None:
    if offer.text_ladder_style is None:
        return None
    unit = catalog.products[offer.product].kind.unit
    return ladder_text(offer.tiers, unit, offer.text_ladder_style)


_CUSTOM_ATTRIBUTES = (("加工定制", "Customized processing"), ("加印LOGO", "Logo printing"))
_ATTRIBUTE_IDS = {"材质": 287, "产地": 1398, "货号": 346, "品牌": 2176, "价格说明": 9}


def _attribute(name_zh: str, name_en: str, value: str, value_en: str) -> Json:
    # A string id here, a number in skuAttributes: the type drift of the captures.
    return {
        "attributeId": str(_ATTRIBUTE_IDS.get(name_zh, 100_000_000 + len(name_zh))),
        "attributeName": name_zh,
        "value": value,
        "attributeNameTrans": name_en,
        "valueTrans": value_en,
    }


def _attributes(catalog: Catalog, offer: Offer) -> list[Json]:
    product = catalog.products[offer.product]
    rng = random.Random(offer.offer_id)
    material_zh, material_en = rng.choice(_MATERIALS[product.top.key])
    cargo = f"FF-{offer.offer_id % 100000:05d}"
    found = [
        _attribute("品牌", "Brand", "其他", "Other"),
        _attribute("材质", "Material", material_zh, material_en),
        _attribute("产地", "Origin", offer.seller.city, offer.seller.city),
        _attribute("货号", "Item number", cargo, cargo),
    ]
    # Customization is stated, when at all, as attributes (never a flag).
    (custom_zh, custom_en), (logo_zh, logo_en) = _CUSTOM_ATTRIBUTES
    stated, logo = rng.random(), rng.random()
    if offer.customizable and stated < 0.7:
        found.append(_attribute(custom_zh, custom_en, "是", "Yes"))
    elif not offer.customizable and stated < 0.15:
        found.append(_attribute(custom_zh, custom_en, "否", "No"))
    if offer.customizable and logo < 0.5:
        found.append(_attribute(logo_zh, logo_en, "可以", "Yes"))
    export = "是" if rng.random() < 0.4 else "否"
    found.append(_attribute("是否跨境出口专供货源", "Cross-border supply", export, _YES_NO[export]))
    ladder = _text_ladder(catalog, offer)
    if ladder is not None:
        found.append(_attribute("价格说明", "Price note", ladder, ladder))
    return found


_YES_NO = {"是": "Yes", "否": "No"}


def _skus(catalog: Catalog, offer: Offer) -> list[tuple[int, str, str, str, int]]:
    """(skuId, attribute name, value, English value, price in fen) per SKU.

    The first SKU is the cheapest (``tiers[0]``, a bait's bait); with
    ``quoteType`` 1 the others rise to ``sku_high_fen``.
    """
    rng = random.Random(offer.offer_id + 1)
    product = catalog.products[offer.product]
    first = offer.tiers[0].price_fen
    if product.top.key == "apparel":
        values = [(size, size) for size in _SIZES[: rng.randint(2, 5)]]
        name = "尺码"
    else:
        values = rng.sample(_COLOURS, rng.randint(2, 4))
        name = "颜色"
    high = offer.sku_high_fen or first
    prices = [first, *sorted(rng.randint(min(first + 1, high), high) for _ in values[1:])]
    if offer.role == "bait":
        prices = [first] + [high] * (len(values) - 1)
    return [
        (offer.offer_id * 10 + i, name, zh, en, price)
        for i, ((zh, en), price) in enumerate(zip(values, prices, strict=True))
    ]


def _description(offer: Offer, ladder: str | None) -> str:
    extra = f"<p>批发价格：{ladder}</p>" if ladder else ""
    return (
        f'<div id="offer-template-0"></div><p>{offer.subject}</p>{extra}<p>支持混批，量大从优。</p>'
    )


def _spec_id(sku_id: int) -> str:
    return f"{random.Random(sku_id).getrandbits(128):032x}"


def _price_ranges(offer: Offer, skus: list[tuple[int, str, str, str, int]]) -> list[Json]:
    style = offer.price_style
    if offer.quote_type == 1:
        # Priced per SKU: ONE entry, the lowest SKU price, whatever the SKUs say.
        low = min(price for *_, price in skus)
        return [
            {"startQuantity": offer.moq, "price": price_text(low, style), "promotionPrice": None}
        ]
    ratio = None if offer.promotion_fen is None else offer.promotion_fen / offer.tiers[0].price_fen
    return [
        {
            "startQuantity": tier.start,
            "price": price_text(tier.price_fen, style),
            "promotionPrice": None
            if ratio is None
            else price_text(max(1, round(tier.price_fen * ratio)), 0),
        }
        for tier in offer.tiers
    ]


def _sku_json(offer: Offer, sku: tuple[int, str, str, str, int], stock: int) -> Json:
    sku_id, name, value, value_en, price = sku
    per_sku = offer.quote_type == 1
    consign = -(-(price if per_sku else offer.tiers[0].price_fen) * offer.consign_permille // 1000)
    return {
        "amountOnSale": stock,
        # quoteType 2: SKU prices are null, only consignPrice is set.
        "price": price_text(price, offer.price_style) if per_sku else None,
        "jxhyPrice": None,
        "skuId": sku_id,
        "specId": _spec_id(sku_id),
        "skuAttributes": [
            {
                "attributeId": 3216 if name == "颜色" else 450,
                "attributeName": name,
                "attributeNameTrans": "Color" if name == "颜色" else "Size",
                "value": value,
                "valueTrans": value_en,
                "skuImageUrl": None,
            }
        ],
        "pfJxhyPrice": None,
        "consignPrice": price_text(consign, offer.price_style),
        "cargoNumber": f"FF-{offer.offer_id % 100000:05d}-{value}",
        "promotionPrice": None,
    }


def _shipping(offer: Offer, skus: list[tuple[int, str, str, str, int]]) -> Json:
    rng = random.Random(offer.offer_id + 2)
    size = (rng.randint(10, 60), rng.randint(5, 40), rng.randint(1, 30))
    measured = rng.random() < 0.4
    length, width, height = size if measured else (0, 0, 0)
    seller = offer.seller
    province = "" if seller.province == seller.city else seller.province + "省"
    return {
        # Province and city only: the street address is not sent.
        "sendGoodsAddressText": f"{province}{seller.city}市",
        "weight": None,
        "width": None,
        "height": None,
        "length": None,
        # Grams (an int) in this list when present, kilograms in the next one.
        "skuShippingInfoList": [
            {
                "specId": _spec_id(sku_id),
                "skuId": sku_id,
                "width": width,
                "length": length,
                "height": height,
                "weight": round(offer.weight_kg * 1000),
            }
            for sku_id, *_ in skus
        ]
        if measured
        else None,
        "shippingTimeGuarantee": "shipIn48Hours" if offer.ship_in_48h else "shipIn72Hours",
        "skuShippingDetails": [
            {
                "skuId": str(sku_id),  # a string here, a number everywhere else
                "width": width,
                "length": length,
                "height": height,
                "weight": offer.weight_kg,
                "pkgSizeSource": "商家自填",
            }
            for sku_id, *_ in skus
        ],
        "pkgSizeSource": None,
    }


def seller_open_id(offer: Offer) -> str:
    """The opaque seller id of the detail (the only seller identity it carries)."""
    digest = hashlib.sha1(offer.seller.member_id.encode()).digest()
    return "BBB" + base64.urlsafe_b64encode(digest).decode()[:22]


def detail(catalog: Catalog, offer: Offer, base_url: str) -> Json:
    """The ``product.search.queryProductDetail`` result object, shaped like the live captures."""
    product = catalog.products[offer.product]
    ladder = _text_ladder(catalog, offer)
    picture = base_url + "/img/ibank/" + cdn_path(offer).rsplit("/", 1)[1]
    skus = _skus(catalog, offer)
    rng = random.Random(offer.offer_id + 3)
    mix = rng.random() < 0.6
    return {
        "offerId": offer.offer_id,
        "categoryId": product.kind.third_id,
        "categoryName": None,
        "topCategoryId": product.top.top_id,
        "secondCategoryId": product.second.second_id,
        "thirdCategoryId": product.kind.third_id,
        "subject": offer.subject,
        "subjectTrans": offer.subject_en,
        "description": _description(offer, ladder),
        "mainVideo": None,
        "detailVideo": None,
        "productImage": {"images": [picture]},
        "productAttribute": _attributes(catalog, offer),
        "productSkuInfos": [_sku_json(offer, sku, offer.stock // len(skus)) for sku in skus],
        "productSaleInfo": {
            "priceRanges": None,
            "amountOnSale": offer.stock,
            "priceRangeList": _price_ranges(offer, skus),
            "quoteType": offer.quote_type,
            "consignPrice": None,
            "jxhyPrice": None,
            "unitInfo": {
                "unit": product.kind.unit,
                "transUnit": _UNITS_EN.get(product.kind.unit, "piece"),
            },
        },
        "productShippingInfo": _shipping(offer, skus),
        "sellerOpenId": seller_open_id(offer),
        "sellerDataInfo": seller_data(offer.seller, with_tp_year=False),
        "sellerMixSetting": {
            "isGeneralHunpi": None,
            "mixAmount": rng.choice((100, 500, 1000)),
            "mixNumber": rng.choice((2, 3, 5)),
            "generalHunpi": True,
        }
        if mix
        else None,
        "status": "published",
        "soldOut": str(offer.month_sold * 7),  # a string, as captured
        "tagInfoList": [
            {"key": "isOnePsale", "value": offer.one_psale},
            {"key": "isSupportMix", "value": mix},
        ],
        "isJxhy": offer.jxhy,
        "minOrderQuantity": offer.moq,
        "batchNumber": None,
        "productCargoNumber": f"FF-{offer.offer_id % 100000:05d}",
        "channelPrice": None,
        "promotionModel": {"hasPromotion": True, "promotionType": "plus"}
        if offer.promotion_fen is not None
        else None,
        "tradeScore": offer.seller.trade_score,
        "sellingPoint": None,
        "offerIdentities": ["tp_member"] if "tp_member" in offer.seller.identities else [],
        "createDate": offer.created.strftime("%Y-%m-%d %H:%M:%S"),
        "traceInfo": f"object_id@{offer.offer_id}^object_type@offer",
    }


def _fen_number(fen: int) -> float:
    # The older API sends Java doubles; fen / 100 prints back as exactly two decimals.
    return fen / 100


def product_info(catalog: Catalog, offer: Offer, base_url: str) -> Json:
    """The ``alibaba.product.get`` ``productInfo`` object."""
    product = catalog.products[offer.product]
    ladder = _text_ladder(catalog, offer)
    created = offer.created.strftime("%Y%m%d%H%M%S000+0800")
    return {
        "productID": offer.offer_id,
        "productType": "wholesale",
        "categoryID": product.kind.third_id,
        "categoryName": product.kind.name_zh,
        "subject": offer.subject,
        "description": _description(offer, ladder),
        "language": "CHINESE",
        "status": "published",
        "bizType": offer.biz_type,
        "pictureAuth": False,
        "image": {"images": [base_url + image_path(offer.offer_id)]},
        "skuInfos": [
            {
                "skuId": sku_id,
                "specId": f"{sku_id:x}",
                "price": _fen_number(price),
                "amountOnSale": offer.stock // 4,
                "attributes": [{"attributeID": 3216, "attributeValue": value, "skuImageUrl": None}],
            }
            for sku_id, _, value, _, price in _skus(catalog, offer)
        ],
        "saleInfo": {
            "supportOnlineTrade": True,
            "mixWholeSale": True,
            "priceAuth": False,
            "priceRanges": []
            if ladder
            else [
                {"startQuantity": tier.start, "price": _fen_number(tier.price_fen)}
                for tier in offer.tiers
            ],
            "amountOnSale": float(offer.stock),
            "unit": product.kind.unit,
            "minOrderQuantity": offer.moq,
            "quoteType": 1 if ladder else 0,
        },
        "shippingInfo": {
            "unitWeight": offer.weight_kg,
            "handlingTime": 2 if offer.ship_in_48h else 5,
        },
        "attributes": [
            {
                "attributeID": int(item["attributeId"]),
                "attributeName": item["attributeName"],
                "value": item["value"],
                "isCustom": item["attributeName"] == "价格说明",
            }
            for item in _attributes(catalog, offer)
        ],
        "supplierLoginId": offer.seller.login_id,
        "createTime": created,
        "lastUpdateTime": created,
    }
