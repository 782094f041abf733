"""``offerQueryParam``: parsing it, filtering, sorting and paging the ranked catalog.

The engine orders the whole catalog by relevance (``relevance``), applies ``categoryId`` (any
of the three levels), ``priceStart``/``priceEnd`` (on the listed price, the
first tier), ``filter`` (``certifiedFactory``, ``shipIn48Hours``,
``isOnePsale``; unknown names are ignored) and ``keyword`` (narrows the
results to offers whose title, Chinese or English, contains it: "纯棉",
"不锈钢"), and ``region`` ("x0,x1,y0,y1" in pixels of the uploaded image:
the search runs on that crop, ``uploads``), keeps the best ``max_results`` and then sorts
them if ``sort`` asks (``{"price": "asc"|"desc"}``, ``monthSold``,
``rePurchaseRate``). Numbers may come as JSON numbers or strings. ``country``
is accepted and ignored: ``subjectTrans`` is always English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt

from services.sandbox.catalog.model import Catalog

Indices = npt.NDArray[np.int64]


class QueryError(ValueError):
    """A business-level refusal of the query parameters (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class OfferColumns:
    """Per-offer values the filters need, as arrays in catalog order."""

    top: npt.NDArray[np.int64]
    second: npt.NDArray[np.int64]
    third: npt.NDArray[np.int64]
    price_fen: npt.NDArray[np.int64]
    month_sold: npt.NDArray[np.int64]
    repurchase: npt.NDArray[np.int64]
    flags: dict[str, npt.NDArray[np.bool_]]
    text: tuple[str, ...]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> OfferColumns:
        offers = catalog.offers
        products = catalog.products

        def column(values: list[int]) -> npt.NDArray[np.int64]:
            return np.asarray(values, dtype=np.int64)

        return cls(
            top=column([products[o.product].top.top_id for o in offers]),
            second=column([products[o.product].second.second_id for o in offers]),
            third=column([products[o.product].kind.third_id for o in offers]),
            price_fen=column([o.tiers[0].price_fen for o in offers]),
            month_sold=column([o.month_sold for o in offers]),
            repurchase=column([o.repurchase_pct for o in offers]),
            flags={
                "certifiedFactory": np.asarray([o.seller.certified_factory for o in offers]),
                "shipIn48Hours": np.asarray([o.ship_in_48h for o in offers]),
                "isOnePsale": np.asarray([o.one_psale for o in offers]),
            },
            text=tuple(f"{o.subject} {o.subject_en}".lower() for o in offers),
        )


@dataclass(frozen=True)
class SearchRequest:
    image_id: str
    begin_page: int
    page_size: int
    country: str
    category_id: int | None
    price_start_fen: int | None
    price_end_fen: int | None
    filters: tuple[str, ...]
    sort: tuple[str, bool] | None
    region: tuple[int, int, int, int] | None
    keyword: str | None
    large_page: bool


def _int(value: Any, name: str, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise QueryError("PARAM_INVALID", f"{name} must be an integer") from None


def _fen(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(Decimal(str(value)) * 100)
    except InvalidOperation:
        raise QueryError("PARAM_INVALID", f"{name} must be a price") from None


def _sort(value: Any) -> tuple[str, bool] | None:
    """``{"price": "asc"}`` (a JSON string or an object) → ("price", descending)."""
    if not value:
        return None
    spec = json.loads(value) if isinstance(value, str) else value
    if not isinstance(spec, dict) or len(spec) != 1:
        raise QueryError("PARAM_INVALID", 'sort must be like {"price":"asc"}')
    field, order = next(iter(spec.items()))
    if field not in ("price", "monthSold", "rePurchaseRate") or order not in ("asc", "desc"):
        raise QueryError("PARAM_INVALID", f"unsupported sort: {field} {order}")
    return field, order == "desc"


def _region(value: Any) -> tuple[int, int, int, int] | None:
    if not value:
        return None
    try:
        x1, x2, y1, y2 = (int(float(part)) for part in str(value).split(","))
    except ValueError:
        raise QueryError("PARAM_INVALID", 'region must be "x0,x1,y0,y1"') from None
    if x2 <= x1 or y2 <= y1 or min(x1, y1) < 0:
        raise QueryError("PARAM_INVALID", 'region must be "x0,x1,y0,y1" with x0<x1, y0<y1')
    return x1, x2, y1, y2


def parse_search(text: str, page_size_limit: int, clamp: bool) -> SearchRequest:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise QueryError("PARAM_INVALID", "offerQueryParam is not valid JSON") from None
    if not isinstance(data, dict):
        raise QueryError("PARAM_INVALID", "offerQueryParam must be a JSON object")
    image_id = str(data.get("imageId") or "")
    if not image_id:
        raise QueryError("PARAM_INVALID", "imageId is required")
    page_size = _int(data.get("pageSize"), "pageSize", 20)
    begin_page = _int(data.get("beginPage"), "beginPage", 1)
    if page_size is None or begin_page is None or page_size < 1 or begin_page < 1:
        raise QueryError("PARAM_INVALID", "beginPage and pageSize must be >= 1")
    large = page_size > page_size_limit
    if large and not clamp:
        raise QueryError("PARAM_INVALID", f"pageSize must be <= {page_size_limit}")
    try:
        sort = _sort(data.get("sort"))
    except json.JSONDecodeError:
        raise QueryError("PARAM_INVALID", "sort is not valid JSON") from None
    keyword = str(data.get("keyword") or "").strip().lower() or None
    return SearchRequest(
        image_id=image_id,
        begin_page=begin_page,
        page_size=min(page_size, page_size_limit),
        country=str(data.get("country") or "en"),
        category_id=_int(data.get("categoryId"), "categoryId"),
        price_start_fen=_fen(data.get("priceStart"), "priceStart"),
        price_end_fen=_fen(data.get("priceEnd"), "priceEnd"),
        filters=tuple(
            part.strip() for part in str(data.get("filter") or "").split(",") if part.strip()
        ),
        sort=sort,
        region=_region(data.get("region")),
        keyword=keyword,
        large_page=large,
    )


def _mask(columns: OfferColumns, request: SearchRequest) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(columns.price_fen), dtype=bool)
    if request.category_id is not None:
        wanted = request.category_id
        keep &= (columns.top == wanted) | (columns.second == wanted) | (columns.third == wanted)
    if request.price_start_fen is not None:
        keep &= columns.price_fen >= request.price_start_fen
    if request.price_end_fen is not None:
        keep &= columns.price_fen <= request.price_end_fen
    for name in request.filters:
        flag = columns.flags.get(name)
        if flag is not None:
            keep &= flag
    return keep


def select(
    columns: OfferColumns, order: Indices, request: SearchRequest, max_results: int
) -> Indices:
    """Catalog indices of the whole result set, in the order pages show them."""
    ranked = order[_mask(columns, request)[order]]
    if request.keyword is not None:
        word = request.keyword
        ranked = np.asarray([i for i in ranked if word in columns.text[i]], dtype=np.int64)
    ranked = ranked[:max_results]
    if request.sort is not None:
        field, descending = request.sort
        values = {
            "price": columns.price_fen,
            "monthSold": columns.month_sold,
            "rePurchaseRate": columns.repurchase,
        }[field][ranked]
        ranked = ranked[np.argsort(-values if descending else values, kind="stable")]
    return ranked
