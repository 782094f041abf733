"""google.type.Money as callers send it: what makes an amount invalid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from google.type import money_pb2

from shared.errors import Code, ServiceError
from shared.money import caller_amount, fits_money, from_money, money_problem, to_money


@pytest.mark.parametrize(
    ("units", "nanos"),
    [(0, 0), (12, 500_000_000), (-3, -990_000_000), (0, -5), (0, 999_999_999)],
)
def test_amounts_within_the_documented_shape_are_valid(units: int, nanos: int) -> None:
    assert money_problem(money_pb2.Money(currency_code="CNY", units=units, nanos=nanos)) is None


@pytest.mark.parametrize(
    ("units", "nanos", "says"),
    [
        (1, 1_000_000_000, "nanos must be from -999,999,999 to 999,999,999, not 1,000,000,000"),
        (0, -2_000_000_000, "not -2,000,000,000"),
        (1, -5, "units and nanos must have the same sign"),
        (-1, 5, "units and nanos must have the same sign"),
    ],
)
def test_nanos_out_of_range_or_of_the_other_sign_are_named(
    units: int, nanos: int, says: str
) -> None:
    problem = money_problem(money_pb2.Money(currency_code="CNY", units=units, nanos=nanos))
    assert problem is not None and says in problem


@pytest.mark.parametrize(
    ("currency", "units", "nanos", "amount"),
    [("CNY", 12, 340_000_000, Decimal("12.34")), ("", 0, 0, Decimal(0))],
)
def test_a_callers_valid_amount_is_read_exactly(
    currency: str, units: int, nanos: int, amount: Decimal
) -> None:
    money = money_pb2.Money(currency_code=currency, units=units, nanos=nanos)
    assert caller_amount(money, "filters.price_min") == amount


@pytest.mark.parametrize(
    ("currency", "units", "nanos", "message"),
    [
        ("CNY", 1, 2_000_000_000, "filters.price_max is not a valid amount: nanos must be"),
        ("CNY", 5, -500_000_000, "filters.price_max is not a valid amount: units and nanos"),
        ("USD", 5, 0, "filters.price_max must be in CNY"),
    ],
)
def test_a_callers_invalid_amount_is_invalid_argument_naming_the_field(
    currency: str, units: int, nanos: int, message: str
) -> None:
    money = money_pb2.Money(currency_code=currency, units=units, nanos=nanos)
    with pytest.raises(ServiceError) as refused:
        caller_amount(money, "filters.price_max")
    error = refused.value
    assert (error.code, error.reason) == (Code.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert [v.field for v in error.field_violations] == ["filters.price_max"]
    assert error.message.startswith(message)


def test_offers_own_prices_are_read_as_they_are() -> None:
    # Not a caller's amount: an offer's own price is read as written, never refused.
    money = money_pb2.Money(currency_code="CNY", units=1, nanos=2_000_000_000)
    assert from_money(money) == Decimal(3)


@pytest.mark.parametrize(
    ("amount", "fits"),
    [
        ("12.50", True),
        ("0.123456789", True),
        ("9223372036854775807.999999999", True),
        ("0.1234567891", False),
        ("9223372036854775808", False),
        ("NaN", False),
        ("Infinity", False),
    ],
)
def test_amounts_that_fit_money_exactly(amount: str, fits: bool) -> None:
    value = Decimal(amount)
    assert fits_money(value) is fits
    if fits:
        money = to_money(value)
        assert money_problem(money) is None
