"""1688 JSON → our protobuf types, in this one module.

Written against real bodies (``../shared/real-1688/``, replayed by the tests),
not only the documentation. Tolerant where 1688 is loose: prices as strings of
any scale (``"57"``, ``"57.00"``) or integer fen, rates as ``"13%"`` or a
fraction string, ids as numbers or strings, ``success`` as ``true`` or
``"true"``, either 1688's envelope or a relay's ``{success|code, data}``;
fields a live row lacks (company name, minimum order ...) stay empty, never
guessed, and so do values that cannot be right (a count of ``"NaN"``, a price
Money cannot hold exactly); unknown fields are ignored, a ``null`` row skipped.
1688 sends no similarity: an offer's relevance is its position in the
upstream's order (``upstream_rank``, set by :func:`parse_search_page`). Strict
where a reply cannot be used: a body that is not JSON, a result of the wrong
shape or an offer row that is neither an object nor ``null`` raise
:class:`UpstreamMalformed` (UNAVAILABLE with its reason). Numbers are
decoded as ``Decimal``, so no price ever passes through a float.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from factoryfinder.v1 import common_pb2

from services.gateway.offers import price_ladder
from services.gateway.upstream.errors import MESSAGE_KEYS, UpstreamMalformed, business_error
from shared.money import PriceTier, fen_to_yuan, fits_money, to_money

QUERY_DETAIL_API = "product.search.queryProductDetail"
PRODUCT_GET_API = "alibaba.product.get"
_DESCRIPTION_LIMIT = 4000
PRICE_NOTE = "价格说明"
_OFFER_URL = "https://detail.1688.com/offer/{}.html"
# alibaba.product.get names images by their path on 1688's image host.
_IMAGE_HOST = "https://cbu01.alicdn.com/"
# An identity code such as "super_factory"; 1688's documentation sample puts the whole legend
# ("super_factory-超级工厂 powerful_merchants-实力商家 ...") in one string, which is no code.
_IDENTITY_CODE = re.compile(r"[A-Za-z0-9_]+")
# An amount in plain ASCII digits, which needs none of price_ladder's folding.
_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# ``code`` values read as success when a body sends no ``success``: 1688's "200" (the real
# captures), and 0 and "S0000", which other relays' envelopes use for success.
_SUCCESS_CODES = {"200", "0", "S0000"}
# The narrowest count on the wire (years on the platform, biz and quote types) is an int32.
_MAX_COUNT = 2**31 - 1
# Highlight tags a search engine may put around the matched words (``<em>T恤</em>``); not in
# our captures, dropped so a title never shows markup.
_HIGHLIGHT = re.compile(r"</?(?:em|b|strong|font|span|i)\b[^>]*>", re.IGNORECASE)
# 1688's image CDN serves https on every host; other hosts (the sandbox) keep their scheme.
_CDN_DOMAIN = "alicdn.com"
# A host name then a path, as in "https://cbu01.alicdn.com/O1CN01....jpg".
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+/")
# Offer ids are 12 digits today; a number far longer is kept as sent.
_ID_DIGITS = 30


@dataclass
class SearchPage:
    """One page of image-search results."""

    offers: list[common_pb2.Offer]
    total_records: int
    total_pages: int
    current_page: int
    page_size: int
    skipped_rows: int = 0
    # picRegionInfo as sent: the box searched ("x0,x1,y0,y1") and the boxes seen ("b1;b2").
    searched_region: str = ""
    seen_regions: str = ""


# --- envelopes ----------------------------------------------------------------------


def decode_body(api: str, raw: bytes) -> Any:
    """JSON with every non-integer number as Decimal; UpstreamMalformed otherwise."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise UpstreamMalformed(api, "body is not JSON") from None


def is_true(value: Any) -> bool:
    """``true``, ``"true"``, ``1`` or ``"1"`` (1688 sends booleans either way)."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return value is True or value == 1


def unwrap_result(api: str, body: Any, *, image_api: bool = False) -> Any:
    """The payload of a successful business reply; the business error otherwise.

    Newer APIs answer ``{"result": {"success", "code", "message", "result": payload}}``
    (without ``success``, its ``code`` says); older ones put the payload at
    the top level with an optional ``success``, or under ``result``; a relay (dajisaas)
    answers ``{"success": true | "code": 200, "message", "data": payload}``. Without a
    ``success``, a ``code`` other than a success code (``200``, ``0``, ``S0000``) is a
    refusal, wherever the payload is.
    """
    if not isinstance(body, Mapping):
        raise UpstreamMalformed(api, "body is not a JSON object")
    envelope = body.get("result")
    if isinstance(envelope, Mapping) and _is_envelope(envelope):
        _refuse_unless_ok(api, envelope, image_api)
        return envelope.get("result")
    _refuse_unless_ok(api, body, image_api)
    if _relayed(body):
        return body.get("data")
    if isinstance(envelope, Mapping) and "data" not in body:
        return envelope
    return body


def _is_envelope(value: Mapping[str, Any]) -> bool:
    """1688's ``{"success", "code", "message", "result"}`` (not a payload held in ``result``)."""
    return "success" in value or ("code" in value and ("message" in value or "result" in value))


def _refuse_unless_ok(api: str, holder: Mapping[str, Any], image_api: bool) -> None:
    code = _str(_first(holder, "code", "errorCode", "error_code"))
    if "success" in holder:
        failed = not is_true(holder.get("success"))
    else:
        failed = "code" in holder and code not in _SUCCESS_CODES
    if failed:
        message = _str(_first(holder, *MESSAGE_KEYS))
        raise business_error(api, code, message, image_api)


def _relayed(body: Mapping[str, Any]) -> bool:
    """A relay's envelope: ``data`` is the payload object (a search payload's ``data`` is a list)."""
    data = body.get("data")
    return (data is None or isinstance(data, Mapping)) and (
        "data" in body and ("success" in body or "code" in body)
    )


# --- scalar fields ------------------------------------------------------------------


def _str(value: Any) -> str:
    # Strings and numbers first: they need no abstract-class (Mapping) check.
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if value is None or isinstance(value, Mapping | list):
        return ""
    return str(value).strip()


def _whole(value: Any) -> int | None:
    """A count such as ``12``, ``"1,200"``, ``"1000+"`` or ``"1.2万"``; None if unreadable,
    negative or beyond an int32 (``"NaN"``, ``"1e100"``: no count)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 <= value <= _MAX_COUNT else None
    text = price_ladder.normalize_text(str(value)).replace(",", "").rstrip("+")
    scale = 10_000 if text.endswith("万") else 1
    try:
        number = Decimal(text.removesuffix("万")) * scale
    except ArithmeticError:
        return None
    return int(number) if number.is_finite() and 0 <= number <= _MAX_COUNT else None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    # A score or weight goes out as a double: none beyond what a double holds ("1e400").
    return number if number.is_finite() and math.isfinite(float(number)) else None


def parse_rate(value: Any) -> float | None:
    """``"13%"`` → 0.13, ``"0.13"`` → 0.13, ``13`` → 0.13; None when unreadable."""
    text = _str(value)
    percent = text.endswith("%")
    number = _number(text.removesuffix("%"))
    if number is None or number < 0:
        return None
    if percent or number > 1:
        number /= 100
    return float(min(number, Decimal(1)))


def parse_yuan(value: Any) -> Decimal | None:
    """A listed price in yuan; for a range like ``"12.50-18"`` its lowest end."""
    text = _str(value) if not isinstance(value, int | Decimal) else str(value)
    if not text:
        return None
    if _PLAIN_AMOUNT.fullmatch(text):
        # How prices mostly come ("20.50", "57"): read as _yuan_text reads them, without
        # its NFKC folding and three regular expressions (a third of a page's parse).
        amount = Decimal(text)
        return amount if amount > 0 and fits_money(amount) else None
    return _yuan_text(text)


def _yuan_text(text: str) -> Decimal | None:
    """Any price text: full-width forms, a currency sign, a range."""
    lowest = re.split(r"\s*[-~]\s*", price_ladder.normalize_text(text))[0]
    try:
        amount = price_ladder.parse_amount(lowest)
    except ValueError:
        return None
    return amount if amount > 0 else None


def parse_fen(value: Any) -> Decimal | None:
    """An integer fen price (older APIs) in yuan."""
    fen = _whole(value)
    return fen_to_yuan(fen) if fen is not None and fen > 0 else None


def ladder_to_proto(tiers: Sequence[PriceTier]) -> list[common_pb2.PriceTier]:
    return [
        common_pb2.PriceTier(
            min_quantity=tier.min_quantity,
            max_quantity=tier.max_quantity or 0,
            unit_price=to_money(tier.unit_price),
        )
        for tier in tiers
    ]


def _ladder(rows: Any) -> list[PriceTier]:
    """A structured ladder; a malformed one is dropped (the listed price still stands)."""
    if isinstance(rows, str):
        parse: Any = price_ladder.parse_text
    elif isinstance(rows, list):
        parse = price_ladder.parse_structured
    else:
        return []
    try:
        tiers: list[PriceTier] = parse(rows)
    except price_ladder.LadderParseError:
        return []
    return tiers


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if type(value) is dict or isinstance(value, Mapping) else {}


def _first(row: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = row.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


# --- offers -------------------------------------------------------------------------


def _categories(row: Mapping[str, Any]) -> list[str]:
    path = [
        _str(row.get(name)) for name in ("topCategoryId", "secondCategoryId", "thirdCategoryId")
    ]
    path = [category for category in path if category and category != "0"]
    if not path:
        single = _str(_first(row, "categoryId", "categoryID"))
        path = [single] if single and single != "0" else []
    return path


def _identities(value: Any) -> list[str]:
    """Identity codes (``["super_factory", "tp_member"]``); anything that is not a code is dropped."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    codes = [_str(item) for item in value]
    return [code for code in codes if _IDENTITY_CODE.fullmatch(code)]


def _supplier(row: Mapping[str, Any]) -> common_pb2.Supplier:
    seller = _mapping(row.get("sellerDataInfo"))
    supplier = common_pb2.Supplier(
        id=_str(
            _first(row, "sellerOpenId", "sellerId", "memberId", "sellerLoginId", "supplierLoginId")
        ),
        company_name=_str(_first(row, "companyName", "supplierName")),
        province=_str(row.get("province")),
        city=_str(row.get("city")),
        address=_str(_first(row, "companyAddress", "address", "location")),
        years_on_platform=_whole(_first(seller, "tpYear") or row.get("tpYear")) or 0,
        seller_identities=_identities(row.get("sellerIdentities")),
    )
    score = _number(_first(row, "tradeScore") or seller.get("tradeScore"))
    if score is not None:
        supplier.trade_score = float(score)
    return supplier


def _listed_price(row: Mapping[str, Any]) -> Decimal | None:
    info = _mapping(row.get("priceInfo"))
    for value in (info.get("price"), info.get("promotionPrice"), row.get("price")):
        price = parse_yuan(value)
        if price is not None:
            return price
    return parse_fen(row.get("oldPrice"))


def _image_url(value: Any) -> str:
    """An absolute http(s) URL, https on 1688's CDN: ``//host/...`` and ``http://`` CDN links
    become https, a path ``img/...`` is put on the CDN; anything else (no scheme, another
    scheme, a placeholder such as ``"图片url"``) is no URL."""
    url = _str(value)
    if url.startswith("https://") and _PLAIN_HOST.match(url, 8):
        return url  # how live rows send it: nothing to split or change
    if url.startswith(("img/", "/img/")):
        return _IMAGE_HOST + url.lstrip("/")
    url = "https:" + url if url.startswith("//") else url
    try:
        parts = urlsplit(url)
    except ValueError:  # such as an unclosed "[" of an IPv6 host
        return ""
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return ""
    on_cdn = host == _CDN_DOMAIN or host.endswith("." + _CDN_DOMAIN)
    return ("https" if on_cdn else parts.scheme) + url[len(parts.scheme) :]


def _title(value: Any) -> str:
    """A title as shown: HTML entities decoded and highlight tags dropped (``&amp;``,
    ``Men&#39;s``, ``<em>``); any other text as sent."""
    text = _str(value)
    if "&" not in text and "<" not in text:
        return text
    return " ".join(html.unescape(_HIGHLIGHT.sub("", text)).split())


def _identifier(value: Any) -> str:
    """An id sent as a number or a string; ``0``, ``true`` and the like are no id."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        # 727920485853.0 is offer 727920485853 (a bound keeps "1E+999999" from being spelt out).
        value = int(value) if value.adjusted() < _ID_DIGITS else value
    text = _str(value)
    return "" if text.strip("0") == "" else text


def parse_offer(api: str, row: Any, rank: int = 0) -> common_pb2.Offer | None:
    """One row (``rank``: its 1-based place in the upstream's order); None without an offer id."""
    if type(row) is not dict and not isinstance(row, Mapping):
        raise UpstreamMalformed(api, "an offer is not a JSON object")
    offer_id = _identifier(_first(row, "offerId", "offerID", "productID", "id"))
    if not offer_id:
        return None
    categories = _categories(row)
    offer = common_pb2.Offer(
        offer_id=offer_id,
        title=_title(row.get("subject")),
        title_translated=_title(row.get("subjectTrans")),
        image_url=_image_url(_first(row, "imageUrl", "picUrl")),
        upstream_rank=rank,
        min_order=_whole(_first(row, "minOrderQuantity", "quantityBegin")) or 0,
        month_sold=_whole(row.get("monthSold")) or 0,
        category_id=categories[-1] if categories else "",
        category_path=categories,
        supplier=_supplier(row),
        detail_url=_str(row.get("detailUrl")) or _OFFER_URL.format(offer_id),
    )
    price = _listed_price(row)
    if price is not None:
        offer.price.CopyFrom(to_money(price))
    # The offer's own rate only: sellerDataInfo's repeatPurchasePercent is the seller's
    # (OfferDetail.seller_scores carries it).
    rate = parse_rate(row.get("repurchaseRate"))
    if rate is not None:
        offer.repurchase_rate = rate
    offer.price_ladder.extend(
        ladder_to_proto(_ladder(_first(row, "priceRangeList", "priceRanges")))
    )
    return offer


def parse_search_page(api: str, payload: Any, first_rank: int = 1) -> SearchPage:
    """``result.result`` of imageQuery: ``{totalRecords, totalPage, currentPage, data}``.

    The rows are in the engine's relevance order; row ``i`` (from 0) gets the upstream
    rank ``first_rank + i`` (a skipped row keeps its place).
    """
    if payload is None:
        return SearchPage([], 0, 0, 1, 0)
    if not isinstance(payload, Mapping):
        raise UpstreamMalformed(api, "search result is not an object")
    rows = payload.get("data", [])
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise UpstreamMalformed(api, "search result data is not a list")
    # A null row is no offer (skipped, keeping its place); a row of another type is a shape
    # we do not know (parse_offer refuses it).
    parsed = [
        None if row is None else parse_offer(api, row, first_rank + index)
        for index, row in enumerate(rows)
    ]
    offers = [offer for offer in parsed if offer is not None]
    regions = _mapping(payload.get("picRegionInfo"))
    return SearchPage(
        offers=offers,
        total_records=_whole(payload.get("totalRecords")) or len(offers),
        total_pages=_whole(payload.get("totalPage")) or 0,
        current_page=_whole(payload.get("currentPage")) or 1,
        page_size=_whole(payload.get("pageSize")) or len(rows),
        skipped_rows=len(parsed) - len(offers),
        searched_region=_str(regions.get("currentRegion")),
        seen_regions=_str(regions.get("yoloCropRegion")),
    )


def parse_image_id(api: str, payload: Any) -> str | None:
    """The imageId of an upload; None when the image was refused (``"0"`` or none)."""
    if isinstance(payload, Mapping):
        payload = _first(payload, "imageId", "result")
    if payload is not None and (isinstance(payload, bool) or not isinstance(payload, str | int)):
        raise UpstreamMalformed(api, "imageId is not a string")
    image_id = _str(payload)
    return None if image_id in ("", "0") else image_id


# --- details ------------------------------------------------------------------------

# sellerDataInfo's scores (strings upstream) → SellerScores fields.
_SCORES = {
    "compositeServiceScore": "composite_service_score",
    "logisticsExperienceScore": "logistics_experience_score",
    "disputeComplaintScore": "dispute_complaint_score",
    "offerExperienceScore": "offer_experience_score",
    "afterSalesExperienceScore": "after_sales_experience_score",
    "consultingExperienceScore": "consulting_experience_score",
}
_GRAMS_PER_KG = Decimal(1000)


def _plain_text(value: Any) -> str:
    """Description HTML as trimmed plain text (used for customization words)."""
    text = re.sub(r"<[^>]+>", " ", _str(value))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()[:_DESCRIPTION_LIMIT]


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _weight_kg(info: Mapping[str, Any], shipping: Mapping[str, Any]) -> float:
    """Unit weight in kg: the offer's own, else the heaviest SKU's (freight is planned on it).

    The SKU lists disagree on units in one real body: ``skuShippingDetails`` in kg (0.2),
    ``skuShippingInfoList`` in grams (200) for the same SKUs.
    """
    for value in (shipping.get("unitWeight"), shipping.get("weight"), info.get("unitWeight")):
        number = _number(value)
        if number is not None and number > 0:
            return float(number)
    for key, scale in (("skuShippingDetails", Decimal(1)), ("skuShippingInfoList", _GRAMS_PER_KG)):
        weights = [_number(row.get("weight")) for row in _rows(shipping.get(key))]
        known = [weight for weight in weights if weight is not None and weight > 0]
        if known:
            return float(max(known) / scale)
    return 0.0


def _attributes(value: Any) -> list[common_pb2.ProductAttribute]:
    """``productAttribute`` (queryProductDetail) or ``attributes`` (alibaba.product.get)."""
    pairs = [(_str(row.get("attributeName")), _str(row.get("value"))) for row in _rows(value)]
    return [common_pb2.ProductAttribute(name=n, value=v) for n, v in pairs if n and v]


def _attribute(attributes: Sequence[common_pb2.ProductAttribute], name: str) -> str:
    """The value of a product attribute by its (Chinese) name, e.g. 价格说明 (price note)."""
    return next((item.value for item in attributes if item.name == name), "")


def _seller_scores(value: Any) -> common_pb2.SellerScores | None:
    data = _mapping(value)
    if not data:
        return None
    scores = common_pb2.SellerScores(trade_medal_level=_whole(data.get("tradeMedalLevel")) or 0)
    for key, field in _SCORES.items():
        number = _number(data.get(key))
        if number is not None and number >= 0:
            setattr(scores, field, float(number))
    repeat = parse_rate(data.get("repeatPurchasePercent"))
    refunds = parse_rate(data.get("qualityRefundWithin30Day"))
    scores.repeat_purchase_rate = repeat or 0.0
    scores.quality_refund_rate_30d = refunds or 0.0
    return scores


def _sku_prices(info: Mapping[str, Any]) -> list[Decimal]:
    """Each SKU's own price; ``null`` with quoteType 2 (its consignPrice is the drop-ship price)."""
    skus = _rows(_first(info, "productSkuInfos", "skuInfos"))
    prices = [parse_yuan(row.get("price")) for row in skus]
    return [price for price in prices if price is not None]


def _detail_offer(
    api: str, info: Mapping[str, Any], sale: Mapping[str, Any], shipping: Mapping[str, Any]
) -> common_pb2.Offer:
    offer = parse_offer(api, info)
    if offer is None:
        raise UpstreamMalformed(api, "detail has no offer id")
    attributes = _attributes(_first(info, "productAttribute", "attributes"))
    tiers = _ladder(_first(sale, "priceRangeList", "priceRanges") or info.get("priceRangeList"))
    if not tiers:
        # Sellers who price per SKU often publish the ladder as text in a "price note".
        note = _attribute(attributes, PRICE_NOTE)
        tiers = _ladder(note) if note else []
    min_order = _whole(_first(sale, "minOrderQuantity") or info.get("minOrderQuantity")) or 0
    quote = _whole(sale.get("quoteType"))
    detail = common_pb2.OfferDetail(
        status=common_pb2.DETAIL_STATUS_AVAILABLE,
        source_api=api,
        min_order=min_order,
        biz_type=_whole(info.get("bizType")) or 0,
        unit_weight_kg=_weight_kg(info, shipping),
        description=_plain_text(info.get("description")),
        quote_type=-1 if quote is None else quote,
        attributes=attributes,
        offer_identities=_identities(info.get("offerIdentities")),
    )
    detail.price_ladder.extend(ladder_to_proto(tiers))
    scores = _seller_scores(info.get("sellerDataInfo"))
    if scores is not None:
        detail.seller_scores.CopyFrom(scores)
    sku_prices = _sku_prices(info)
    if sku_prices:
        detail.sku_price_min.CopyFrom(to_money(min(sku_prices)))
        detail.sku_price_max.CopyFrom(to_money(max(sku_prices)))
    offer.detail.CopyFrom(detail)
    if not offer.price_ladder:
        offer.price_ladder.extend(ladder_to_proto(tiers))
    if not offer.min_order:
        offer.min_order = min_order
    lowest = [tier.unit_price for tier in tiers] or sku_prices
    if not offer.HasField("price") and lowest:
        offer.price.CopyFrom(to_money(min(lowest)))
    if not offer.image_url:
        offer.image_url = _main_image(info)
    if not offer.supplier.address:
        offer.supplier.address = _str(shipping.get("sendGoodsAddressText"))
    return offer


def _main_image(info: Mapping[str, Any]) -> str:
    for holder in (info.get("productImage"), info.get("image")):
        images = _mapping(holder).get("images")
        if isinstance(images, list) and images:
            return _image_url(images[0])
    return ""


def parse_query_detail(payload: Any) -> common_pb2.Offer:
    """queryProductDetail's result: the offer with its detail."""
    api = QUERY_DETAIL_API
    if not isinstance(payload, Mapping):
        raise UpstreamMalformed(api, "detail is not an object")
    info = _mapping(payload.get("productInfo")) or payload
    return _detail_offer(
        api, info, _mapping(info.get("productSaleInfo")), _mapping(info.get("productShippingInfo"))
    )


def parse_product_get(payload: Any) -> common_pb2.Offer:
    """alibaba.product.get's body: ``{"productInfo": {saleInfo, bizType, ...}}``."""
    api = PRODUCT_GET_API
    if not isinstance(payload, Mapping) or not isinstance(payload.get("productInfo"), Mapping):
        raise UpstreamMalformed(api, "productInfo is missing")
    info = payload["productInfo"]
    return _detail_offer(
        api, info, _mapping(info.get("saleInfo")), _mapping(info.get("shippingInfo"))
    )


# --- system -------------------------------------------------------------------------


def parse_server_time_ms(api: str, body: Any) -> int:
    """system/currentTime: epoch ms, or 1688's ``yyyyMMddHHmmssSSS+0800`` text."""
    value = body
    while isinstance(value, Mapping):
        value = _first(value, "result", "currentTime", "time")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _str(value)
    if text.isdigit() and len(text) == 13:
        return int(text)
    try:
        return int(parse_1688_time(text).timestamp() * 1000)
    except ValueError:
        raise UpstreamMalformed(api, "server time is unreadable") from None


def parse_1688_time(text: str) -> datetime:
    """``20240610123456000+0800`` (1688's format; China time when the zone is missing)."""
    stripped = text.strip()
    if stripped.isdigit():
        stripped += "+0800"
    return datetime.strptime(stripped, "%Y%m%d%H%M%S%f%z")
