"""The custom order a caller asks for (``OrderSpec``, shared by the public and internal APIs),
checked by one set of rules: the aggregator refuses a bad order before it pays any upstream
detail call for it, and planning reads the order with the same checks.

A quantity outside 1 to ``MAX_QUANTITY``, a missing or unknown complexity and a destination
that is no province are INVALID_ARGUMENT, one field violation each (``order.<field>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from factoryfinder.v1 import common_pb2, planning_pb2

from shared import china_provinces
from shared.errors import FieldViolation, ServiceError, invalid_argument

#: Far above any custom order, low enough that every total fits google.type.Money.
MAX_QUANTITY = 10_000_000

_COMPLEXITIES = (
    common_pb2.COMPLEXITY_SIMPLE,
    common_pb2.COMPLEXITY_STANDARD,
    common_pb2.COMPLEXITY_COMPLEX,
)


@dataclass(frozen=True, slots=True)
class CheckedOrder:
    """An order that passed: its complexity is a known one, its destination the province's
    name (``""`` = the default freight rate)."""

    quantity: int
    complexity: common_pb2.Complexity.ValueType
    destination_province: str


def checked_order(order: planning_pb2.OrderSpec) -> CheckedOrder:
    """The order, or a ServiceError naming every bad field."""
    violations: list[tuple[str, FieldViolation]] = []
    if not 0 < order.quantity <= MAX_QUANTITY:
        violations.append(
            (
                "INVALID_QUANTITY",
                FieldViolation("order.quantity", f"must be from 1 to {MAX_QUANTITY:,}"),
            )
        )
    if order.complexity not in _COMPLEXITIES:
        violations.append(
            (
                "INVALID_COMPLEXITY",
                FieldViolation(
                    "order.complexity", "required: COMPLEXITY_SIMPLE, _STANDARD or _COMPLEX"
                ),
            )
        )
    destination = order.destination_province.strip()
    province = china_provinces.province_named(destination) if destination else ""
    if province is None:
        known = "、".join(china_provinces.NAMES)
        violations.append(
            (
                "UNKNOWN_REGION",
                FieldViolation(
                    "order.destination_province",
                    f"unknown province {destination!r}; known: {known}",
                ),
            )
        )
    if violations or province is None:
        raise _invalid(violations)
    return CheckedOrder(order.quantity, order.complexity, province)


def _invalid(violations: list[tuple[str, FieldViolation]]) -> ServiceError:
    reason = violations[0][0] if len(violations) == 1 else "INVALID_REQUEST"
    message = "; ".join(f"{v.field} {v.description}" for _, v in violations)
    error = invalid_argument(reason, message, *(v for _, v in violations))
    if reason == "UNKNOWN_REGION":  # errors.proto: metadata["known"] lists the names
        error.metadata = {"known": ",".join(china_provinces.NAMES)}
    return error
