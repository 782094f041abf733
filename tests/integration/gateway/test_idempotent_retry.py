"""A retried gateway call (same idempotency key) does not pay twice.

The gateway runs in-process against the sandbox over HTTP; the sandbox counts
what reached it.
"""

from __future__ import annotations

import time

import grpc
import pytest
from factoryfinder.v1 import gateway_pb2
from google.rpc import error_details_pb2

from services.gateway.protobuf_mapping import search_query
from services.gateway.store.idempotency import ATTEMPT_HEADER, IDEMPOTENCY_HEADER
from services.gateway.upstream.client import CallContext
from services.sandbox.admin.client import SandboxAdmin, TokenPair
from shared.grpc_errors import status_of
from tests.integration.gateway.harness import (
    QUERY,
    UPLOAD,
    Sandbox,
    gateway_env,
    photo,
    running_gateway,
    tenant,
)


def keyed(key: str, who: str = "acme", attempt: int = 1) -> tuple[tuple[str, str], ...]:
    return (*tenant(who), (IDEMPOTENCY_HEADER, key), (ATTEMPT_HEADER, str(attempt)))


def spent(response: gateway_pb2.SearchOffersResponse) -> dict[str, int]:
    return {line.api: line.calls for line in response.quota_spent}


async def test_a_finished_call_is_answered_again_for_free(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    async with running_gateway(gateway_env(sandbox, tokens, FF_GATEWAY_PHASH_DISTANCE="0")) as gw:
        request = gateway_pb2.SearchOffersRequest(image=photo(9100, side=160))
        first = await gw.stub.SearchOffers(request, metadata=keyed("r1/search/a"), timeout=30)
        counts = await admin.call_counts()
        again = await gw.stub.SearchOffers(
            request, metadata=keyed("r1/search/a", attempt=2), timeout=30
        )
        assert again == first
        assert spent(again) == {UPLOAD: 1, QUERY: 1}
        assert await admin.call_counts() == counts
        # A first attempt under the same key (the same photo twice in one request) is no
        # retry: it is a free repeat, which spent nothing itself.
        twin = await gw.stub.SearchOffers(request, metadata=keyed("r1/search/a"), timeout=30)
        assert (twin.from_cache, spent(twin)) == (True, {UPLOAD: 0, QUERY: 0})
        # The key is the tenant's own: another tenant's retry does not get that answer.
        other = await gw.stub.SearchOffers(
            request, metadata=keyed("r1/search/a", "beta", attempt=2), timeout=30
        )
        assert (other.from_cache, spent(other)) == (True, {UPLOAD: 0, QUERY: 0})
        assert await admin.call_counts() == counts


async def test_a_retry_pays_only_what_the_dead_attempt_never_received(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    async with running_gateway(gateway_env(sandbox, tokens, FF_GATEWAY_PHASH_DISTANCE="0")) as gw:
        request = gateway_pb2.SearchOffersRequest(image=photo(9200, side=160))
        key = "acme/r2/search/b"
        # The first attempt got its upload and page upstream, then its replica died
        # before answering: its spending is journalled, no answer was kept.
        dead = CallContext("acme", time.monotonic() + 30)
        gw.runtime.idempotency.attach(dead, key, attempt=1)
        await gw.runtime.flow.search(search_query(request), dead)
        counts = await admin.call_counts()
        retry = await gw.stub.SearchOffers(
            request, metadata=keyed("r2/search/b", attempt=2), timeout=30
        )
        assert await admin.call_counts() == counts
        # It says what the request spent in all, and that its page was paid for.
        assert (retry.from_cache, spent(retry)) == (False, {UPLOAD: 1, QUERY: 1})
        assert len(retry.offers) > 0


async def test_a_retry_asking_for_another_photo_is_refused_not_given_the_first_answer(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    async with running_gateway(gateway_env(sandbox, tokens, FF_GATEWAY_PHASH_DISTANCE="0")) as gw:
        first = gateway_pb2.SearchOffersRequest(image=photo(9300, side=160))
        await gw.stub.SearchOffers(first, metadata=keyed("r3/search/c"), timeout=30)
        other = gateway_pb2.SearchOffersRequest(image=photo(9301, side=160))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await gw.stub.SearchOffers(other, metadata=keyed("r3/search/c", attempt=2), timeout=30)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        status = status_of(refused.value)
        assert status is not None
        bad = error_details_pb2.BadRequest()
        assert any(d.Unpack(bad) for d in status.details)
        assert [v.field for v in bad.field_violations] == [IDEMPOTENCY_HEADER]
        # The same request under the key is still its retry, answered again.
        again = await gw.stub.SearchOffers(
            first, metadata=keyed("r3/search/c", attempt=2), timeout=30
        )
        assert spent(again) == {UPLOAD: 1, QUERY: 1}
