"""Offer detail: the detail cache, then queryProductDetail, then alibaba.product.get.

Many app keys are refused the detail APIs (``gw.APIACLDecline``). A refused
API is skipped for a while (remembered in the store, so every replica skips
it) and the other one is tried; when both are refused the detail is
"unavailable" with its reason, never a crash. queryProductDetail also refuses,
inside a 200, each offer outside 1688's curated pool ("不是精选货源商品"): that
offer is asked of alibaba.product.get, and when that cannot answer either the
detail is unavailable as NOT_IN_CURATED_POOL. During a search's enrichment
each failure becomes a :class:`DetailStatus` on the offer instead of an error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from factoryfinder.v1 import common_pb2

from services.gateway.offers import parsing as offer_parsing
from services.gateway.store.caches import Caches
from services.gateway.store.interface import Store
from services.gateway.upstream import metrics as upstream_metrics
from services.gateway.upstream.client import (
    PRODUCT_GET,
    QUERY_DETAIL,
    Api,
    CallContext,
    UpstreamClient,
)
from services.gateway.upstream.errors import (
    ACL_DECLINED,
    API_UNSUPPORTED,
    OFFER_NOT_FOUND,
    OUTSIDE_POOL_WORDS,
    QUOTA_EXHAUSTED,
    REQUEST_INVALID,
    QuotaExhausted,
    UpstreamError,
)

log = logging.getLogger(__name__)

# How long a refusal is remembered (a detail API's ACL: skipped by every replica; an offer
# outside the curated pool: asked of alibaba.product.get directly) before it is tried again.
REFUSAL_MEMORY_S = 3600.0
_SKIPPABLE = (ACL_DECLINED, API_UNSUPPORTED)


@dataclass(frozen=True)
class DetailOutcome:
    offer: common_pb2.Offer
    from_cache: bool


class DetailUnavailable(Exception):
    """No detail API could answer; ``status`` says why (ACL, not found, quota, upstream)."""

    def __init__(
        self, status: common_pb2.DetailStatus.ValueType, reason: str, cause: Exception
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.cause = cause


class OfferDetails:
    def __init__(self, client: UpstreamClient, caches: Caches, store: Store) -> None:
        self._client = client
        self._caches = caches
        self._store = store

    async def get(self, offer_id: str, locale: str, ctx: CallContext) -> DetailOutcome:
        """The offer with its detail; DetailUnavailable when no API can give it."""
        cached = await self._caches.get_detail(offer_id)
        if cached is not None:
            upstream_metrics.CACHE_LOOKUPS.labels("detail", "hit").inc()
            return DetailOutcome(common_pb2.Offer.FromString(cached), from_cache=True)
        upstream_metrics.CACHE_LOOKUPS.labels("detail", "miss").inc()
        failure: Exception | None = None
        outside_pool: UpstreamError | None = None
        for api in (QUERY_DETAIL, PRODUCT_GET):
            remembered = await self._remembered(api, offer_id)
            if remembered is not None:
                if remembered.outside_curated_pool:
                    outside_pool = remembered
                failure = failure or remembered
                continue
            try:
                offer = await self._fetch(api, offer_id, locale, ctx)
            except QuotaExhausted as exc:
                failure = exc
                continue
            except UpstreamError as exc:
                if exc.outside_curated_pool:
                    await self._store.put(_outside_pool_key(offer_id), b"1", REFUSAL_MEMORY_S)
                    outside_pool = failure = exc
                    continue
                if exc.reason not in _SKIPPABLE:
                    raise _unavailable(exc) from exc
                await self._store.put(_declined_key(api), b"1", REFUSAL_MEMORY_S)
                log.warning("detail API refused", extra={"fields": {"api": api.name}})
                failure = exc
                continue
            self._caches.put_detail(offer_id, offer.SerializeToString())
            return DetailOutcome(offer, from_cache=False)
        assert failure is not None
        # The offer's own refusal says more than the fallback's (usually its ACL).
        raise _unavailable(outside_pool or failure)

    async def _remembered(self, api: Api, offer_id: str) -> UpstreamError | None:
        """A refusal remembered from an earlier call, which would only be repeated."""
        if await self._store.get(_declined_key(api)) is not None:
            return UpstreamError(ACL_DECLINED, "refused earlier", api=api.name)
        if api == QUERY_DETAIL and await self._store.get(_outside_pool_key(offer_id)) is not None:
            return UpstreamError(
                REQUEST_INVALID,
                "refused earlier: outside the curated pool",
                api=api.name,
                upstream_message=OUTSIDE_POOL_WORDS,
            )
        return None

    async def _fetch(
        self, api: Api, offer_id: str, locale: str, ctx: CallContext
    ) -> common_pb2.Offer:
        if api == QUERY_DETAIL:
            numeric: int | str = int(offer_id) if offer_id.isdigit() else offer_id
            param = json.dumps({"offerId": numeric, "country": locale}, separators=(",", ":"))
            body = await self._client.call(api, {"offerDetailParam": param}, ctx)
            return offer_parsing.parse_query_detail(offer_parsing.unwrap_result(api.name, body))
        body = await self._client.call(api, {"productID": offer_id, "webSite": "1688"}, ctx)
        return offer_parsing.parse_product_get(offer_parsing.unwrap_result(api.name, body))

    async def enrich(self, offer: common_pb2.Offer, locale: str, ctx: CallContext) -> bool:
        """Attach the detail to ``offer`` (or the reason it is missing); True if attached."""
        try:
            outcome = await self.get(offer.offer_id, locale, ctx)
        except DetailUnavailable as exc:
            offer.detail.CopyFrom(
                common_pb2.OfferDetail(status=exc.status, unavailable_reason=exc.reason)
            )
            return False
        merge_detail(offer, outcome.offer)
        return True


def merge_detail(offer: common_pb2.Offer, detailed: common_pb2.Offer) -> None:
    """The search row keeps its fields; the detail fills what the row lacked.

    A live row names no seller, no place and no category: the detail's ``sellerOpenId``
    becomes the supplier id (offers of one seller can then be told apart), its shipping
    origin the supplier's address (ranking's region filter places the supplier by it) and
    its category ids the offer's.
    """
    offer.detail.CopyFrom(detailed.detail)
    if not offer.price_ladder:
        offer.price_ladder.extend(detailed.detail.price_ladder)
    if not offer.min_order:
        offer.min_order = detailed.detail.min_order
    supplier, found = offer.supplier, detailed.supplier
    supplier.id = supplier.id or found.id
    supplier.company_name = supplier.company_name or found.company_name
    supplier.trade_score = supplier.trade_score or found.trade_score
    supplier.address = supplier.address or found.address
    if not offer.category_path:
        offer.category_path.extend(detailed.category_path)
        offer.category_id = detailed.category_id


def _declined_key(api: Api) -> str:
    return f"acl:declined:{api.name}"


def _outside_pool_key(offer_id: str) -> str:
    return f"detail:outside_pool:{offer_id}"


def _unavailable(cause: Exception) -> DetailUnavailable:
    if isinstance(cause, QuotaExhausted):
        return DetailUnavailable(common_pb2.DETAIL_STATUS_QUOTA_EXHAUSTED, str(cause), cause)
    assert isinstance(cause, UpstreamError)
    if cause.outside_curated_pool:
        return DetailUnavailable(
            common_pb2.DETAIL_STATUS_NOT_IN_CURATED_POOL,
            "the offer is outside 1688's curated pool (queryProductDetail refused it)"
            " and alibaba.product.get could not answer",
            cause,
        )
    status = {
        ACL_DECLINED: common_pb2.DETAIL_STATUS_ACL_DECLINED,
        API_UNSUPPORTED: common_pb2.DETAIL_STATUS_ACL_DECLINED,
        OFFER_NOT_FOUND: common_pb2.DETAIL_STATUS_NOT_FOUND,
        QUOTA_EXHAUSTED: common_pb2.DETAIL_STATUS_QUOTA_EXHAUSTED,
    }.get(cause.reason, common_pb2.DETAIL_STATUS_UPSTREAM_FAILED)
    reasons = {
        common_pb2.DETAIL_STATUS_ACL_DECLINED: "the app key may not call the detail APIs",
        common_pb2.DETAIL_STATUS_NOT_FOUND: "the offer no longer exists upstream",
        common_pb2.DETAIL_STATUS_QUOTA_EXHAUSTED: "the detail budget is spent for today",
    }
    return DetailUnavailable(status, reasons.get(status, f"the upstream failed: {cause}"), cause)
