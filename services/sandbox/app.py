"""The aiohttp application of one sandbox: gateway routes, images, admin."""

from __future__ import annotations

from aiohttp import web

from services.sandbox.admin.routes import AdminRoutes
from services.sandbox.openapi.routes import OpenApiRoutes
from services.sandbox.sandbox_state import SandboxState

_FORM_OVERHEAD = 1024 * 1024


def build_app(state: SandboxState) -> web.Application:
    admin = AdminRoutes(state)
    # A base64 upload is 4/3 of the image bytes; let the upload check refuse big images itself.
    max_body = state.settings.max_image_bytes * 2 + _FORM_OVERHEAD
    app = web.Application(middlewares=[admin.guard], client_max_size=max_body)
    app.add_routes(OpenApiRoutes(state).table())
    app.add_routes(admin.table())
    return app
