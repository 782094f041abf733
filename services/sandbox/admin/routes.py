"""The admin API (JSON) under ``/admin``; see ``admin_client`` for the reference.

When ``admin_token`` is set, every admin request needs
``Authorization: Bearer <admin_token>`` (else 401 ``{"error": ...}``).
Bad input answers 400 ``{"error": "<reason>"}``.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from aiohttp import web

from services.sandbox.catalog.model import Catalog, Product
from services.sandbox.openapi.faults import FaultPlan
from services.sandbox.sandbox_state import SandboxState
from shared.china_time import quota_day


def _bad(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f'{{"error": "{reason}"}}', content_type="application/json")


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise _bad("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise _bad("body must be a JSON object")
    return body


def _product_summary(catalog: Catalog, product: Product) -> dict[str, Any]:
    offers = [catalog.offers[catalog.index_of[oid]] for oid in product.offer_ids]
    maker = catalog.maker_of(product.index)
    return {
        "index": product.index,
        "top_category": product.top.key,
        "top_category_id": product.top.top_id,
        "third_category_id": product.kind.third_id,
        "kind": product.kind.name_en,
        "source_offer_id": None if maker is None else maker.offer_id,
        "has_maker": product.has_maker,
        "offers": [
            {
                "offer_id": offer.offer_id,
                "is_source": offer.is_source,
                "role": offer.role,
                "quote_type": offer.quote_type,
                "plain_name": offer.seller.plain,
                "seller_kind": offer.seller.kind,
                "company_name": offer.seller.name,
                "customizable": offer.customizable,
                "biz_type": offer.biz_type,
                "text_ladder": offer.text_ladder_style is not None,
            }
            for offer in offers
        ],
    }


class AdminRoutes:
    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def table(self) -> list[web.RouteDef]:
        return [
            web.get("/admin/health", self.health),
            web.post("/admin/apps/{app_key}/auth-code", self.auth_code),
            web.post("/admin/apps/{app_key}/tokens", self.tokens),
            web.get("/admin/faults", self.get_faults),
            web.post("/admin/faults", self.set_faults),
            web.get("/admin/calls", self.calls),
            web.get("/admin/requests", self.requests),
            web.get("/admin/usage", self.usage),
            web.post("/admin/reset", self.reset),
            web.get("/admin/clock", self.get_clock),
            web.post("/admin/clock", self.set_clock),
            web.post("/admin/acl", self.acl),
            web.get("/admin/catalog", self.catalog),
        ]

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        token = self._state.settings.admin_token
        if token and request.path.startswith("/admin/"):
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return web.json_response({"error": "admin token required"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    def _app_key(self, request: web.Request) -> str:
        app_key = request.match_info["app_key"]
        if app_key not in self._state.apps:
            raise web.HTTPNotFound(
                text='{"error": "unknown app key"}', content_type="application/json"
            )
        return app_key

    async def health(self, request: web.Request) -> web.Response:
        catalog = self._state.loaded.catalog
        return web.json_response(
            {
                "status": "ok",
                "offers": len(catalog.offers),
                "products": len(catalog.products),
                "seed": catalog.seed,
            }
        )

    async def auth_code(self, request: web.Request) -> web.Response:
        code, lifetime = self._state.tokens.mint_code(self._app_key(request))
        return web.json_response({"code": code, "expires_in": lifetime})

    async def tokens(self, request: web.Request) -> web.Response:
        return web.json_response(self._state.tokens.mint_pair(self._app_key(request)))

    async def get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(self._state.faults.plan.as_dict())

    async def set_faults(self, request: web.Request) -> web.Response:
        changes = await _json_body(request)
        plan = self._state.faults.plan
        trial = FaultPlan(**plan.as_dict())
        try:
            trial.update(changes)
        except ValueError as exc:
            raise _bad(str(exc)) from None
        plan.update(changes)
        return web.json_response(plan.as_dict())

    async def calls(self, request: web.Request) -> web.Response:
        return web.json_response({"counts": self._state.log.counts()})

    async def requests(self, request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            raise _bad("since must be an integer") from None
        entries = self._state.log.entries(since, request.query.get("api"))
        return web.json_response({"requests": entries})

    async def usage(self, request: web.Request) -> web.Response:
        return web.json_response({"usage": self._state.limits.usage()})

    async def reset(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        state = self._state
        state.log.reset()
        state.limits.reset()
        if body.get("faults"):
            state.faults.plan = FaultPlan.from_settings(state.settings)
        if body.get("clock"):
            state.clock.reset()
        return web.json_response({"reset": True})

    def _clock_view(self) -> dict[str, Any]:
        clock = self._state.clock
        return {
            "now": clock.now().isoformat(),
            "epoch": clock.time(),
            "frozen": clock.frozen,
            "china_day": quota_day(clock.now()).isoformat(),
        }

    async def get_clock(self, request: web.Request) -> web.Response:
        return web.json_response(self._clock_view())

    async def set_clock(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        clock = self._state.clock
        try:
            if body.get("reset"):
                clock.reset()
            if "set" in body:
                moment = datetime.fromisoformat(str(body["set"]))
                if moment.tzinfo is None:
                    raise ValueError("set needs a time zone")
                clock.set(moment.timestamp(), frozen=bool(body.get("frozen", clock.frozen)))
            elif "frozen" in body:
                clock.set(clock.time(), frozen=bool(body["frozen"]))
            if "advance_seconds" in body:
                clock.advance(float(body["advance_seconds"]))
        except (TypeError, ValueError) as exc:
            raise _bad(f"bad clock request: {exc}") from None
        return web.json_response(self._clock_view())

    async def acl(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        app_key, api, allowed = body.get("app_key"), body.get("api"), body.get("allowed")
        if (
            not isinstance(app_key, str)
            or not isinstance(api, str)
            or not isinstance(allowed, bool)
        ):
            raise _bad("need app_key, api (strings) and allowed (boolean)")
        declined = self._state.declined
        if allowed:
            declined.discard((app_key, api))
        else:
            declined.add((app_key, api))
        return web.json_response({"declined": sorted([list(pair) for pair in declined])})

    async def catalog(self, request: web.Request) -> web.Response:
        catalog = self._state.loaded.catalog
        try:
            offset = max(0, int(request.query.get("offset", "0")))
            limit = max(0, min(int(request.query.get("limit", "100")), 1000))
        except ValueError:
            raise _bad("offset and limit must be integers") from None
        products = catalog.products[offset : offset + limit]
        return web.json_response(
            {
                "total_products": len(catalog.products),
                "total_offers": len(catalog.offers),
                "products": [_product_summary(catalog, product) for product in products],
            }
        )
