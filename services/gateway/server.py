"""GatewayService over gRPC: protobuf <-> domain, domain errors -> rich statuses.

The caller's tenant comes from the ``x-tenant-id`` metadata entry; the call's
deadline bounds every upstream attempt and retry (without one, the
configured default applies). Every rule lives in the plain modules next to
this one.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import grpc
from factoryfinder.v1 import common_pb2, gateway_pb2, gateway_pb2_grpc
from google.protobuf import timestamp_pb2
from google.type import money_pb2

from services.gateway.offers.details import DetailUnavailable
from services.gateway.runtime import GatewayRuntime, build_runtime
from services.gateway.search.request import InvalidSearch, SearchFilters, SearchImage, SearchQuery
from services.gateway.settings import GatewaySettings, load_gateway_settings
from services.gateway.store.idempotency import ATTEMPT_HEADER, IDEMPOTENCY_HEADER, Idempotency
from services.gateway.upstream import errors as upstream
from services.gateway.upstream.client import CallContext
from services.gateway.upstream.errors import QuotaExhausted, UpstreamError
from shared.china_time import next_reset
from shared.config import ConfigError
from shared.errors import Code, FieldViolation, QuotaViolation, ServiceError
from shared.grpc_server import RunningServer, ServiceSpec, run, start_server
from shared.money import CNY, from_money

SERVICE_NAME = gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name
TENANT_HEADER = "x-tenant-id"
DEFAULT_TENANT = "default"
_TENANT = re.compile(r"[A-Za-z0-9._:-]{1,64}")
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
# reason -> gRPC code, for upstream failures (errors.proto documents each pairing).
_UPSTREAM_CODES = {
    upstream.TOKEN_EXPIRED: Code.UNAVAILABLE,
    upstream.SIGNATURE_INVALID: Code.INTERNAL,
    upstream.ACL_DECLINED: Code.FAILED_PRECONDITION,
    upstream.API_UNSUPPORTED: Code.INTERNAL,
    upstream.PARAM_MISSING: Code.INTERNAL,
    upstream.IMAGE_REJECTED: Code.INVALID_ARGUMENT,
    upstream.UNAVAILABLE: Code.UNAVAILABLE,
    upstream.MALFORMED: Code.UNAVAILABLE,
    upstream.RATE_LIMITED: Code.UNAVAILABLE,
    upstream.QUOTA_EXHAUSTED: Code.RESOURCE_EXHAUSTED,
    upstream.REQUEST_INVALID: Code.INTERNAL,
    upstream.OFFER_NOT_FOUND: Code.NOT_FOUND,
    upstream.CIRCUIT_OPEN: Code.UNAVAILABLE,
    upstream.DEADLINE_EXCEEDED: Code.DEADLINE_EXCEEDED,
}


# --- errors ---------------------------------------------------------------------------


def quota_error(exc: QuotaExhausted, now: datetime | None = None) -> ServiceError:
    moment = now or datetime.now(UTC)
    who = f"tenant:{exc.tenant}" if exc.tenant is not None else "app"
    return ServiceError(
        Code.RESOURCE_EXHAUSTED,
        "TENANT_QUOTA_EXHAUSTED" if exc.tenant is not None else "QUOTA_EXHAUSTED",
        str(exc),
        metadata={"api": exc.api, "limit": str(exc.limit), "resets_at": exc.resets_at.isoformat()},
        quota_violations=[
            QuotaViolation(f"{who}:{exc.api}", f"{exc.used} of {exc.limit} daily calls used")
        ],
        retry_after_seconds=max(0.0, (exc.resets_at - moment).total_seconds()),
    )


def upstream_error(exc: UpstreamError, now: datetime | None = None) -> ServiceError:
    metadata = {"api": exc.api}
    if exc.upstream_code:
        metadata["upstream_code"] = exc.upstream_code
    if exc.reason == upstream.IMAGE_REJECTED:
        metadata["upstream_message"] = exc.upstream_message or str(exc)
    retry = exc.retry_after
    quotas: list[QuotaViolation] = []
    if exc.reason == upstream.QUOTA_EXHAUSTED:
        moment = now or datetime.now(UTC)
        retry = (next_reset(moment) - moment).total_seconds()
        quotas = [QuotaViolation(f"app:{exc.api}", "the upstream says no paid usage is left")]
    return ServiceError(
        _UPSTREAM_CODES.get(exc.reason, Code.UNAVAILABLE),
        exc.reason,
        str(exc),
        metadata=metadata,
        quota_violations=quotas,
        retry_after_seconds=retry
        if exc.reason in (upstream.RATE_LIMITED, upstream.CIRCUIT_OPEN, upstream.QUOTA_EXHAUSTED)
        else None,
    )


def invalid_search(exc: InvalidSearch) -> ServiceError:
    reason = "INVALID_PAGE_TOKEN" if exc.page_token else "INVALID_REQUEST"
    return ServiceError(
        Code.INVALID_ARGUMENT,
        reason,
        str(exc),
        field_violations=[FieldViolation(exc.field, str(exc))],
    )


def detail_error(exc: DetailUnavailable) -> ServiceError:
    if isinstance(exc.cause, QuotaExhausted):
        return quota_error(exc.cause)
    if exc.status == common_pb2.DETAIL_STATUS_NOT_FOUND:
        return ServiceError(Code.NOT_FOUND, "OFFER_NOT_FOUND", exc.reason)
    if exc.status == common_pb2.DETAIL_STATUS_UPSTREAM_FAILED and isinstance(
        exc.cause, UpstreamError
    ):
        return upstream_error(exc.cause)
    status_name = common_pb2.DetailStatus.Name(exc.status)
    return ServiceError(
        Code.FAILED_PRECONDITION,
        "DETAIL_UNAVAILABLE",
        exc.reason,
        metadata={"detail_status": status_name.removeprefix("DETAIL_STATUS_")},
    )


def to_service_error(exc: Exception) -> ServiceError | None:
    """The gateway's domain exceptions as rich statuses (the server's ``map_error``)."""
    if isinstance(exc, QuotaExhausted):
        return quota_error(exc)
    if isinstance(exc, UpstreamError):
        return upstream_error(exc)
    if isinstance(exc, InvalidSearch):
        return invalid_search(exc)
    if isinstance(exc, DetailUnavailable):
        return detail_error(exc)
    return None


# --- protobuf <-> domain ----------------------------------------------------------------


def _bad(field: str, message: str) -> ServiceError:
    return ServiceError(
        Code.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        message,
        field_violations=[FieldViolation(field, message)],
    )


def _price(money: money_pb2.Money | None, field: str) -> Decimal | None:
    if money is None:
        return None
    if money.currency_code not in ("", CNY):
        raise _bad(field, f"{field} must be in CNY")
    return from_money(money)


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


_SEARCH_APIS = ("product.image.upload", "product.search.imageQuery")


def _spent(spent: Mapping[str, int], always: tuple[str, ...]) -> list[common_pb2.QuotaSpend]:
    apis = sorted(set(always) | {api for api, calls in spent.items() if calls})
    return [common_pb2.QuotaSpend(api=api, calls=spent.get(api, 0)) for api in apis]


def _timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


# --- the servicer -------------------------------------------------------------------------


class GatewayServicer(gateway_pb2_grpc.GatewayServiceServicer):
    def __init__(self, runtime: GatewayRuntime) -> None:
        self._runtime = runtime
        self._default_deadline = runtime.settings.default_deadline_s

    def _context(self, context: grpc.aio.ServicerContext[Any, Any]) -> CallContext:
        tenant = DEFAULT_TENANT
        for key, value in context.invocation_metadata() or ():
            if key == TENANT_HEADER and isinstance(value, str):
                if not _TENANT.fullmatch(value):
                    raise _bad(TENANT_HEADER, "x-tenant-id must be 1-64 of A-Z a-z 0-9 . _ : -")
                tenant = value
        remaining = context.time_remaining()
        budget = self._default_deadline if remaining is None else min(remaining, 3600.0)
        ctx = CallContext(tenant=tenant, deadline=time.monotonic() + budget)
        metadata = dict(context.invocation_metadata() or ())
        idempotency_key = Idempotency.scoped(tenant, str(metadata.get(IDEMPOTENCY_HEADER, "")))
        if idempotency_key is not None:
            attempt = Idempotency.attempt(str(metadata.get(ATTEMPT_HEADER, "")))
            self._runtime.idempotency.attach(ctx, idempotency_key, attempt)
        return ctx

    async def _answered(self, ctx: CallContext) -> bytes | None:
        """The kept answer of an earlier attempt of this keyed request, if it finished."""
        if not ctx.idempotency_key or ctx.attempt == 1:
            return None
        return await self._runtime.idempotency.answer(ctx.idempotency_key)

    async def _spent_in_all(self, ctx: CallContext) -> Mapping[str, int]:
        """What this request spent, earlier attempts of its key included."""
        if not ctx.idempotency_key or ctx.attempt == 1:
            return ctx.spent
        return ctx.spent + await self._runtime.idempotency.spent_before(ctx)

    async def SearchOffers(
        self,
        request: gateway_pb2.SearchOffersRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> gateway_pb2.SearchOffersResponse:
        ctx = self._context(context)
        if (answered := await self._answered(ctx)) is not None:
            return gateway_pb2.SearchOffersResponse.FromString(answered)
        result = await self._runtime.flow.search(search_query(request), ctx)
        spent = await self._spent_in_all(ctx)
        response = gateway_pb2.SearchOffersResponse(
            offers=result.offers,
            next_page_token=result.next_page_token,
            total_results=result.total_results,
            page=result.page,
            # A page an earlier attempt of this request paid for is not a free repeat.
            from_cache=result.from_cache and not spent.get(_SEARCH_APIS[1]),
            quota_spent=_spent(spent, _SEARCH_APIS),
            enriched_count=result.enriched_count,
            enrich_limit=result.enrich_limit,
            picture_regions=result.picture_regions,
        )
        await self._keep(ctx, response.SerializeToString())
        return response

    async def _keep(self, ctx: CallContext, answer: bytes) -> None:
        if ctx.idempotency_key:
            await self._runtime.idempotency.keep_answer(ctx.idempotency_key, answer)

    async def GetOfferDetail(
        self,
        request: gateway_pb2.GetOfferDetailRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> gateway_pb2.GetOfferDetailResponse:
        offer_id = request.offer_id.strip()
        if not offer_id.isdigit() or len(offer_id) > 20:
            raise _bad("offer_id", "offer_id must be a 1688 offer number")
        ctx = self._context(context)
        locale = request.locale.strip() or self._runtime.settings.locale
        outcome = await self._runtime.details.get(offer_id, locale, ctx)
        return gateway_pb2.GetOfferDetailResponse(
            offer=outcome.offer,
            from_cache=outcome.from_cache,
            quota_spent=_spent(ctx.spent, ()),
        )

    async def GetQuotaUsage(
        self,
        request: gateway_pb2.GetQuotaUsageRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> gateway_pb2.GetQuotaUsageResponse:
        ctx = self._context(context)
        app_lines, tenant_lines, resets_at = await self._runtime.ledger.usage(ctx.tenant)
        resets = _timestamp(resets_at)

        def usage(line: Any) -> common_pb2.QuotaUsage:
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
            tenant=ctx.tenant,
            app_usage=[usage(line) for line in app_lines],
            tenant_usage=[usage(line) for line in tenant_lines],
            resets_at=resets,
            breakers=[
                gateway_pb2.BreakerStatus(
                    api=name,
                    state=_BREAKER_STATES[breaker.state],
                    consecutive_failures=breaker.consecutive_failures,
                )
                for name, breaker in sorted(self._runtime.breakers.items())
            ],
        )


# --- wiring --------------------------------------------------------------------------------


def build(settings: GatewaySettings) -> tuple[ServiceSpec, GatewayRuntime]:
    runtime = build_runtime(settings)
    servicer = GatewayServicer(runtime)

    def register(server: grpc.aio.Server) -> None:
        gateway_pb2_grpc.add_GatewayServiceServicer_to_server(servicer, server)

    spec = ServiceSpec(
        "gateway", [SERVICE_NAME], register, runtime.start, runtime.close, to_service_error
    )
    return spec, runtime


async def create_server(settings: GatewaySettings) -> tuple[RunningServer, GatewayRuntime]:
    """Start a gateway (tests: ``FF_GATEWAY_PORT=0`` binds a free port)."""
    spec, runtime = build(settings)
    return await start_server(spec, settings), runtime


def main(argv: list[str]) -> int:
    try:
        settings = load_gateway_settings()
    except ConfigError as exc:
        print(f"factoryfinder: configuration error: {exc}", file=sys.stderr, flush=True)
        return 2

    async def spec() -> ServiceSpec:
        return build(settings)[0]

    return run("gateway", spec, settings)
