"""GatewayService messages <-> the gateway's domain types (no gRPC)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from factoryfinder.v1 import common_pb2, gateway_pb2
from google.protobuf import timestamp_pb2
from google.type import money_pb2

from services.gateway.search.request import SearchFilters, SearchImage, SearchQuery
from services.gateway.store.quota_ledger import UsageLine
from services.gateway.upstream.circuit_breaker import CircuitBreaker
from shared.errors import Code, FieldViolation, ServiceError
from shared.money import caller_amount

_SORTS = {
    gateway_pb2.SEARCH_SORT_UNSPECIFIED: "",
    gateway_pb2.SEARCH_SORT_PRICE_ASC: "price_asc",
    gateway_pb2.SEARCH_SORT_PRICE_DESC: "price_desc",
    gateway_pb2.SEARCH_SORT_MONTH_SOLD_DESC: "month_sold_desc",
}

_BREAKER_STATES = {
    "closed": gateway_pb2.BREAKER_STATE_CLOSED,
    "open": gateway_pb2.BREAKER_STATE_OPEN,
    "half_open": gateway_pb2.BREAKER_STATE_HALF_OPEN,
}


def bad_request(field: str, message: str) -> ServiceError:
    return ServiceError(
        Code.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        message,
        field_violations=[FieldViolation(field, message)],
    )


def _price(money: money_pb2.Money | None, field: str) -> Decimal | None:
    return None if money is None else caller_amount(money, field)


def search_query(request: gateway_pb2.SearchOffersRequest) -> SearchQuery:
    image = None
    if request.HasField("image") and request.image.jpeg:
        prepared = request.image
        image = SearchImage.checked(
            prepared.jpeg, prepared.sha256, prepared.phash, prepared.width, prepared.height
        )
    subject = request.subject if request.HasField("subject") else None
    filters = SearchFilters(
        page_size=request.page_size,
        category_id=request.category_id.strip(),
        price_min=_price(request.price_min if request.HasField("price_min") else None, "price_min"),
        price_max=_price(request.price_max if request.HasField("price_max") else None, "price_max"),
        certified_only=request.certified_factory_only,
        sort=_SORTS.get(request.sort, "?"),
        locale=request.locale.strip(),
        subject=None
        if subject is None
        else (subject.left, subject.top, subject.right, subject.bottom),
        keyword=request.keyword.strip(),
    )
    return SearchQuery(image, request.page_token, filters, request.enrich_top_k)


SEARCH_APIS = ("product.image.upload", "product.search.imageQuery")


def quota_spent(spent: Mapping[str, int], always: tuple[str, ...]) -> list[common_pb2.QuotaSpend]:
    apis = sorted(set(always) | {api for api, calls in spent.items() if calls})
    return [common_pb2.QuotaSpend(api=api, calls=spent.get(api, 0)) for api in apis]


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def quota_usage_response(
    tenant: str,
    app_lines: Sequence[UsageLine],
    tenant_lines: Sequence[UsageLine],
    resets_at: datetime,
    breakers: Mapping[str, CircuitBreaker],
) -> gateway_pb2.GetQuotaUsageResponse:
    resets = timestamp(resets_at)

    def usage(line: UsageLine) -> common_pb2.QuotaUsage:
        return common_pb2.QuotaUsage(
            api=line.api,
            tenant=line.tenant,
            used=line.used,
            limit=line.limit,
            remaining=line.remaining,
            resets_at=resets,
            exhausted=line.exhausted,
        )

    return gateway_pb2.GetQuotaUsageResponse(
        tenant=tenant,
        app_usage=[usage(line) for line in app_lines],
        tenant_usage=[usage(line) for line in tenant_lines],
        resets_at=resets,
        breakers=[
            gateway_pb2.BreakerStatus(
                api=name,
                state=_BREAKER_STATES[breaker.state],
                consecutive_failures=breaker.consecutive_failures,
            )
            for name, breaker in sorted(breakers.items())
        ],
    )
