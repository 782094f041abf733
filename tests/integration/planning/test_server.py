"""PlanningService on a real server (port 0, loopback): plans, comparisons and rich errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import grpc
import pytest
from factoryfinder.v1 import common_pb2, planning_pb2, planning_pb2_grpc
from google.rpc import error_details_pb2, status_pb2

from services.planning.server import SERVICE_NAME, create_server
from services.planning.settings import PlanningSettings
from shared.config import load
from shared.grpc_errors import status_of
from shared.money import from_money, to_money
from tests.integration.serving import serving_channel

D = Decimal
STANDARD = common_pb2.COMPLEXITY_STANDARD


@pytest.fixture
async def stub() -> AsyncIterator[planning_pb2_grpc.PlanningServiceAsyncStub]:
    settings = load(PlanningSettings, {}, drain_delay_seconds=0.0, max_offers=5)
    async with serving_channel(await create_server(settings), SERVICE_NAME) as channel:
        yield planning_pb2_grpc.PlanningServiceStub(channel)


def seed_offer(
    offer_id: str = "610001", title: str = "纯棉T恤 来样加工", price: str = ""
) -> common_pb2.Offer:
    ladder = [
        common_pb2.PriceTier(min_quantity=10, max_quantity=50, unit_price=to_money(D(20))),
        common_pb2.PriceTier(min_quantity=51, unit_price=to_money(D(18))),
    ]
    if price:
        ladder = [common_pb2.PriceTier(min_quantity=1, unit_price=to_money(D(price)))]
    return common_pb2.Offer(
        offer_id=offer_id,
        title=title,
        supplier=common_pb2.Supplier(company_name="广州XX服装厂", years_on_platform=8),
        detail=common_pb2.OfferDetail(
            status=common_pb2.DETAIL_STATUS_AVAILABLE,
            price_ladder=ladder,
            min_order=10,
            biz_type=2 if "来样" in title else 1,
            sample_fee=to_money(D(50)),
        ),
    )


def order(quantity: int = 100, complexity: int = STANDARD) -> planning_pb2.OrderSpec:
    return planning_pb2.OrderSpec(quantity=quantity, complexity=complexity)  # type: ignore[arg-type]


async def failure(
    stub: planning_pb2_grpc.PlanningServiceAsyncStub, request: planning_pb2.BuildPlansRequest
) -> tuple[grpc.StatusCode, status_pb2.Status]:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.BuildPlans(request, timeout=5)
    status = status_of(failed.value)
    assert status is not None
    return failed.value.code(), status


def details(
    status: status_pb2.Status,
) -> tuple[error_details_pb2.ErrorInfo, error_details_pb2.BadRequest]:
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in status.details:
        if not detail.Unpack(info):
            detail.Unpack(bad)
    return info, bad


async def test_the_seed_example_over_the_wire(
    stub: planning_pb2_grpc.PlanningServiceAsyncStub,
) -> None:
    reply = await stub.BuildPlans(
        planning_pb2.BuildPlansRequest(offers=[seed_offer()], order=order()), timeout=5
    )
    (plan,) = reply.plans
    amounts = {
        name: from_money(getattr(plan, name))
        for name in ("unit_price", "batch_total", "freight", "sample_total", "grand_total")
    }
    assert amounts == {
        "unit_price": D("21.60"),
        "batch_total": D("2160.00"),
        "freight": D("20.00"),
        "sample_total": D("60.00"),
        "grand_total": D("2240.00"),
    }
    assert (from_money(plan.deposit), from_money(plan.balance)) == (D("654.00"), D("1526.00"))
    assert plan.grand_total.currency_code == "CNY"
    assert (plan.freight_estimated, plan.freight_basis, plan.markup_rate) == (True, "flat", "0.20")
    assert plan.notes[-1].endswith("发货前付70%尾款¥1,526.00。")
    assert not plan.HasField("tier_advice") and not reply.refusals


async def test_several_offers_cheapest_first_with_refusals(
    stub: planning_pb2_grpc.PlanningServiceAsyncStub,
) -> None:
    offers = [
        seed_offer("seed"),
        seed_offer("trader", title="现货T恤"),
        seed_offer("cheap", price="15"),
    ]
    request = planning_pb2.BuildPlansRequest(offers=offers, order=order(48))
    reply = await stub.BuildPlans(request, timeout=5)
    assert [(p.offer_id, from_money(p.grand_total)) for p in reply.plans] == [
        ("cheap", D("944.00")),  # 48 × 18.00 + 20 + 60
        ("seed", D("1232.00")),
    ]
    assert reply.plans[1].tier_advice.suggested_quantity == 51
    assert from_money(reply.plans[1].tier_advice.saving) == D("50.40")
    (refusal,) = reply.refusals
    assert (refusal.offer_id, refusal.reason) == ("trader", "NOT_CUSTOMIZABLE")
    assert {e.signal for e in refusal.evidence} == {"biz_type", "title_word"}


async def test_one_offer_that_cannot_be_customized_fails_the_precondition(
    stub: planning_pb2_grpc.PlanningServiceAsyncStub,
) -> None:
    request = planning_pb2.BuildPlansRequest(offers=[seed_offer("t1", "现货T恤")], order=order())
    code, status = await failure(stub, request)
    info, _ = details(status)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert (info.reason, info.domain, info.metadata["offer_id"]) == (
        "NOT_CUSTOMIZABLE",
        "factoryfinder",
        "t1",
    )
    evidence = json.loads(info.metadata["evidence"])
    assert [(e["signal"], e["value"]) for e in evidence] == [("biz_type", "1"), ("title_word", "")]


async def test_one_offer_without_detail_says_why(
    stub: planning_pb2_grpc.PlanningServiceAsyncStub,
) -> None:
    offer = seed_offer()
    offer.detail.status = common_pb2.DETAIL_STATUS_QUOTA_EXHAUSTED
    code, status = await failure(
        stub, planning_pb2.BuildPlansRequest(offers=[offer], order=order())
    )
    info, _ = details(status)
    assert (code, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "DETAIL_UNAVAILABLE")
    assert info.metadata["detail_status"] == "QUOTA_EXHAUSTED"


@pytest.mark.parametrize(
    ("quantity", "complexity", "reason", "fields"),
    [
        (0, STANDARD, "INVALID_QUANTITY", ["order.quantity"]),
        (10, common_pb2.COMPLEXITY_UNSPECIFIED, "INVALID_COMPLEXITY", ["order.complexity"]),
        (10, 42, "INVALID_COMPLEXITY", ["order.complexity"]),
        (-1, 0, "INVALID_REQUEST", ["order.quantity", "order.complexity"]),
    ],
)
async def test_bad_orders_are_invalid_arguments_with_field_violations(
    stub: planning_pb2_grpc.PlanningServiceAsyncStub,
    quantity: int,
    complexity: int,
    reason: str,
    fields: list[str],
) -> None:
    request = planning_pb2.BuildPlansRequest(
        offers=[seed_offer()], order=order(quantity, complexity)
    )
    code, status = await failure(stub, request)
    info, bad = details(status)
    assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, reason)
    assert [v.field for v in bad.field_violations] == fields


@pytest.mark.parametrize("count", [0, 6])
async def test_offer_count_is_bounded(
    stub: planning_pb2_grpc.PlanningServiceAsyncStub, count: int
) -> None:
    offers = [seed_offer(str(i)) for i in range(count)]
    code, status = await failure(stub, planning_pb2.BuildPlansRequest(offers=offers, order=order()))
    info, bad = details(status)
    assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert [v.field for v in bad.field_violations] == ["offers"]
