"""imageQuery throughput of one sandbox process pinned to one core.

The sandbox runs as its own process (``python -m services.sandbox.server``)
on one CPU with zero latency, no QPS limit and no budget; this process drives
it from another CPU with keep-alive connections. Measured in the same run:

- baseline: ``system/currentTime`` (the cheapest gateway call: routing,
  logging, fault draw, no signature, no work);
- ``product.search.imageQuery``: signed, with a token, paging through 8
  uploaded photos (each ranking computed once, then cached per imageId);
- ``product.image.upload`` of an 800 px JPEG (decode + features).

Target: imageQuery >= 300 calls/s. Run: python -m tests.bench.bench_sandbox
(about 20 s, bounded).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

import aiohttp

from services.sandbox.catalog import photos as catalog_photos
from services.sandbox.catalog.loader import load_catalog
from services.sandbox.settings import SandboxSettings
from shared.aop_signing import sign
from shared.config import load

APP, SECRET = "bench", "bench-secret"
CROSSBORDER = "com.alibaba.fenxiao.crossborder"
TARGET = 300.0
SECONDS = 4.0
WORKERS = 16
PHOTOS = 8


def _cpus() -> tuple[set[int], set[int]]:
    """(the sandbox's CPU, the driver's CPUs)."""
    available = sorted(os.sched_getaffinity(0))
    server = {available[-1]}
    return server, (set(available[:-1]) or server)


def _start_server(cpu: set[int]) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-m", "services.sandbox.server", "--port", "0", "--app", f"{APP}:{SECRET}",
        "--qps-default", "0", "--budget-default", "0", "--budget", "product.search.imageQuery=0",
        "--budget", "product.image.upload=0", "--log-level", "WARNING",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, preexec_fn=lambda: os.sched_setaffinity(0, cpu)
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("sandbox listening on "):
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return process, line.rsplit(" ", 1)[-1]


def _signed(api: str, params: dict[str, str], token: str) -> tuple[str, dict[str, str]]:
    namespace = "system" if api == "currentTime" else CROSSBORDER
    path = f"param2/1/{namespace}/{api}/{APP}"
    sent = {**params, "_aop_timestamp": str(int(time.time() * 1000))}
    if token:
        sent["access_token"] = token
        sent["_aop_signature"] = sign(path, sent, SECRET)
    return f"/openapi/{path}", sent


async def _rate(
    session: aiohttp.ClientSession, base: str, requests: Callable[[int], tuple[str, dict[str, str]]]
) -> float:
    """Calls per second over ``SECONDS`` with ``WORKERS`` concurrent callers."""
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def worker(offset: int) -> None:
        nonlocal done
        n = offset
        while time.perf_counter() < deadline:
            url, form = requests(n)
            async with session.post(base + url, data=form) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status}")
            done += 1
            n += WORKERS

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(WORKERS)))
    return done / (time.perf_counter() - started)


def _photos() -> list[str]:
    settings = load(SandboxSettings, {})
    loaded = load_catalog(settings.seed, settings.catalog_offers, settings.cache_dir)
    out = []
    for product in range(PHOTOS):
        buffer = io.BytesIO()
        catalog_photos.offer_photo(loaded.catalog, loaded.catalog.source_of(product), 800).save(
            buffer, "JPEG"
        )
        out.append(base64.b64encode(buffer.getvalue()).decode())
    return out


async def _measure(base: str) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=WORKERS)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"{base}/admin/apps/{APP}/tokens") as response:
            token = (await response.json())["access_token"]
        photos = [json.dumps({"imageBase64": photo}) for photo in _photos()]
        image_ids = []
        for photo in photos:
            url, form = _signed("product.image.upload", {"uploadImageParam": photo}, token)
            async with session.post(base + url, data=form) as response:
                image_ids.append((await response.json())["result"]["result"])
        queries = [
            _signed("product.search.imageQuery", {"offerQueryParam": json.dumps(
                {"imageId": image_id, "beginPage": page, "pageSize": 20, "country": "en"})}, token)
            for image_id in image_ids for page in range(1, 6)
        ]  # fmt: skip
        uploads = [_signed("product.image.upload", {"uploadImageParam": p}, token) for p in photos]
        clock = _signed("currentTime", {}, "")
        await _rate(session, base, lambda n: queries[n % len(queries)])  # warm-up
        return {
            "currentTime (baseline)": await _rate(session, base, lambda n: clock),
            "imageQuery": await _rate(session, base, lambda n: queries[n % len(queries)]),
            "upload 800 px (same 8)": await _rate(
                session, base, lambda n: uploads[n % len(uploads)]
            ),
        }


def main() -> None:
    server_cpu, driver_cpus = _cpus()
    os.sched_setaffinity(0, driver_cpus)
    process, base = _start_server(server_cpu)
    try:
        rates = asyncio.run(_measure(base))
    finally:
        process.terminate()
        process.wait(timeout=15)
    baseline = rates["currentTime (baseline)"]
    print(
        f"sandbox on CPU {sorted(server_cpu)}, driver on {sorted(driver_cpus)}, {WORKERS} callers"
    )
    for name, rate in rates.items():
        print(f"  {name:24s} {rate:8.0f} calls/s   ({rate / baseline:.2f} x baseline)")
    verdict = "PASS" if rates["imageQuery"] >= TARGET else "MISS"
    print(
        f"{verdict}: imageQuery {rates['imageQuery']:.0f} calls/s, target {TARGET:.0f} on one core"
    )


if __name__ == "__main__":
    main()
