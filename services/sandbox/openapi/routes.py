"""HTTP glue: ``/openapi/...`` (GET query or POST form, merged) and offer images.

Offer images live at ``/img/ibank/{offerId}.jpg`` (``offer_image_side``
pixels square) and under the CDN-style names search rows and details use
(``/img/ibank/O1CN01…_!!…-0-cib.jpg`` and, without ``img/ibank/`` as live
rows often are, ``/O1CN01…_!!…-0-cib.jpg``: ``offer_json.cdn_path``); as on
1688's CDN, ``…jpg_{N}x{N}.jpg`` asks for another size (32-1200). They are
drawn on first request and cached; concurrent requests for a picture being drawn
wait for that drawing instead of drawing it again.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections import OrderedDict

from aiohttp import web

from services.sandbox.catalog import photos as catalog_photos
from services.sandbox.openapi import offer_json
from services.sandbox.openapi.api_call import Reply
from services.sandbox.openapi.pipeline import serve_call, to_text
from services.sandbox.sandbox_state import SandboxState

_IMAGE_NAME = re.compile(r"^(\d+|O1CN01[0-9A-Za-z]+_!!\d+-0-cib)\.jpg(?:_(\d+)x(\d+)\.jpg)?$")
_IMAGE_CACHE = 512
_MAX_SIDE = 1200


def base_url(state: SandboxState, request: web.Request) -> str:
    return state.settings.public_url.rstrip("/") or f"{request.scheme}://{request.host}"


def _response(reply: Reply) -> web.Response:
    text = reply.body if isinstance(reply.body, str) else to_text(reply.body)
    return web.Response(
        status=reply.status, text=text, content_type=reply.content_type, charset="utf-8"
    )


class OpenApiRoutes:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._images: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._drawing: dict[tuple[int, int], asyncio.Future[bytes]] = {}

    def table(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/openapi/{tail:.*}", self.openapi),
            web.get("/img/ibank/{name}", self.image),
            web.get("/{name:O1CN01[^/]+}", self.image),
        ]

    async def openapi(self, request: web.Request) -> web.Response:
        """One API call. Its log entry spans the whole handling: from here (before the
        form is read) until the reply is ready to be written, so a caller's bench never
        counts the sandbox's form parsing or JSON rendering as its own."""
        received = time.monotonic()
        if request.method not in ("GET", "POST"):
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "POST"])
        params = {key: value for key, value in request.query.items()}
        if request.method == "POST":
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        reply, entry = await serve_call(
            self._state,
            request.match_info["tail"],
            params,
            request.method,
            base_url(self._state, request),
            request.headers.get("x-request-id", "")[:128],
            received,
        )
        response = _response(reply)
        if entry is not None:
            # Rendered and its headers made here rather than after the handler returns, so
            # the end is logged when only handing the bytes to the socket is left. Not
            # after that: the caller may already have the reply while this thread waits
            # to run again, and that wait is the caller's time, not the sandbox's.
            await response.prepare(request)
            self._state.log.replied(entry)
            await response.write_eof()
        return response

    async def image(self, request: web.Request) -> web.Response:
        match = _IMAGE_NAME.match(request.match_info["name"])
        catalog = self._state.loaded.catalog
        offer_id = None
        if match is not None:
            name = match.group(1)
            offer_id = int(name) if name.isdigit() else offer_json.offer_of_cdn_name(name + ".jpg")
        offer = catalog.offer(offer_id) if offer_id is not None else None
        if match is None or offer is None:
            raise web.HTTPNotFound()
        side = int(match.group(2)) if match.group(2) else self._state.settings.offer_image_side
        side = max(32, min(side, _MAX_SIDE))
        key = (offer.offer_id, side)
        data = self._images.get(key)
        if data is None:
            drawing = self._drawing.get(key)
            if drawing is None:
                loop = asyncio.get_running_loop()
                drawing = loop.run_in_executor(
                    None, catalog_photos.offer_jpeg, catalog, offer, side
                )
                self._drawing[key] = drawing
                drawing.add_done_callback(functools.partial(self._drawn, key))
            # Shielded: a caller that hangs up leaves the drawing to the others waiting on it.
            data = await asyncio.shield(drawing)
        return web.Response(
            body=data, content_type="image/jpeg", headers={"Cache-Control": "max-age=86400"}
        )

    def _drawn(self, key: tuple[int, int], drawing: asyncio.Future[bytes]) -> None:
        del self._drawing[key]
        if drawing.cancelled() or drawing.exception() is not None:
            return
        self._images[key] = drawing.result()
        while len(self._images) > _IMAGE_CACHE:
            self._images.popitem(last=False)
