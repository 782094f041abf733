"""GatewayService over gRPC (messages in ``protobuf_mapping``, errors in ``errors``).

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
from typing import Any

import grpc
from factoryfinder.v1 import gateway_pb2, gateway_pb2_grpc

from services.gateway.errors import to_service_error
from services.gateway.protobuf_mapping import (
    SEARCH_APIS,
    bad_request,
    quota_spent,
    quota_usage_response,
    search_query,
)
from services.gateway.runtime import GatewayRuntime, build_runtime
from services.gateway.settings import GatewaySettings, load_gateway_settings
from services.gateway.store.idempotency import ATTEMPT_HEADER, IDEMPOTENCY_HEADER, Idempotency
from services.gateway.upstream.client import CallContext
from shared.config import ConfigError
from shared.grpc_server import RunningServer, ServiceSpec, run, start_server

SERVICE_NAME = gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name
TENANT_HEADER = "x-tenant-id"
DEFAULT_TENANT = "default"
_TENANT = re.compile(r"[A-Za-z0-9._:-]{1,64}")
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
                    raise bad_request(
                        TENANT_HEADER, "x-tenant-id must be 1-64 of A-Z a-z 0-9 . _ : -"
                    )
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

    async def _answered(self, ctx: CallContext, fingerprint: str) -> bytes | None:
        """The kept answer of an earlier attempt of this keyed request, if it finished;
        INVALID_ARGUMENT when the key's first attempt asked something else."""
        if not ctx.idempotency_key or ctx.attempt == 1:
            return None
        return await self._runtime.idempotency.answer(ctx.idempotency_key, fingerprint)

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
        query = search_query(request)
        fingerprint = query.fingerprint()
        if (answered := await self._answered(ctx, fingerprint)) is not None:
            return gateway_pb2.SearchOffersResponse.FromString(answered)
        result = await self._runtime.flow.search(query, ctx)
        spent = await self._spent_in_all(ctx)
        response = gateway_pb2.SearchOffersResponse(
            offers=result.offers,
            next_page_token=result.next_page_token,
            total_results=result.total_results,
            page=result.page,
            # A page an earlier attempt of this request paid for is not a free repeat.
            from_cache=result.from_cache and not spent.get(SEARCH_APIS[1]),
            quota_spent=quota_spent(spent, SEARCH_APIS),
            enriched_count=result.enriched_count,
            enrich_limit=result.enrich_limit,
            picture_regions=result.picture_regions,
        )
        await self._keep(ctx, fingerprint, response.SerializeToString())
        return response

    async def _keep(self, ctx: CallContext, fingerprint: str, answer: bytes) -> None:
        if ctx.idempotency_key:
            await self._runtime.idempotency.keep_answer(ctx.idempotency_key, fingerprint, answer)

    async def GetOfferDetail(
        self,
        request: gateway_pb2.GetOfferDetailRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> gateway_pb2.GetOfferDetailResponse:
        offer_id = request.offer_id.strip()
        if not offer_id.isdigit() or len(offer_id) > 20:
            raise bad_request("offer_id", "offer_id must be a 1688 offer number")
        ctx = self._context(context)
        locale = request.locale.strip() or self._runtime.settings.locale
        outcome = await self._runtime.details.get(offer_id, locale, ctx)
        return gateway_pb2.GetOfferDetailResponse(
            offer=outcome.offer,
            from_cache=outcome.from_cache,
            quota_spent=quota_spent(ctx.spent, ()),
        )

    async def GetQuotaUsage(
        self,
        request: gateway_pb2.GetQuotaUsageRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> gateway_pb2.GetQuotaUsageResponse:
        ctx = self._context(context)
        app_lines, tenant_lines, resets_at = await self._runtime.ledger.usage(ctx.tenant)
        return quota_usage_response(
            ctx.tenant, app_lines, tenant_lines, resets_at, self._runtime.breakers
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
