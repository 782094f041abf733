"""The gateway over gRPC against the real sandbox over HTTP: search, paging, detail, cache."""

from __future__ import annotations

import pytest
from factoryfinder.v1 import common_pb2, gateway_pb2

from services.sandbox.admin.client import SandboxAdmin, TokenPair
from tests.integration.gateway.harness import (
    DETAIL,
    QUERY,
    UPLOAD,
    Sandbox,
    gateway_env,
    photo,
    rpc_error,
    running_gateway,
    tenant,
)


def spent(reply: gateway_pb2.SearchOffersResponse) -> dict[str, int]:
    return {line.api: line.calls for line in reply.quota_spent}


async def test_search_paging_detail_and_repeat(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    async with running_gateway(gateway_env(sandbox, tokens)) as gateway:
        request = gateway_pb2.SearchOffersRequest(image=photo(1), enrich_top_k=3)
        first = await gateway.stub.SearchOffers(request, metadata=tenant(), timeout=30)
        assert len(first.offers) == 20
        assert first.page == 1
        assert first.total_results > 40
        assert not first.from_cache
        assert spent(first) == {UPLOAD: 1, QUERY: 1, DETAIL: 3}
        assert (first.enriched_count, first.enrich_limit) == (3, 3)
        top = first.offers[0]
        assert top.detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
        assert top.detail.price_ladder or top.price_ladder
        assert top.price.currency_code == "CNY"
        # The upstream's order is the only relevance it gives; similarity is measured later.
        assert [offer.upstream_rank for offer in first.offers] == list(range(1, 21))
        assert all(offer.similarity == 0 for offer in first.offers)
        assert not any(offer.has_image_phash for offer in first.offers)
        assert first.next_page_token

        second = await gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(page_token=first.next_page_token),
            metadata=tenant(),
            timeout=30,
        )
        assert second.page == 2
        assert {o.offer_id for o in second.offers}.isdisjoint({o.offer_id for o in first.offers})
        assert spent(second) == {UPLOAD: 0, QUERY: 1}
        assert [offer.upstream_rank for offer in second.offers] == list(range(21, 41))
        assert await admin.call_count(sandbox.app_key, UPLOAD) == 1
        assert await admin.call_count(sandbox.app_key, QUERY) == 2

        offer_id = second.offers[0].offer_id
        detail = await gateway.stub.GetOfferDetail(
            gateway_pb2.GetOfferDetailRequest(offer_id=offer_id), metadata=tenant(), timeout=30
        )
        assert detail.offer.offer_id == offer_id
        assert detail.offer.detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
        assert len(detail.offer.detail.price_ladder) >= 1
        assert not detail.from_cache
        again = await gateway.stub.GetOfferDetail(
            gateway_pb2.GetOfferDetailRequest(offer_id=offer_id), metadata=tenant(), timeout=30
        )
        assert again.from_cache
        assert [line.calls for line in again.quota_spent] == []

        calls_before = await admin.call_counts()
        repeat = await gateway.stub.SearchOffers(request, metadata=tenant(), timeout=30)
        assert repeat.from_cache
        assert sum(spent(repeat).values()) == 0
        assert [o.offer_id for o in repeat.offers] == [o.offer_id for o in first.offers]
        assert repeat.enriched_count == 3
        assert await admin.call_counts() == calls_before

        usage = await gateway.stub.GetQuotaUsage(
            gateway_pb2.GetQuotaUsageRequest(), metadata=tenant(), timeout=10
        )
        used = {line.api: line.used for line in usage.app_usage}
        assert used[QUERY] == 2
        assert used[UPLOAD] == 1
        assert usage.tenant == "acme"
        assert {b.api: b.state for b in usage.breakers}[QUERY] == gateway_pb2.BREAKER_STATE_CLOSED


async def test_unknown_offer_is_not_found(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    async with running_gateway(gateway_env(sandbox, tokens)) as gateway:
        error = await rpc_error(
            gateway.stub.GetOfferDetail(
                gateway_pb2.GetOfferDetailRequest(offer_id="999999999"), timeout=10
            )
        )
    assert (error.code.value, error.reason) == ("NOT_FOUND", "OFFER_NOT_FOUND")


async def test_acl_declined_detail_degrades(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    await admin.set_acl(sandbox.app_key, DETAIL, allowed=False)
    await admin.set_acl(sandbox.app_key, "alibaba.product.get", allowed=False)
    try:
        async with running_gateway(gateway_env(sandbox, tokens)) as gateway:
            reply = await gateway.stub.SearchOffers(
                gateway_pb2.SearchOffersRequest(image=photo(2), enrich_top_k=2), timeout=30
            )
            error = await rpc_error(
                gateway.stub.GetOfferDetail(
                    gateway_pb2.GetOfferDetailRequest(offer_id=reply.offers[5].offer_id),
                    timeout=10,
                )
            )
    finally:
        await admin.set_acl(sandbox.app_key, DETAIL, allowed=True)
        await admin.set_acl(sandbox.app_key, "alibaba.product.get", allowed=True)
    assert len(reply.offers) == 20
    assert reply.enriched_count == 0
    statuses = {offer.detail.status for offer in reply.offers[:2]}
    assert statuses == {common_pb2.DETAIL_STATUS_ACL_DECLINED}
    assert (error.code.value, error.reason) == ("FAILED_PRECONDITION", "DETAIL_UNAVAILABLE")
    assert error.metadata["detail_status"] == "ACL_DECLINED"


@pytest.mark.parametrize(
    ("request_", "reason", "field"),
    [
        (gateway_pb2.SearchOffersRequest(), "INVALID_REQUEST", "image"),
        (
            gateway_pb2.SearchOffersRequest(image=photo(3), page_size=51),
            "INVALID_REQUEST",
            "page_size",
        ),
        (
            gateway_pb2.SearchOffersRequest(page_token="nonsense"),
            "INVALID_PAGE_TOKEN",
            "page_token",
        ),
    ],
)
async def test_bad_requests_name_the_field(
    sandbox: Sandbox,
    admin: SandboxAdmin,
    tokens: TokenPair,
    request_: gateway_pb2.SearchOffersRequest,
    reason: str,
    field: str,
) -> None:
    async with running_gateway(gateway_env(sandbox, tokens)) as gateway:
        error = await rpc_error(gateway.stub.SearchOffers(request_, timeout=10))
    assert (error.code.value, error.reason) == ("INVALID_ARGUMENT", reason)
    assert [v.field for v in error.field_violations] == [field]
    assert await admin.call_count(sandbox.app_key, UPLOAD) == 0


async def test_tenant_shares_and_usage(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair
) -> None:
    env = gateway_env(sandbox, tokens, FF_GATEWAY_TENANT_SHARES=f"small@{QUERY}=1")
    async with running_gateway(env) as gateway:
        await gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(30)), metadata=tenant("small"), timeout=30
        )
        error = await rpc_error(
            gateway.stub.SearchOffers(
                gateway_pb2.SearchOffersRequest(image=photo(31)), metadata=tenant("small")
            )
        )
        other = await gateway.stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(image=photo(31)), metadata=tenant("big"), timeout=30
        )
        usage = await gateway.stub.GetQuotaUsage(
            gateway_pb2.GetQuotaUsageRequest(), metadata=tenant("small")
        )
        bad_tenant = await rpc_error(
            gateway.stub.GetQuotaUsage(
                gateway_pb2.GetQuotaUsageRequest(), metadata=tenant("no spaces please")
            )
        )
    assert (error.code.value, error.reason) == ("RESOURCE_EXHAUSTED", "TENANT_QUOTA_EXHAUSTED")
    assert error.quota_violations[0].subject == f"tenant:small:{QUERY}"
    assert error.retry_after_seconds is not None and error.retry_after_seconds > 0
    assert len(other.offers) == 20
    assert usage.tenant == "small"
    assert [(u.api, u.used, u.limit, u.remaining) for u in usage.tenant_usage] == [(QUERY, 1, 1, 0)]
    assert {u.api: u.used for u in usage.app_usage}[QUERY] == 2
    assert usage.resets_at.seconds > 0
    assert (bad_tenant.code.value, bad_tenant.reason) == ("INVALID_ARGUMENT", "INVALID_REQUEST")
    # The refused search burned no upload.
    assert await admin.call_count(sandbox.app_key, UPLOAD) == 2
