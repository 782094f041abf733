"""The order's checks, shared by the aggregator (before any detail is fetched) and planning."""

from __future__ import annotations

import pytest
from factoryfinder.v1 import common_pb2, planning_pb2

from shared.errors import Code, FieldViolation, ServiceError
from shared.order_spec import CheckedOrder, checked_order


def test_a_good_order_is_read_with_its_province() -> None:
    order = planning_pb2.OrderSpec(
        quantity=10_000_000,
        complexity=common_pb2.COMPLEXITY_COMPLEX,
        destination_province=" 浙江省",
    )
    assert checked_order(order) == CheckedOrder(10_000_000, common_pb2.COMPLEXITY_COMPLEX, "浙江")


@pytest.mark.parametrize(
    ("quantity", "complexity", "reason", "fields"),
    [
        (0, 2, "INVALID_QUANTITY", ["order.quantity"]),
        (-5, 1, "INVALID_QUANTITY", ["order.quantity"]),
        (10_000_001, 1, "INVALID_QUANTITY", ["order.quantity"]),
        (10, 0, "INVALID_COMPLEXITY", ["order.complexity"]),
        (10, 9, "INVALID_COMPLEXITY", ["order.complexity"]),
        (0, 0, "INVALID_REQUEST", ["order.quantity", "order.complexity"]),
    ],
)
def test_bad_orders_name_every_field(
    quantity: int, complexity: int, reason: str, fields: list[str]
) -> None:
    with pytest.raises(ServiceError) as info:
        checked_order(planning_pb2.OrderSpec(quantity=quantity, complexity=complexity))  # type: ignore[arg-type]
    error = info.value
    assert (error.code, error.reason) == (Code.INVALID_ARGUMENT, reason)
    assert [v.field for v in error.field_violations] == fields
    assert all(isinstance(v, FieldViolation) and v.description for v in error.field_violations)


@pytest.mark.parametrize(
    ("written", "province"), [("浙江省", "浙江"), ("Zhejiang", "浙江"), ("", "")]
)
def test_the_destination_is_read_as_its_province(written: str, province: str) -> None:
    spec = planning_pb2.OrderSpec(quantity=10, complexity=1, destination_province=written)  # type: ignore[arg-type]
    assert checked_order(spec).destination_province == province


def test_a_destination_that_is_no_province_is_refused_listing_them() -> None:
    # Freight to it would silently be the other-provinces rate.
    spec = planning_pb2.OrderSpec(quantity=10, complexity=1, destination_province="火星")  # type: ignore[arg-type]
    with pytest.raises(ServiceError) as info:
        checked_order(spec)
    error = info.value
    assert (error.code, error.reason) == (Code.INVALID_ARGUMENT, "UNKNOWN_REGION")
    assert [v.field for v in error.field_violations] == ["order.destination_province"]
    assert "'火星'" in error.message
    assert error.metadata["known"].split(",")[:2] == ["广东", "浙江"]
    assert len(error.metadata["known"].split(",")) == 31
