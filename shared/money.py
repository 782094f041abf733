"""Exact money: ``Decimal`` inside, ``google.type.Money`` on the wire.

Never a float. Amounts are in yuan (CNY); rounding happens only where a plan
shows a final figure, half-up to the fen. An amount a caller sends is read with
:func:`caller_amount`, which refuses one that is no valid ``google.type.Money``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from google.type import money_pb2

from shared.errors import FieldViolation, invalid_argument

CNY = "CNY"
FEN = Decimal("0.01")
_NANOS = Decimal(1_000_000_000)


def to_decimal(text: str | int | Decimal) -> Decimal:
    """Parse an amount; raises ``ValueError`` for anything that is not a finite number."""
    try:
        value = text if isinstance(text, Decimal) else Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {text!r}")
    return value


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen (1/100 yuan), as the older APIs send prices, to yuan."""
    return Decimal(fen) / 100


def round_fen(amount: Decimal) -> Decimal:
    """Half-up to the fen."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_money(amount: Decimal, currency: str = CNY) -> money_pb2.Money:
    """``Decimal`` → ``google.type.Money`` (units + nanos share the sign)."""
    units = int(amount)  # truncates toward zero, so nanos keep the sign of units
    nanos = int(((amount - units) * _NANOS).to_integral_value(rounding=ROUND_HALF_UP))
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


_MAX_NANOS = 999_999_999
_UNITS_LIMIT = 2**63  # units is an int64
_NANO = Decimal("1e-9")


def fits_money(amount: Decimal) -> bool:
    """``amount`` is exactly a ``google.type.Money``: finite, units within int64, at most nine
    decimals (``to_money`` would otherwise round it or fail)."""
    if not amount.is_finite() or abs(amount) >= _UNITS_LIMIT:
        return False
    exponent = amount.as_tuple().exponent
    # An int exponent of -9 or more needs no rounding ("12.50"); otherwise ("12.5000000000")
    # the value must be the same at nine decimals.
    return (isinstance(exponent, int) and exponent >= -9) or amount == amount.quantize(_NANO)


def money_problem(money: money_pb2.Money) -> str | None:
    """Why ``money`` is not a valid ``google.type.Money``, else ``None``: nanos must be within
    ±999,999,999 and must not have the other sign than a non-zero ``units``."""
    if not -_MAX_NANOS <= money.nanos <= _MAX_NANOS:
        return f"nanos must be from -{_MAX_NANOS:,} to {_MAX_NANOS:,}, not {money.nanos:,}"
    if money.units * money.nanos < 0:
        return "units and nanos must have the same sign"
    return None


def from_money(money: money_pb2.Money) -> Decimal:
    """``google.type.Money`` → ``Decimal`` (exact), as it is: offers' own prices, which our
    services write with :func:`to_money`, are read with it."""
    return Decimal(money.units) + Decimal(money.nanos) / _NANOS


def caller_amount(money: money_pb2.Money, field: str) -> Decimal:
    """An amount a caller sent (a price filter) → ``Decimal``; INVALID_ARGUMENT naming
    ``field`` in its BadRequest when it is not CNY (or no currency) or not a valid
    ``google.type.Money`` (:func:`money_problem`), instead of reading 1 yuan and 2,000,000,000
    nanos as 3 yuan."""
    message = None
    if money.currency_code not in ("", CNY):
        message = f"{field} must be in CNY"
    elif (problem := money_problem(money)) is not None:
        message = f"{field} is not a valid amount: {problem}"
    if message is not None:
        raise invalid_argument("INVALID_REQUEST", message, FieldViolation(field, message))
    return from_money(money)


@dataclass(frozen=True, slots=True)
class PriceTier:
    """One step of a price ladder: ``unit_price`` from ``min_quantity`` up to
    ``max_quantity`` pieces (``None`` = no upper bound)."""

    min_quantity: int
    max_quantity: int | None
    unit_price: Decimal


def unit_price_at(tiers: Sequence[PriceTier], quantity: int) -> Decimal | None:
    """The ladder's unit price for ``quantity`` pieces.

    Below the first tier the first tier's price applies (the supplier's
    minimum decides whether such an order is possible, not the ladder).
    ``None`` for an empty ladder.
    """
    if not tiers:
        return None
    ordered = sorted(tiers, key=lambda tier: tier.min_quantity)
    price = ordered[0].unit_price
    for tier in ordered:
        if quantity >= tier.min_quantity:
            price = tier.unit_price
    return price


def next_tier(tiers: Sequence[PriceTier], quantity: int) -> PriceTier | None:
    """The first tier starting above ``quantity``, if any."""
    for tier in sorted(tiers, key=lambda tier: tier.min_quantity):
        if tier.min_quantity > quantity:
            return tier
    return None
