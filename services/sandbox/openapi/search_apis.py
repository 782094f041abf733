"""Image search: ``product.image.upload``, ``product.search.imageQuery`` and the
URL-based ``alibaba.cross.similar.offer.search``.

Decoding and describing an upload is CPU work, so it runs in a worker thread:
concurrent uploads overlap (the request log shows it) and the event loop
keeps answering. Business errors (HTTP 200, ``success`` false):
``PARAM_INVALID`` for malformed JSON params, ``IMAGE_NOT_FOUND`` for an
unknown or expired imageId, ``PIC_URL_UNREACHABLE`` for a ``picUrl`` the
sandbox cannot fetch (it fetches its own offer images and loopback URLs).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from PIL import Image

from services.sandbox.catalog import photos as catalog_photos
from services.sandbox.openapi import errors, offer_json
from services.sandbox.openapi.api_call import Call, Reply, ok
from services.sandbox.sandbox_state import SandboxState
from services.sandbox.search.index import PhotoDescription, describe
from services.sandbox.search.query import QueryError, parse_search, select
from services.sandbox.search.upload_check import Accepted, Refusal, check_bytes, check_upload

_OWN_IMAGE = re.compile(r"^/img/ibank/(\d+)\.jpg")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_PIC_SIDE = 400
_PIC_MAX_BYTES = 10 * 1024 * 1024


def _failure(state: SandboxState, code: str, message: str, as_string: bool) -> Reply:
    return ok(errors.business_failure(code, message, state.failure(as_string)))


async def upload(state: SandboxState, call: Call) -> Reply:
    try:
        param = json.loads(call.params["uploadImageParam"])
        text = param["imageBase64"]
        if not isinstance(text, str):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError):
        return _failure(
            state, "PARAM_INVALID", "uploadImageParam must be JSON with imageBase64", True
        )
    settings = state.settings
    loop = asyncio.get_running_loop()
    outcome = await loop.run_in_executor(
        None,
        check_upload,
        text,
        settings.max_image_bytes,
        settings.min_image_side,
        settings.upload_refusal_shape,
    )
    if isinstance(outcome, Refusal):
        return ok(_refusal_body(state, outcome))
    description = state.uploads.known_description(outcome)
    if description is None:
        description = await loop.run_in_executor(None, describe, outcome.image)
    image_id = state.uploads.add(outcome, description)
    return ok(
        {
            "result": {
                "success": state.success(True),
                "code": "200",
                "message": "success",
                "result": image_id,
            }
        }
    )


def _refusal_body(state: SandboxState, refusal: Refusal) -> dict[str, Any]:
    if refusal.zero_id:
        result = {
            "success": state.success(True),
            "code": refusal.code,
            "message": refusal.message,
            "result": "0",
        }
        return {"result": result}
    return errors.business_failure(refusal.code, refusal.message, state.failure(True))


def image_query(state: SandboxState, call: Call) -> Reply:
    settings = state.settings
    try:
        request = parse_search(
            call.params["offerQueryParam"],
            settings.page_size_limit,
            settings.page_size_over_limit == "clamp",
        )
    except QueryError as exc:
        return _failure(state, exc.code, str(exc), False)
    ranking = state.uploads.ranking(request.image_id, request.region)
    if ranking is None:
        return _failure(
            state, "IMAGE_NOT_FOUND", f"imageId {request.image_id} not found or expired", False
        )
    loaded = state.loaded
    chosen = select(loaded.columns, ranking.order, request, settings.search_max_results)
    start = (request.begin_page - 1) * request.page_size
    page = chosen[start : start + request.page_size]
    trace = hashlib.sha1(f"{request.image_id}:{call.params['offerQueryParam']}".encode())
    rows = [
        offer_json.finish_row(
            _static_row(state, index), call.base_url, trace.hexdigest()[:30], request.image_id
        )
        for index in page.tolist()
    ]
    result = {
        "totalRecords": len(chosen),
        "totalPage": math.ceil(len(chosen) / request.page_size),
        "pageSize": request.page_size,
        "currentPage": request.begin_page,
        "data": rows,
        "picRegionInfo": dict(ranking.regions),
    }
    return ok(
        {
            "result": {
                "success": state.success(False),
                "code": "200",
                "message": None,
                "result": result,
            }
        }
    )


def _static_row(state: SandboxState, index: int) -> dict[str, Any]:
    static = state.search_rows.get(index)
    if static is None:
        catalog = state.loaded.catalog
        static = offer_json.search_row(catalog, catalog.offers[index], state.settings.row_shape)
        state.search_rows[index] = static
    return static


async def _picture_at(state: SandboxState, url: str) -> Image.Image | None:
    """The picture behind ``picUrl``: one of our offer images, or a loopback fetch."""
    parts = urlsplit(url)
    own = _OWN_IMAGE.match(parts.path)
    loop = asyncio.get_running_loop()
    catalog = state.loaded.catalog
    if own is not None and (offer := catalog.offer(int(own.group(1)))) is not None:
        return await loop.run_in_executor(
            None, catalog_photos.offer_photo, catalog, offer, _PIC_SIDE
        )
    if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK:
        return None
    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            data = await response.content.read(_PIC_MAX_BYTES)
    except (aiohttp.ClientError, TimeoutError):
        return None
    outcome = await loop.run_in_executor(None, check_bytes, data, _PIC_MAX_BYTES, 1, "no_id")
    return outcome.image if isinstance(outcome, Accepted) else None


async def similar_offer_search(state: SandboxState, call: Call) -> Reply:
    try:
        page = max(1, int(call.params.get("page") or 1))
        size = int(call.params.get("pageSize") or state.settings.linkplus_page_size_limit)
    except ValueError:
        return _failure(state, "PARAM_INVALID", "page and pageSize must be integers", False)
    size = max(1, min(size, state.settings.linkplus_page_size_limit))
    picture = await _picture_at(state, call.params["picUrl"])
    if picture is None:
        return _failure(state, "PIC_URL_UNREACHABLE", "picUrl cannot be fetched", False)
    description: PhotoDescription = await asyncio.get_running_loop().run_in_executor(
        None, describe, picture
    )
    cosines = state.loaded.index.cosines(description.raw)
    order = cosines.argsort(kind="stable")[::-1][: state.settings.search_max_results]
    chosen = order[(page - 1) * size : page * size]
    catalog = state.loaded.catalog
    rows = [
        offer_json.linkplus_row(catalog, catalog.offers[i], call.base_url) for i in chosen.tolist()
    ]
    return ok(
        {
            "result": {
                "success": state.success(False),
                "code": "200",
                "message": None,
                "result": rows,
            }
        }
    )
