"""Fixtures of the gateway's integration tests (none is autouse).

``sandbox``: one 1688 sandbox process for the session (its own app key and a
random secret); ``admin``: its admin client, reset (counts, faults, clock)
for each test; ``tokens``: a fresh token pair minted for the test.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from services.sandbox.admin.client import SandboxAdmin, TokenPair
from tests.integration.gateway.harness import Sandbox, start_sandbox_process, stop_process

APP_KEY = "7654321"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    secret = "sbx-" + secrets.token_hex(12)
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    process, url = start_sandbox_process(APP_KEY, secret, log)
    try:
        yield Sandbox(url, APP_KEY, secret)
    finally:
        stop_process(process)


@pytest.fixture
async def admin(sandbox: Sandbox) -> AsyncIterator[SandboxAdmin]:
    async with SandboxAdmin(sandbox.url) as client:
        await client.reset(faults=True, clock=True)
        yield client
        await client.reset(faults=True, clock=True)


@pytest.fixture
async def tokens(admin: SandboxAdmin, sandbox: Sandbox) -> TokenPair:
    return await admin.mint_tokens(sandbox.app_key)
