"""SearchService: the public API. Authenticates, sets the deadline for the
downstream calls, and hands each call to its flow in ``flows.py``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
from factoryfinder.v1 import search_pb2, search_pb2_grpc

from services.aggregator import flows
from services.aggregator.auth import ApiKeys, parse_key_lines
from services.aggregator.batch import run_batch
from services.aggregator.downstream import CallScope, Downstream
from services.aggregator.settings import AggregatorSettings
from shared.grpc_errors import to_status_proto
from shared.grpc_server import ServiceSpec, run_service
from shared.json_logging import request_id_var

SERVICE_NAME = search_pb2.DESCRIPTOR.services_by_name["SearchService"].full_name


class SearchServicer(search_pb2_grpc.SearchServiceServicer):
    def __init__(self, settings: AggregatorSettings, keys: ApiKeys) -> None:
        self._settings = settings
        self._keys = keys
        self.downstream = Downstream(settings)

    def _scope(self, context: grpc.aio.ServicerContext[Any, Any]) -> CallScope:
        tenant = self._keys.tenant_for(tuple(context.invocation_metadata() or ()))
        remaining = context.time_remaining()
        budget = self._settings.default_deadline_seconds if remaining is None else remaining
        budget = min(budget, self._settings.max_deadline_seconds)
        return CallScope(request_id_var.get(), tenant, time.monotonic() + budget)

    async def SearchByImage(
        self,
        request: search_pb2.SearchByImageRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> search_pb2.SearchByImageResponse:
        return await flows.search_by_image(self.downstream, request, self._scope(context))

    async def VerifyByImages(
        self,
        request: search_pb2.VerifyByImagesRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> search_pb2.VerifyByImagesResponse:
        return await flows.verify_by_images(self.downstream, request, self._scope(context))

    async def PlanCustomOrder(
        self,
        request: search_pb2.PlanCustomOrderRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> search_pb2.PlanCustomOrderResponse:
        scope = self._scope(context)
        return await flows.plan_custom_order(
            self.downstream, request, scope, self._settings.max_plan_offers
        )

    async def GetQuota(
        self,
        request: search_pb2.GetQuotaRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> search_pb2.GetQuotaResponse:
        return await flows.get_quota(self.downstream, self._scope(context))

    async def BatchSearch(
        self,
        request_iterator: AsyncIterator[search_pb2.BatchSearchRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[search_pb2.BatchSearchResponse]:
        scope = self._scope(context)

        async def search(item: search_pb2.BatchSearchRequest) -> search_pb2.SearchByImageResponse:
            single = search_pb2.SearchByImageRequest(photo=item.photo, options=item.options)
            return await flows.search_by_image(self.downstream, single, scope)

        async for finished in run_batch(
            request_iterator,
            search,
            concurrency=self._settings.batch_concurrency,
            expected_total=lambda item: item.expected_total,
            quota_of=lambda result: sum(line.calls for line in result.quota_spent),
        ):
            progress = search_pb2.BatchProgress(
                done=finished.progress.done,
                total=finished.progress.total,
                failed=finished.progress.failed,
                quota_spent=finished.progress.quota_spent,
            )
            reply = search_pb2.BatchSearchResponse(item_id=finished.item.item_id, progress=progress)
            if finished.error is not None:
                reply.error.CopyFrom(to_status_proto(finished.error))
            elif finished.result is not None:
                reply.result.CopyFrom(finished.result)
            yield reply


async def build(settings: AggregatorSettings) -> ServiceSpec:
    keys = ApiKeys(parse_key_lines([settings.api_keys]))
    servicer = SearchServicer(settings, keys)

    def register(server: grpc.aio.Server) -> None:
        search_pb2_grpc.add_SearchServiceServicer_to_server(servicer, server)

    async def connect() -> None:
        servicer.downstream.connect()

    return ServiceSpec(
        "aggregator",
        [SERVICE_NAME],
        register,
        on_start=connect,
        on_stop=servicer.downstream.close,
    )


def main(argv: list[str]) -> int:
    return run_service("aggregator", AggregatorSettings, build)
