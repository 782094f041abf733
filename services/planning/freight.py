"""Bulk freight: by weight when the detail gives a unit weight, else a flat rule.

The rate per kg depends on the destination province (configuration, ``*`` for
the rest). Without a unit weight the seed's flat rule applies (up to 100
pieces 20 yuan, else 50). Both are estimates, marked so: neither is a carrier's
or the supplier's quote (a unit weight leaves out packaging, volume and
minimum charges), so the buyer still asks for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from services.planning.domain import Freight, FreightBasis
from services.planning.settings import ANY_PROVINCE, FlatFreightSteps
from shared.money import round_fen


def rate_for(province: str, rates: Mapping[str, Decimal]) -> Decimal:
    """Yuan per kg to ``province``; "浙江省" finds "浙江" (the longest key that starts it)."""
    name = province.strip()
    known = sorted((key for key in rates if key != ANY_PROVINCE), key=len, reverse=True)
    for key in known:
        if name.startswith(key):
            return rates[key]
    return rates[ANY_PROVINCE]


def flat_amount(quantity: int, steps: FlatFreightSteps) -> Decimal:
    for limit, amount in steps:
        if limit is None or quantity <= limit:
            return amount
    raise ValueError("flat freight steps must end with '*'")


def estimate(
    quantity: int,
    unit_weight_kg: Decimal | None,
    province: str,
    rates: Mapping[str, Decimal],
    flat_steps: FlatFreightSteps,
) -> Freight:
    """Freight for ``quantity`` pieces, rounded half-up to the fen."""
    if unit_weight_kg is not None and unit_weight_kg > 0:
        amount = unit_weight_kg * quantity * rate_for(province, rates)
        return Freight(round_fen(amount), estimated=True, basis=FreightBasis.WEIGHT)
    return Freight(round_fen(flat_amount(quantity, flat_steps)), True, FreightBasis.FLAT)
