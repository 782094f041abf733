"""Sandboxes on 127.0.0.1 port 0, and a client that signs calls like the gateway.

``make_sandbox(**overrides)`` starts one with the default catalog (read from
the feature cache, memoised per process) and two apps; all are stopped at
the end of the test.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from services.sandbox.admin.client import SandboxAdmin, tls_context
from services.sandbox.server import RunningSandbox, start_sandbox
from services.sandbox.settings import SandboxSettings
from shared.aop_signing import sign
from shared.config import load

APP, SECRET = "1234567", "AbCdEf123456"
OTHER_APP, OTHER_SECRET = "7654321", "other-secret"
CROSSBORDER = "com.alibaba.fenxiao.crossborder"

MakeSandbox = Callable[..., Awaitable[RunningSandbox]]


@pytest.fixture
async def make_sandbox() -> AsyncIterator[MakeSandbox]:
    running: list[RunningSandbox] = []

    async def make(**overrides: Any) -> RunningSandbox:
        overrides.setdefault("apps", ((APP, SECRET), (OTHER_APP, OTHER_SECRET)))
        sandbox = await start_sandbox(load(SandboxSettings, {}, **overrides))
        running.append(sandbox)
        return sandbox

    yield make
    for sandbox in running:
        await sandbox.stop()


@pytest.fixture
async def sandbox(make_sandbox: MakeSandbox) -> RunningSandbox:
    return await make_sandbox()


class Gateway:
    """Signs and sends ``/openapi`` calls for one app key."""

    def __init__(
        self, base_url: str, app_key: str = APP, secret: str = SECRET, token: str = ""
    ) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30, verify=tls_context())
        self.app_key = app_key
        self.secret = secret
        self.token = token

    async def aclose(self) -> None:
        await self.http.aclose()

    def signed(
        self, namespace: str, api: str, params: dict[str, str], **options: Any
    ) -> tuple[str, dict[str, str]]:
        app_key = options.get("app_key", self.app_key)
        path = f"param2/1/{namespace}/{api}/{app_key}"
        sent = dict(params)
        if options.get("token", True) and self.token:
            sent["access_token"] = self.token
        if options.get("timestamp", True):
            sent["_aop_timestamp"] = str(int(time.time() * 1000))
        if options.get("sign", True):
            sent["_aop_signature"] = sign(path, sent, self.secret)
        return f"/openapi/{path}", sent

    async def call(
        self, namespace: str, api: str, params: dict[str, str], **options: Any
    ) -> httpx.Response:
        url, sent = self.signed(namespace, api, params, **options)
        if options.get("method", "POST") == "GET":
            return await self.http.get(url, params=sent)
        return await self.http.post(url, data=sent)

    async def upload(self, image_base64: str) -> httpx.Response:
        param = json.dumps({"imageBase64": image_base64})
        return await self.call(CROSSBORDER, "product.image.upload", {"uploadImageParam": param})

    async def query(self, **fields: Any) -> httpx.Response:
        param = json.dumps(fields)
        return await self.call(CROSSBORDER, "product.search.imageQuery", {"offerQueryParam": param})


@pytest.fixture
async def gateway(sandbox: RunningSandbox) -> AsyncIterator[Gateway]:
    async with SandboxAdmin(sandbox.base_url) as admin:
        pair = await admin.mint_tokens(APP)
    client = Gateway(sandbox.base_url, token=pair.access_token)
    yield client
    await client.aclose()


@pytest.fixture
async def admin(sandbox: RunningSandbox) -> AsyncIterator[SandboxAdmin]:
    async with SandboxAdmin(sandbox.base_url) as client:
        yield client


async def connect(sandbox: RunningSandbox, app_key: str = APP, secret: str = SECRET) -> Gateway:
    """A gateway client for ``app_key`` holding a freshly minted access token."""
    async with SandboxAdmin(sandbox.base_url) as admin:
        pair = await admin.mint_tokens(app_key)
    return Gateway(sandbox.base_url, app_key, secret, pair.access_token)


def gateway_error(response: httpx.Response) -> dict[str, Any]:
    """The flat gateway error body (checked to be flat, with a string ``error_code``)."""
    body: dict[str, Any] = response.json()
    assert (
        {"error_code", "error_message"}
        <= set(body)
        <= {
            "error_code",
            "error_message",
            "exception",
        }
    )
    assert isinstance(body["error_code"], str)
    return body
