"""The aggregator's downstream calls: a lost gateway replica is retried under one idempotency
key; a lost replica of a pure service (preprocess, ranking, planning) is retried too."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from factoryfinder.v1 import common_pb2, gateway_pb2
from grpc.aio import AioRpcError, Metadata

from services.aggregator.downstream import (
    ATTEMPT_HEADER,
    IDEMPOTENCY_HEADER,
    REPLICA_ATTEMPTS,
    CallScope,
    Downstream,
    replica_lost,
    request_digest,
)
from services.aggregator.settings import AggregatorSettings
from shared.config import load
from shared.errors import Code, ServiceError
from shared.grpc_errors import to_status_proto


def error(code: grpc.StatusCode) -> AioRpcError:
    """What the channel raises when the replica never answered: no status details."""
    return AioRpcError(code, Metadata(), Metadata(), details="Stream removed")


def gateways_own_unavailable() -> AioRpcError:
    status = to_status_proto(ServiceError(Code.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", "1688 is down"))
    trailers = Metadata(("grpc-status-details-bin", status.SerializeToString()))
    return AioRpcError(grpc.StatusCode.UNAVAILABLE, Metadata(), trailers, details="1688 is down")


class Replicas:
    """Answers a gateway call after ``failures`` (in order), recording each attempt's metadata."""

    def __init__(self, *failures: AioRpcError) -> None:
        self.failures = list(failures)
        self.keys: list[str] = []
        self.attempts: list[str] = []

    async def __call__(self, request: Any, **options: Any) -> str:
        assert options["timeout"] > 0
        metadata = dict(options["metadata"])
        self.keys.append(metadata[IDEMPOTENCY_HEADER])
        self.attempts.append(metadata[ATTEMPT_HEADER])
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


@pytest.fixture
async def downstream() -> AsyncIterator[Downstream]:
    settings = load(
        AggregatorSettings,
        {
            "FF_AGGREGATOR_PREPROCESS_ADDRESSES": "127.0.0.1:1",
            "FF_AGGREGATOR_GATEWAY_ADDRESSES": "127.0.0.1:2",
            "FF_AGGREGATOR_RANKING_ADDRESSES": "127.0.0.1:3",
            "FF_AGGREGATOR_PLANNING_ADDRESSES": "127.0.0.1:4",
            "FF_AGGREGATOR_API_KEYS": "key:acme",
        },
    )
    opened = Downstream(settings)
    yield opened
    await opened.close()


def scope() -> CallScope:
    return CallScope("req-1", "acme", time.monotonic() + 10)


def test_only_an_unavailable_without_our_details_is_a_lost_replica() -> None:
    assert replica_lost(error(grpc.StatusCode.UNAVAILABLE))
    assert not replica_lost(gateways_own_unavailable())
    assert not replica_lost(error(grpc.StatusCode.DEADLINE_EXCEEDED))
    assert not replica_lost(error(grpc.StatusCode.RESOURCE_EXHAUSTED))


async def test_a_lost_replica_is_retried_with_the_same_key(downstream: Downstream) -> None:
    replicas = Replicas(error(grpc.StatusCode.UNAVAILABLE), error(grpc.StatusCode.UNAVAILABLE))
    request = gateway_pb2.SearchOffersRequest(page_token="abc")
    answer = await downstream._call_gateway("search", scope(), replicas, request)
    assert answer == "answer"
    assert len(replicas.keys) == 3 == REPLICA_ATTEMPTS
    assert len(set(replicas.keys)) == 1
    assert replicas.attempts == ["1", "2", "3"]
    assert replicas.keys[0].startswith("req-1/search/")
    # Another photo (another request) of the same caller request gets another key.
    other = Replicas()
    await downstream._call_gateway(
        "search", scope(), other, gateway_pb2.SearchOffersRequest(page_token="xyz")
    )
    assert other.keys[0] != replicas.keys[0]


async def test_the_gateways_own_refusal_and_the_last_loss_are_not_retried(
    downstream: Downstream,
) -> None:
    own = Replicas(gateways_own_unavailable())
    with pytest.raises(ServiceError) as refused:
        await downstream._call_gateway("search", scope(), own, gateway_pb2.SearchOffersRequest())
    assert len(own.keys) == 1
    assert refused.value.reason == "UPSTREAM_UNAVAILABLE"
    lost = Replicas(*[error(grpc.StatusCode.UNAVAILABLE)] * REPLICA_ATTEMPTS)
    with pytest.raises(ServiceError) as caught:
        await downstream._call_gateway("search", scope(), lost, gateway_pb2.SearchOffersRequest())
    assert caught.value.code.value == "UNAVAILABLE"
    assert len(lost.keys) == REPLICA_ATTEMPTS


class Pure:
    """Answers a pure service's call after ``failures`` (in order), recording the timeouts."""

    def __init__(self, *failures: AioRpcError) -> None:
        self.failures = list(failures)
        self.timeouts: list[float] = []

    async def __call__(self, request: Any, **options: Any) -> str:
        self.timeouts.append(options["timeout"])
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


async def test_a_pure_services_call_is_sent_again_when_its_replica_dies_mid_call(
    downstream: Downstream,
) -> None:
    """gRPC's retry policy never repeats a call a replica had started ("Stream removed" when
    a preprocess replica is SIGKILLed under it): the call is sent again, within its budget."""
    lost = Pure(error(grpc.StatusCode.UNAVAILABLE), error(grpc.StatusCode.UNAVAILABLE))
    assert await downstream._call("preprocess", scope(), lost, object(), budget_s=2.0) == "answer"
    assert len(lost.timeouts) == REPLICA_ATTEMPTS
    assert all(0 < t <= 2.0 for t in lost.timeouts)
    assert lost.timeouts == sorted(lost.timeouts, reverse=True)  # one budget for all tries
    late = Pure(error(grpc.StatusCode.DEADLINE_EXCEEDED), error(grpc.StatusCode.UNAVAILABLE))
    with pytest.raises(ServiceError) as caught:
        await downstream._call("ranking", scope(), late, object())
    assert caught.value.code.value == "DEADLINE_EXCEEDED"
    assert len(late.timeouts) == 1
    gone = Pure(*[error(grpc.StatusCode.UNAVAILABLE)] * REPLICA_ATTEMPTS)
    with pytest.raises(ServiceError) as unavailable:
        await downstream._call("planning", scope(), gone, object())
    assert unavailable.value.code.value == "UNAVAILABLE"
    assert len(gone.timeouts) == REPLICA_ATTEMPTS


def test_a_prepared_image_counts_in_the_key_by_its_digest() -> None:
    def search(jpeg: bytes, sha256: str, page_size: int = 20) -> gateway_pb2.SearchOffersRequest:
        image = common_pb2.PreparedImage(jpeg=jpeg, width=8, height=8, sha256=sha256)
        return gateway_pb2.SearchOffersRequest(image=image, page_size=page_size)

    same = request_digest(search(b"a" * 1000, "aa"))
    assert request_digest(search(b"a" * 1000, "aa")) == same
    assert request_digest(search(b"a" * 1000, "bb")) != same
    assert request_digest(search(b"a" * 1000, "aa", page_size=10)) != same
    # Without a digest, the JPEG itself counts.
    assert request_digest(search(b"a", "")) != request_digest(search(b"b", ""))
    request = search(b"a" * 1000, "aa")
    request_digest(request)
    assert request.image.jpeg == b"a" * 1000  # the request sent is left whole
