"""``product.search.queryProductDetail`` and ``alibaba.product.get``.

Unknown offers are business errors (HTTP 200): ``OFFER_NOT_FOUND`` inside
``result`` for the detail API, ``errorCode: "PRODUCT_NOT_EXIST"`` for the
older product API (whose ``webSite`` must be ``1688``).

``queryProductDetail`` answers only for offers in 1688's curated pool
(精选货源): a share ``detail_refusal_rate`` of the offers that are not
``isJxhy`` (a fixed set per seed, :func:`in_curated_pool`) get the refusal
live calls return inside a 200 (``errors.not_in_curated_pool``).
``alibaba.product.get`` answers for every offer: it is the fallback.
"""

from __future__ import annotations

import hashlib
import json

from services.sandbox.catalog.model import Offer
from services.sandbox.openapi import detail_json, errors
from services.sandbox.openapi.api_call import Call, Reply, ok
from services.sandbox.sandbox_state import SandboxState


def in_curated_pool(offer: Offer, seed: int, refusal_rate: float) -> bool:
    """Whether queryProductDetail answers for ``offer`` (always for ``isJxhy`` offers)."""
    if offer.jxhy:
        return True
    digest = hashlib.sha256(f"{seed}:pool:{offer.offer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 >= refusal_rate


def query_product_detail(state: SandboxState, call: Call) -> Reply:
    try:
        param = json.loads(call.params["offerDetailParam"])
        offer_id = int(param["offerId"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        body = errors.business_failure(
            "PARAM_INVALID",
            "offerDetailParam must be JSON with a numeric offerId",
            state.failure(True),
        )
        return ok(body)
    catalog = state.loaded.catalog
    offer = catalog.offer(offer_id)
    if offer is None:
        return ok(
            errors.business_failure(
                "OFFER_NOT_FOUND", f"offer {offer_id} does not exist", state.failure(True)
            )
        )
    if not in_curated_pool(offer, catalog.seed, state.settings.detail_refusal_rate):
        return ok(errors.not_in_curated_pool(offer.offer_id))
    return ok(
        {
            "result": {
                "success": state.success(True),
                "code": "200",
                "message": None,
                "result": detail_json.detail(catalog, offer, call.base_url),
            }
        }
    )


def product_get(state: SandboxState, call: Call) -> Reply:
    if call.params["webSite"] != "1688":
        return ok(
            errors.product_get_failure(
                "WEBSITE_NOT_SUPPORTED", "webSite must be 1688", state.failure(False)
            )
        )
    try:
        offer_id = int(call.params["productID"])
    except ValueError:
        return ok(
            errors.product_get_failure(
                "PARAM_INVALID", "productID must be a number", state.failure(False)
            )
        )
    catalog = state.loaded.catalog
    offer = catalog.offer(offer_id)
    if offer is None:
        return ok(
            errors.product_get_failure(
                "PRODUCT_NOT_EXIST", f"product {offer_id} does not exist", state.failure(False)
            )
        )
    return ok(
        {
            "success": state.success(False),
            "productInfo": detail_json.product_info(catalog, offer, call.base_url),
        }
    )
