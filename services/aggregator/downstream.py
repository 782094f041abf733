"""Calls to the internal services, each with a deadline, the request id and
the tenant, and each failure turned back into a ServiceError that keeps the
downstream's reason and details.

Gateway calls spend quota, so its channel has no blanket retry policy.
Instead each carries an idempotency key (the request id, the step and a
digest of the request: the same photo's same step gets the same key), and a
call whose replica died or could not be reached (UNAVAILABLE without the
gateway's own status details) is retried on another replica within the
caller's deadline: the replicas share their ledger and caches, so the one
taking the retry reuses what the first attempt got upstream and pays only
for what it never received (services/gateway/idempotency.py).

The other services' calls are pure (the same request gets the same answer, nothing
is spent), so their channels retry UNAVAILABLE by policy; gRPC only retries a call
that no replica has started on, though, and one whose replica dies mid-call fails
with "Stream removed". Those are sent again here too, the same way, within the
caller's deadline.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc
from factoryfinder.v1 import (
    gateway_pb2,
    gateway_pb2_grpc,
    planning_pb2,
    planning_pb2_grpc,
    preprocess_pb2,
    preprocess_pb2_grpc,
    ranking_pb2,
    ranking_pb2_grpc,
)

from services.aggregator.settings import AggregatorSettings
from shared import tracing
from shared.errors import Code, ServiceError
from shared.grpc_client import open_channel
from shared.grpc_errors import from_rpc_error
from shared.grpc_server import REQUEST_ID_HEADER

TENANT_HEADER = "x-tenant-id"
IDEMPOTENCY_HEADER = "x-idempotency-key"
ATTEMPT_HEADER = "x-idempotency-attempt"
# A call whose replica was lost is tried on this many replicas at most, pausing between
# tries so a dead replica's connection is seen broken and the next pick skips it.
REPLICA_ATTEMPTS = 3
_REPLICA_PAUSES_S = (0.05, 0.2)
_STATUS_DETAILS = "grpc-status-details-bin"
R = TypeVar("R")


@dataclass(frozen=True)
class CallScope:
    """Who is calling and until when: every downstream call inherits it."""

    request_id: str
    tenant: str
    deadline: float  # time.monotonic() value

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ServiceError(
                Code.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "the call's deadline has passed"
            )
        return left

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return ((REQUEST_ID_HEADER, self.request_id), (TENANT_HEADER, self.tenant))


def request_digest(
    request: gateway_pb2.SearchOffersRequest
    | gateway_pb2.GetOfferDetailRequest
    | gateway_pb2.GetQuotaUsageRequest,
) -> str:
    """What names a gateway request in its idempotency key: a digest of its fields.

    A prepared image counts by its ``sha256`` (the digest of its JPEG, made by preprocess,
    which the gateway already trusts to name the upload): serializing and hashing the
    300-500 KB JPEG again cost ~2-4 ms of the aggregator's CPU per search.
    """
    if isinstance(request, gateway_pb2.SearchOffersRequest) and request.image.sha256:
        shell = gateway_pb2.SearchOffersRequest()
        shell.CopyFrom(request)
        shell.image.ClearField("jpeg")
        data = shell.SerializeToString(deterministic=True)
    else:
        data = request.SerializeToString(deterministic=True)
    return hashlib.sha256(data).hexdigest()[:24]


class Downstream:
    """One channel per internal service, opened once and reused."""

    def __init__(self, settings: AggregatorSettings) -> None:
        size = settings.max_message_bytes
        self.compare_timeout = settings.compare_timeout_seconds
        self.compare_reserve = settings.compare_reserve_seconds
        self._channels = {
            "preprocess": open_channel(
                settings.preprocess_addresses,
                "factoryfinder.v1.PreprocessService",
                retry_unavailable=True,
                max_message_bytes=size,
            ),
            "gateway": open_channel(
                settings.gateway_addresses,
                "factoryfinder.v1.GatewayService",
                retry_unavailable=False,
                max_message_bytes=size,
            ),
            "ranking": open_channel(
                settings.ranking_addresses,
                "factoryfinder.v1.RankingService",
                retry_unavailable=True,
                max_message_bytes=size,
            ),
            "planning": open_channel(
                settings.planning_addresses,
                "factoryfinder.v1.PlanningService",
                retry_unavailable=True,
                max_message_bytes=size,
            ),
        }
        self._preprocess = preprocess_pb2_grpc.PreprocessServiceStub(self._channels["preprocess"])
        self._gateway = gateway_pb2_grpc.GatewayServiceStub(self._channels["gateway"])
        self._ranking = ranking_pb2_grpc.RankingServiceStub(self._channels["ranking"])
        self._planning = planning_pb2_grpc.PlanningServiceStub(self._channels["planning"])

    def connect(self) -> None:
        """Start connecting every channel now (without waiting), so round-robin has all
        replicas ready before the first burst instead of sending it to the first one up."""
        for channel in self._channels.values():
            channel.get_state(try_to_connect=True)

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

    async def _call(
        self,
        service: str,
        scope: CallScope,
        call: Callable[..., Awaitable[R]],
        request: object,
        budget_s: float | None = None,
    ) -> R:
        """A call to a service whose calls are pure: sent again when its replica is lost."""
        metadata = tracing.outgoing(scope.metadata())
        budget_end = None if budget_s is None else time.monotonic() + budget_s
        for pause in (*_REPLICA_PAUSES_S, None):
            remaining = scope.remaining()
            if budget_end is not None:
                remaining = min(remaining, max(0.0, budget_end - time.monotonic()))
            try:
                return await call(request, timeout=remaining, metadata=metadata)
            except grpc.aio.AioRpcError as exc:
                if pause is None or not replica_lost(exc):
                    raise from_rpc_error(exc, service) from None
            await asyncio.sleep(min(pause, scope.remaining()))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def prepare(
        self, request: preprocess_pb2.PrepareImageRequest, scope: CallScope
    ) -> preprocess_pb2.PrepareImageResponse:
        return await self._call("preprocess", scope, self._preprocess.PrepareImage, request)

    async def _call_gateway(
        self,
        step: str,
        scope: CallScope,
        call: Callable[..., Awaitable[R]],
        request: gateway_pb2.SearchOffersRequest
        | gateway_pb2.GetOfferDetailRequest
        | gateway_pb2.GetQuotaUsageRequest,
    ) -> R:
        key = f"{scope.request_id}/{step}/{request_digest(request)}"
        for attempt, pause in enumerate((*_REPLICA_PAUSES_S, None), start=1):
            metadata = tracing.outgoing(
                (*scope.metadata(), (IDEMPOTENCY_HEADER, key), (ATTEMPT_HEADER, str(attempt)))
            )
            try:
                return await call(request, timeout=scope.remaining(), metadata=metadata)
            except grpc.aio.AioRpcError as exc:
                if pause is None or not replica_lost(exc):
                    raise from_rpc_error(exc, "gateway") from None
            await asyncio.sleep(min(pause, scope.remaining()))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def compare(
        self, request: preprocess_pb2.CompareImagesRequest, scope: CallScope, budget_s: float
    ) -> preprocess_pb2.CompareImagesResponse:
        return await self._call(
            "preprocess", scope, self._preprocess.CompareImages, request, budget_s
        )

    async def search(
        self, request: gateway_pb2.SearchOffersRequest, scope: CallScope
    ) -> gateway_pb2.SearchOffersResponse:
        return await self._call_gateway("search", scope, self._gateway.SearchOffers, request)

    async def detail(
        self, request: gateway_pb2.GetOfferDetailRequest, scope: CallScope
    ) -> gateway_pb2.GetOfferDetailResponse:
        return await self._call_gateway("detail", scope, self._gateway.GetOfferDetail, request)

    async def quota(self, scope: CallScope) -> gateway_pb2.GetQuotaUsageResponse:
        request = gateway_pb2.GetQuotaUsageRequest()
        return await self._call_gateway("quota", scope, self._gateway.GetQuotaUsage, request)

    async def rank(
        self, request: ranking_pb2.RankOffersRequest, scope: CallScope
    ) -> ranking_pb2.RankOffersResponse:
        return await self._call("ranking", scope, self._ranking.RankOffers, request)

    async def plan(
        self, request: planning_pb2.BuildPlansRequest, scope: CallScope
    ) -> planning_pb2.BuildPlansResponse:
        return await self._call("planning", scope, self._planning.BuildPlans, request)


def replica_lost(exc: grpc.aio.AioRpcError) -> bool:
    """UNAVAILABLE from the channel (the replica died mid-call, or none was reachable).

    A gateway's own UNAVAILABLE (1688 down, its circuit open) carries our status
    details and is not retried: another replica would meet the same upstream.
    """
    if exc.code() != grpc.StatusCode.UNAVAILABLE:
        return False
    return not any(key == _STATUS_DETAILS for key, _ in exc.trailing_metadata() or ())
