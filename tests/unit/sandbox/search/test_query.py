from __future__ import annotations

import json

import numpy as np
import pytest

from services.sandbox.catalog.loader import LoadedCatalog
from services.sandbox.search.query import QueryError, parse_search, select


def _request(**fields: object) -> str:
    return json.dumps({"imageId": "123", **fields})


def test_defaults_and_string_numbers() -> None:
    request = parse_search(_request(), 50, clamp=True)
    assert (request.begin_page, request.page_size, request.country) == (1, 20, "en")
    request = parse_search(
        _request(beginPage="3", pageSize="10", priceStart="1.5", priceEnd=20), 50, True
    )
    assert (request.begin_page, request.page_size) == (3, 10)
    assert (request.price_start_fen, request.price_end_fen) == (150, 2000)


def test_page_size_limit_clamps_or_refuses() -> None:
    request = parse_search(_request(pageSize=80), 50, clamp=True)
    assert (request.page_size, request.large_page) == (50, True)
    with pytest.raises(QueryError) as refused:
        parse_search(_request(pageSize=80), 50, clamp=False)
    assert refused.value.code == "PARAM_INVALID"


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "[]",
        json.dumps({"pageSize": 10}),
        _request(beginPage=0),
        _request(sort="{bad"),
        _request(sort='{"weight":"asc"}'),
        _request(region="1,2,3"),
        _request(region="5,1,0,9"),
        _request(categoryId="abc"),
    ],
)
def test_bad_params_are_business_errors(text: str) -> None:
    with pytest.raises(QueryError):
        parse_search(text, 50, clamp=True)


def test_filters_sort_and_keyword(loaded: LoadedCatalog) -> None:
    columns = loaded.columns
    catalog = loaded.catalog
    order = np.arange(len(catalog.offers), dtype=np.int64)[::-1].copy()
    top = catalog.products[0].top.top_id
    chosen = select(columns, order, parse_search(_request(categoryId=top), 50, True), 10_000)
    assert len(chosen) > 100
    assert all(catalog.products[catalog.offers[i].product].top.top_id == top for i in chosen)
    assert list(chosen) == sorted(chosen, reverse=True)  # similarity order kept
    certified = select(
        columns,
        order,
        parse_search(_request(filter="certifiedFactory,unknownFlag"), 50, True),
        10_000,
    )
    assert certified.size and all(catalog.offers[i].seller.certified_factory for i in certified)
    cheap = parse_search(_request(priceStart="1", priceEnd="5", sort='{"price":"desc"}'), 50, True)
    prices = [catalog.offers[i].tiers[0].price_fen for i in select(columns, order, cheap, 10_000)]
    assert (
        prices and all(100 <= p <= 500 for p in prices) and prices == sorted(prices, reverse=True)
    )
    limited = select(columns, order, parse_search(_request(), 50, True), 123)
    assert len(limited) == 123
    word = select(columns, order, parse_search(_request(keyword="OEM"), 50, True), 10_000)
    assert word.size and all(
        "oem" in (catalog.offers[i].subject + catalog.offers[i].subject_en).lower() for i in word
    )
