"""Injected latency and faults, the admin API and the request log, over HTTP."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time

import httpx
import pytest
from PIL import Image

from services.sandbox.admin.client import SandboxAdmin, SandboxAdminError
from services.sandbox.server import RunningSandbox
from tests.integration.sandbox.conftest import APP, CROSSBORDER, Gateway, MakeSandbox

DETAIL = "product.search.queryProductDetail"
PARAM = {"offerDetailParam": json.dumps({"offerId": 1})}


def _jpeg_b64(seed: int) -> str:
    image = Image.new("RGB", (820, 820), (seed * 40 % 256, 90, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_latency_and_peak_mode(gateway: Gateway, admin: SandboxAdmin) -> None:
    await admin.set_faults(latency_ms=120, jitter_ms=0)
    started = time.perf_counter()
    assert (await gateway.call(CROSSBORDER, DETAIL, PARAM)).status_code == 200
    assert time.perf_counter() - started >= 0.12
    plan = await admin.set_faults(latency_ms=50, peak_mode=True, peak_factor=3)
    assert plan["peak_mode"] is True
    started = time.perf_counter()
    await gateway.call(CROSSBORDER, DETAIL, PARAM)
    assert time.perf_counter() - started >= 0.15


async def test_5xx_malformed_and_storm(gateway: Gateway, admin: SandboxAdmin) -> None:
    await admin.set_faults(fault_5xx_rate=1.0)
    statuses = {(await gateway.call(CROSSBORDER, DETAIL, PARAM)).status_code for _ in range(12)}
    assert statuses <= {500, 502, 503} and statuses
    await admin.set_faults(fault_5xx_rate=0.0, fault_malformed_rate=1.0)
    broken = await gateway.call(CROSSBORDER, DETAIL, PARAM)
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.text)
    await admin.set_faults(
        fault_malformed_rate=0.0, fault_storm_rate=1.0, storm_seconds=30, apis=[DETAIL]
    )
    stormed = await gateway.call(CROSSBORDER, DETAIL, PARAM)
    assert stormed.status_code == 400 and stormed.json()["error_code"] == "gw.QosAppFrequencyLimit"
    await admin.set_faults(fault_storm_rate=0.0)
    assert (await gateway.call(CROSSBORDER, DETAIL, PARAM)).json()[
        "error_code"
    ] == "gw.QosAppFrequencyLimit"
    other = await gateway.call("system", "currentTime", {}, token=False)
    assert other.status_code == 200
    await admin.reset(faults=True)
    assert (await admin.faults())["fault_storm_rate"] == 0.0


async def test_hang_outlasts_the_client_timeout(gateway: Gateway, admin: SandboxAdmin) -> None:
    await admin.set_faults(fault_hang_rate=1.0, hang_seconds=1.0)
    url, sent = gateway.signed(CROSSBORDER, DETAIL, PARAM)
    with pytest.raises(httpx.ReadTimeout):
        await gateway.http.post(url, data=sent, timeout=0.2)
    await admin.set_faults(fault_hang_rate=0.0)


async def test_counts_and_overlapping_uploads_in_the_request_log(
    gateway: Gateway, admin: SandboxAdmin
) -> None:
    await gateway.call(CROSSBORDER, DETAIL, PARAM)
    since = (await admin.requests())[-1].seq
    # Some upstream latency, as in life: without it a fast upload may finish before a slow client sends the next.
    await admin.set_faults(latency_ms=150)
    results = await asyncio.gather(*(gateway.upload(_jpeg_b64(i)) for i in range(3)))
    assert all(r.json()["result"]["result"].isdigit() for r in results)
    uploads = await admin.requests(since=since, api="product.image.upload")
    assert len(uploads) == 3 and all(u.status == 200 and u.end is not None for u in uploads)
    assert max(u.start for u in uploads) < min(u.end for u in uploads if u.end is not None)
    assert await admin.call_counts() == {APP: {DETAIL: 1, "product.image.upload": 3}}
    await admin.reset()
    assert await admin.call_counts() == {} and await admin.requests() == []


async def test_bad_admin_requests(admin: SandboxAdmin) -> None:
    with pytest.raises(SandboxAdminError):
        await admin.set_faults(fault_5xx_rate=2)
    with pytest.raises(SandboxAdminError):
        await admin.set_faults(nonsense=1)
    with pytest.raises(SandboxAdminError):
        await admin.mint_tokens("unknown-app")
    health = await admin.health()
    assert health["status"] == "ok" and health["offers"] >= 3000
    catalog = await admin.catalog(limit=2)
    assert (
        len(catalog["products"]) == 2 and catalog["products"][0]["offers"][0]["is_source"] is True
    )


async def test_admin_token_is_enforced(make_sandbox: MakeSandbox) -> None:
    sandbox: RunningSandbox = await make_sandbox(admin_token="letmein")
    async with SandboxAdmin(sandbox.base_url) as anonymous:
        with pytest.raises(SandboxAdminError, match="401"):
            await anonymous.health()
    async with SandboxAdmin(sandbox.base_url, admin_token="letmein") as admin:
        assert (await admin.health())["status"] == "ok"
        clock = await admin.freeze_clock()
        assert clock.frozen
        moved = await admin.advance_clock(3600)
        assert moved.epoch == pytest.approx(clock.epoch + 3600)
        assert not (await admin.reset_clock()).frozen
