"""SearchOffersRequest -> SearchQuery: a caller's price filter as exact money, or why not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factoryfinder.v1 import gateway_pb2
from google.type import money_pb2

from services.gateway.protobuf_mapping import search_query
from shared.errors import Code, ServiceError


def _with_floor(units: int, nanos: int, currency: str = "CNY") -> gateway_pb2.SearchOffersRequest:
    price = money_pb2.Money(currency_code=currency, units=units, nanos=nanos)
    return gateway_pb2.SearchOffersRequest(price_min=price)


def test_a_valid_floor_is_kept_exactly() -> None:
    assert search_query(_with_floor(12, 340_000_000)).filters.price_min == Decimal("12.34")


@pytest.mark.parametrize(("units", "nanos"), [(1, 2_000_000_000), (1, -5)])
def test_a_floor_that_is_not_valid_money_is_a_bad_request_naming_it(units: int, nanos: int) -> None:
    with pytest.raises(ServiceError) as refused:
        search_query(_with_floor(units, nanos))
    assert (refused.value.code, refused.value.reason) == (Code.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert refused.value.field_violations[0].field == "price_min"
    assert "not a valid amount" in refused.value.message


def test_a_floor_in_another_currency_is_refused() -> None:
    with pytest.raises(ServiceError) as refused:
        search_query(_with_floor(1, 0, "USD"))
    assert refused.value.message == "price_min must be in CNY"
