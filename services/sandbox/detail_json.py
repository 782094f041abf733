"""The JSON shapes of the detail APIs.

``product.search.queryProductDetail`` (:func:`detail`)
    ``productSaleInfo{priceRangeList[{startQuantity (number), price (string)}],
    quoteType, amountOnSale, unitInfo{unit, transUnit}}``, ``minOrderQuantity``,
    ``companyName``, ``sellerDataInfo`` (as in search rows), ``productSkuInfos[]``,
    ``productAttribute[]``, ``productShippingInfo{weight (kg, number),
    length/width/height (cm), sendGoodsAddressText, shippingTimeGuarantee}``.
    The company's full street address is ``productShippingInfo.
    sendGoodsAddressText`` ("浙江省金华市永康市工业路88号恒达工业园3栋").
    Resellers who write their ladder as text have ``priceRangeList: []``,
    ``quoteType: 1`` (priced per SKU) and the ladder in the
    ``productAttribute`` named "价格说明" and in ``description`` (formats in
    ``price_ladders``).

``alibaba.product.get`` (:func:`product_info`)
    ``productInfo{productID, bizType (1 goods, 2 processing, 3 agency, 4
    cooperation), saleInfo{priceRanges[{startQuantity, price (number)}],
    minOrderQuantity, quoteType, unit, amountOnSale}, skuInfos[],
    attributes[], shippingInfo{unitWeight}, subject, description, ...}``.
    Prices here are JSON numbers, as this older API's Java doubles are; text
    ladders again leave ``priceRanges`` empty (``quoteType`` 1).
"""

from __future__ import annotations

import random
from typing import Any

from services.sandbox.catalog import Catalog, Offer
from services.sandbox.offer_json import image_path, seller_data
from services.sandbox.price_ladders import ladder_text, yuan

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


def _attributes(catalog: Catalog, offer: Offer) -> list[Json]:
    product = catalog.products[offer.product]
    material_zh, material_en = random.Random(offer.offer_id).choice(_MATERIALS[product.top.key])
    pairs = [
        (1, "材质", "Material", material_zh, material_en),
        (2, "产地", "Origin", offer.seller.city, offer.seller.city),
        (
            3,
            "货号",
            "Item number",
            f"FF-{offer.offer_id % 100000:05d}",
            f"FF-{offer.offer_id % 100000:05d}",
        ),
    ]
    ladder = _text_ladder(catalog, offer)
    if ladder is not None:
        pairs.append((9, "价格说明", "Price note", ladder, ladder))
    return [
        {
            "attributeId": str(aid),
            "attributeName": zh_name,
            "value": zh,
            "attributeNameTrans": en_name,
            "valueTrans": en,
        }
        for aid, zh_name, en_name, zh, en in pairs
    ]


def _skus(catalog: Catalog, offer: Offer) -> list[tuple[int, str, str, str, int]]:
    """(skuId, attribute name, value, English value, price in fen) per SKU."""
    rng = random.Random(offer.offer_id + 1)
    product = catalog.products[offer.product]
    first = offer.tiers[0].price_fen
    if product.top.key == "apparel":
        values = [(size, size) for size in _SIZES[: rng.randint(2, 5)]]
        name = "尺码"
    else:
        values = rng.sample(_COLOURS, rng.randint(2, 4))
        name = "颜色"
    return [
        (
            offer.offer_id * 10 + i,
            name,
            zh,
            en,
            first if offer.text_ladder_style is None else first + i,
        )
        for i, (zh, en) in enumerate(values)
    ]


def _description(offer: Offer, ladder: str | None) -> str:
    extra = f"<p>批发价格：{ladder}</p>" if ladder else ""
    return f"<p>{offer.subject}</p>{extra}<p>支持混批，量大从优。</p>"


def detail(catalog: Catalog, offer: Offer, base_url: str) -> Json:
    """The ``product.search.queryProductDetail`` result object."""
    product = catalog.products[offer.product]
    ladder = _text_ladder(catalog, offer)
    url = base_url + image_path(offer.offer_id)
    ranges = (
        []
        if ladder
        else [
            {"startQuantity": tier.start, "price": yuan(tier.price_fen), "promotionPrice": None}
            for tier in offer.tiers
        ]
    )
    rng = random.Random(offer.offer_id + 2)
    return {
        "offerId": offer.offer_id,
        "categoryId": product.kind.third_id,
        "topCategoryId": product.top.top_id,
        "secondCategoryId": product.second.second_id,
        "thirdCategoryId": product.kind.third_id,
        "subject": offer.subject,
        "subjectTrans": offer.subject_en,
        "description": _description(offer, ladder),
        "productImage": {
            "images": [url],
            "whiteImage": url if product.look.scene == "white" else None,
        },
        "productAttribute": _attributes(catalog, offer),
        "productSkuInfos": [
            {
                "skuId": sku_id,
                "specId": f"{sku_id:x}",
                "price": yuan(price),
                "consignPrice": yuan(-(-price * 105 // 100)),
                "amountOnSale": offer.stock // 4,
                "skuAttributes": [
                    {
                        "attributeId": 3216,
                        "attributeName": name,
                        "attributeNameTrans": "Spec",
                        "value": value,
                        "valueTrans": value_en,
                        "skuImageUrl": None,
                    }
                ],
            }
            for sku_id, name, value, value_en, price in _skus(catalog, offer)
        ],
        "productSaleInfo": {
            "amountOnSale": offer.stock,
            "priceRangeList": ranges,
            "quoteType": 1 if ladder else 0,
            "unitInfo": {
                "unit": product.kind.unit,
                "transUnit": _UNITS_EN.get(product.kind.unit, "piece"),
            },
        },
        "productShippingInfo": {
            "sendGoodsAddressText": offer.seller.address,
            "weight": offer.weight_kg,
            "length": rng.randint(10, 60),
            "width": rng.randint(5, 40),
            "height": rng.randint(2, 30),
            "shippingTimeGuarantee": "shipIn48Hours" if offer.ship_in_48h else None,
        },
        "isJxhy": False,
        "sellerOpenId": f"BBB{offer.seller.member_id[4:]}",
        "minOrderQuantity": offer.moq,
        "status": "published",
        "tagInfoList": [{"key": "isOnePsale", "value": offer.one_psale}],
        "traceInfo": f"object_id@{offer.offer_id}^object_type@offer",
        "companyName": offer.seller.name,
        "sellerDataInfo": seller_data(offer.seller),
        "tradeScore": offer.seller.trade_score,
        "soldOut": offer.month_sold * 7,
        "createDate": offer.created.strftime("%Y-%m-%d %H:%M:%S"),
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
                "isCustom": item["attributeId"] == "9",
            }
            for item in _attributes(catalog, offer)
        ],
        "supplierLoginId": offer.seller.login_id,
        "createTime": created,
        "lastUpdateTime": created,
    }
