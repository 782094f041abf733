"""Planning configuration, from ``FF_PLANNING_*`` environment variables.

Tables are compact strings so one variable holds one rule, e.g.
``FF_PLANNING_FREIGHT_RATES="广东=1.2,浙江=1.5,*=2.0"`` (yuan per kg by
destination province, ``*`` = every other province). Every amount is parsed
as ``Decimal``; a bad value stops the service at start with the variable named.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import ClassVar, TypeVar

from services.planning.domain import Complexity
from shared.config import ServerSettings, int_range, parse_pairs, setting
from shared.money import to_decimal

V = TypeVar("V")

ANY_PROVINCE = "*"

#: Flat freight steps: (largest quantity or None for "any larger", amount).
FlatFreightSteps = tuple[tuple[int | None, Decimal], ...]


def _pairs(text: str) -> list[tuple[str, str]]:
    # The one map syntax of every setting (shared/config.py): key=value (key:value still read).
    pairs = parse_pairs(text)
    if not pairs:
        raise ValueError("empty table")
    return pairs


def _amount(text: str) -> Decimal:
    value = to_decimal(text)
    if value < 0:
        raise ValueError(f"{text} is negative")
    return value


def _days(text: str) -> int:
    return int_range(0, 365)(text)


def _by_complexity(parse_value: Callable[[str], V]) -> Callable[[str], dict[Complexity, V]]:
    def parse(text: str) -> dict[Complexity, V]:
        table: dict[Complexity, V] = {}
        for key, value in _pairs(text):
            try:
                complexity = Complexity(key.lower())
            except ValueError:
                raise ValueError(f"unknown complexity {key!r}") from None
            table[complexity] = parse_value(value)
        missing = [c.value for c in Complexity if c not in table]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return table

    return parse


def parse_freight_rates(text: str) -> dict[str, Decimal]:
    """``"广东:1.2,*:2.0"`` → yuan per kg by province; ``*`` is required."""
    rates = {province: _amount(rate) for province, rate in _pairs(text)}
    if ANY_PROVINCE not in rates:
        raise ValueError("a '*' rate for other provinces is required")
    return rates


def parse_flat_freight(text: str) -> FlatFreightSteps:
    """``"100:20,*:50"`` → up to 100 pieces 20 yuan, more 50; ends with ``*``."""
    steps: list[tuple[int | None, Decimal]] = []
    for limit, amount in _pairs(text):
        steps.append((None if limit == ANY_PROVINCE else int_range(1)(limit), _amount(amount)))
    limits = [limit for limit, _ in steps]
    if limits[-1] is not None or None in limits[:-1]:
        raise ValueError("'*' must come once, last")
    bounded = [limit for limit in limits if limit is not None]
    if bounded != sorted(set(bounded)):
        raise ValueError("quantity limits must increase")
    return tuple(steps)


def parse_rate(text: str) -> Decimal:
    value = to_decimal(text)
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError("must be between 0 and 1")
    return value


_MARKUPS = {
    Complexity.SIMPLE: Decimal("0.10"),
    Complexity.STANDARD: Decimal("0.20"),
    Complexity.COMPLEX: Decimal("0.35"),
}
_PRODUCTION_DAYS = {Complexity.SIMPLE: 15, Complexity.STANDARD: 20, Complexity.COMPLEX: 30}


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanningSettings(ServerSettings):
    """Every rule of a plan that is a business choice rather than arithmetic."""

    ENV_PREFIX: ClassVar[str] = "FF_PLANNING"

    # Mark-up on the ladder unit price per complexity, as a fraction (0.20 = 20 %).
    markups: Mapping[Complexity, Decimal] = setting(
        "{prefix}_MARKUPS", _MARKUPS, parse=_by_complexity(_amount)
    )
    # Days to produce the batch, per complexity.
    production_days: Mapping[Complexity, int] = setting(
        "{prefix}_PRODUCTION_DAYS", _PRODUCTION_DAYS, parse=_by_complexity(_days)
    )
    # Days to make a sample when fast sampling is asked for and offered.
    sample_days_fast: int = setting("{prefix}_SAMPLE_DAYS_FAST", 3, parse=_days)
    # Days to make a sample otherwise.
    sample_days_normal: int = setting("{prefix}_SAMPLE_DAYS_NORMAL", 7, parse=_days)
    # Sample fee (CNY) used when the supplier publishes none (shown as an estimate).
    default_sample_fee: Decimal = setting(
        "{prefix}_DEFAULT_SAMPLE_FEE", Decimal("50.00"), parse=_amount
    )
    # Shipping of the sample (CNY), added to the sample total.
    sample_shipping: Decimal = setting("{prefix}_SAMPLE_SHIPPING", Decimal("10.00"), parse=_amount)
    # Flat bulk freight (CNY) by quantity when the unit weight is unknown: up_to_pieces=amount,
    # * = above the last step.
    flat_freight: FlatFreightSteps = setting(
        "{prefix}_FLAT_FREIGHT",
        ((100, Decimal("20.00")), (None, Decimal("50.00"))),
        parse=parse_flat_freight,
    )
    # Bulk freight in CNY per kg by destination province; * = every other province (required
    # key).
    freight_rates: Mapping[str, Decimal] = setting(
        "{prefix}_FREIGHT_RATES",
        {"广东": Decimal("1.2"), "浙江": Decimal("1.5"), ANY_PROVINCE: Decimal("2.0")},
        parse=parse_freight_rates,
    )
    # Share of batch + freight paid on order, as a fraction; the rest is the balance.
    deposit_rate: Decimal = setting("{prefix}_DEPOSIT_RATE", Decimal("0.30"), parse=parse_rate)
    # One request compares a handful of offers (the top of a search); more is a caller bug.
    max_offers: int = setting("{prefix}_MAX_OFFERS", 50, parse=int_range(1, 1000))
