"""What the emulated gateway does with one ``/openapi/...`` request, in order.

1. Read the path (app key last); count the call and log its start (when the
   HTTP layer received it, before the form was read).
2. Injected latency, then an injected fault if one is drawn (``faults``).
3. App key known (else 400 ``RequestValidateException``), API known under
   this URL style and version 1 (else ``gw.APIUnsupported``).
4. ``_aop_signature`` (``gw.SignatureMissing`` / ``gw.SignatureInvalid``),
   then ``_aop_timestamp`` ("Request is expired.").
5. Required parameters (``gw.ParamMissing``).
6. ``access_token`` of this app key, live (else HTTP 401).
7. ACL (``gw.APIACLDecline``), QPS (``gw.QosAppFrequencyLimit``), daily
   budget (``gw.NoUsageLeftError``).
8. The API itself; business errors come back with HTTP 200.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from services.sandbox.openapi import api_registry as apis
from services.sandbox.openapi import detail_apis, errors, oauth_apis, search_apis
from services.sandbox.openapi.api_call import Call, Reply
from services.sandbox.openapi.errors import GatewayError, OAuthError
from services.sandbox.openapi.request_log import LoggedRequest
from services.sandbox.openapi.signature_check import (
    ApiPath,
    check_signature,
    check_timestamp,
    parse_path,
)
from services.sandbox.sandbox_state import SandboxState
from shared.aop_signing import SIGNATURE_PARAM

Handler = Callable[[SandboxState, Call], Reply | Awaitable[Reply]]

HANDLERS: dict[str, Handler] = {
    apis.CURRENT_TIME: oauth_apis.current_time,
    apis.GET_TOKEN: oauth_apis.get_token,
    apis.POSTPONE_TOKEN: oauth_apis.postpone_token,
    apis.UPLOAD: search_apis.upload,
    apis.IMAGE_QUERY: search_apis.image_query,
    apis.DETAIL: detail_apis.query_product_detail,
    apis.PRODUCT_GET: detail_apis.product_get,
    apis.LINKPLUS_SEARCH: search_apis.similar_offer_search,
}

_GATEWAY_TIMEOUT = "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>"


def to_text(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _error_code(reply: Reply) -> str | None:
    body = reply.body
    if not isinstance(body, dict):
        return None if reply.status == 200 else str(reply.status)
    if "error_code" in body or "error" in body:
        return str(body.get("error_code") or body.get("error"))
    result = body.get("result")
    if isinstance(result, dict) and str(result.get("success")).lower() == "false":
        return str(result.get("code"))
    if str(body.get("success")).lower() == "false":
        return str(body.get("errorCode"))
    return None


CLIENT_CLOSED = 499


async def serve_call(
    state: SandboxState,
    tail: str,
    params: Mapping[str, str],
    method: str,
    base_url: str,
    request_id: str = "",
    received: float | None = None,
) -> tuple[Reply, LoggedRequest | None]:
    """Serve one call, and its log entry (None for a path that names no API).

    ``request_id`` (the caller's ``x-request-id``) goes into the log; ``received``
    (``time.monotonic()``) is when the HTTP layer got the request, logged as its start
    (else now). The entry's end is set here; the HTTP layer moves it to when the reply
    was rendered (``RequestLog.replied``).
    """
    try:
        path = parse_path(tail)
    except GatewayError as exc:
        return Reply(exc.status, exc.body()), None
    entry = state.log.begin(path.app_key, path.api, method, request_id, received)
    try:
        reply = await _with_faults(state, Call(path, params, base_url))
    except asyncio.CancelledError:
        # The client hung up (its deadline passed): logged as nginx's 499 so
        # tests can see that a caller's cancellation reached the upstream.
        state.log.finish(entry, CLIENT_CLOSED, "client_closed_request")
        raise
    state.log.finish(entry, reply.status, _error_code(reply))
    return reply, entry


def _asks_large_page(state: SandboxState, call: Call) -> bool:
    if call.path.name != apis.IMAGE_QUERY:
        return False
    try:
        size = int(json.loads(call.params.get("offerQueryParam", "{}")).get("pageSize") or 0)
    except (ValueError, TypeError, AttributeError):
        return False
    return size > state.settings.page_size_limit


async def _with_faults(state: SandboxState, call: Call) -> Reply:
    faults = state.faults
    delay = faults.delay_seconds(call.path.api, _asks_large_page(state, call))
    if delay:
        await asyncio.sleep(delay)
    fault = faults.pick(call.app_key, call.path.api)
    if fault == "hang":
        await asyncio.sleep(faults.plan.hang_seconds)
        return Reply(504, _GATEWAY_TIMEOUT, "text/html")
    if fault == "5xx":
        status, content_type, body = faults.server_error()
        return Reply(status, body, content_type)
    try:
        if fault == "storm":
            raise errors.frequency_limit()
        reply = await _checked(state, call)
    except GatewayError as exc:
        return Reply(exc.status, exc.body())
    except OAuthError as exc:
        return Reply(exc.status, exc.body())
    if fault == "malformed":
        text = to_text(reply.body)
        return Reply(reply.status, text[: len(text) // 2], reply.content_type)
    return reply


async def _checked(state: SandboxState, call: Call) -> Reply:
    path: ApiPath = call.path
    params = call.params
    secret = state.apps.get(path.app_key)
    if secret is None:
        raise errors.unknown_app_key(path.app_key)
    spec = apis.find(path.namespace, path.name, path.style)
    if spec is None or path.version != "1":
        raise errors.api_unsupported(f"{path.namespace}:{path.name}-{path.version}")
    if spec.signature == "required" or (spec.signature == "optional" and SIGNATURE_PARAM in params):
        check_signature(path, params, secret)
    if spec.signature != "none":
        settings = state.settings
        check_timestamp(
            params,
            time.time() * 1000,
            settings.timestamp_max_skew_seconds,
            settings.require_timestamp,
        )
    for name in spec.required:
        if not params.get(name):
            raise errors.param_missing(name)
    if spec.authorized and not state.tokens.access_valid(
        path.app_key, params.get("access_token", "")
    ):
        raise errors.need_authorization()
    if spec.limited:
        if (path.app_key, path.api) in state.declined:
            raise errors.acl_decline()
        state.limits.admit(path.app_key, path.api)
    outcome = HANDLERS[path.name](state, call)
    return await outcome if inspect.isawaitable(outcome) else outcome
