"""Aggregator overhead and verification cost, with the sandbox at a fixed 300 ms.

Runs the whole stack (``factoryfinder up``) and reports, as medians:
- the aggregator's own overhead per search = what the caller waited, minus the
  preprocess stage, minus the time the upstream (sandbox) spent answering the
  calls of that search (from the sandbox's request log), at 1 and at 32
  concurrent callers;
- ``VerifyByImages`` with 3 photos as a ratio to one ``SearchByImage`` (the
  photos are searched concurrently, so the ideal is close to 1.0, far from 3.0).
Every search uses a photo no cache has seen, so every one reaches the upstream.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import grpc
from factoryfinder.v1 import common_pb2, search_pb2, search_pb2_grpc

from services.sandbox.admin.client import SandboxAdmin
from tests.e2e.photos import variant
from tests.e2e.stack import Stack, running_stack

LATENCY_MS = 300
NAMES = ("phone_rotated.jpg", "low_contrast.jpg", "product.webp", "detail_closeup.jpg")
FAST_LIMITS = {
    "FF_GATEWAY_QPS": "1000",
    "FF_GATEWAY_BURST": "1000",
    "FF_GATEWAY_BUDGETS": "product.image.upload=100000,product.search.imageQuery=100000",
    "FF_GATEWAY_PHASH_DISTANCE": "0",
    "FF_GATEWAY_THUMBNAILS": "false",
    "FF_SANDBOX_QPS_DEFAULT": "0",
    "FF_SANDBOX_BUDGET_DEFAULT": "1000000",
}
_seed = iter(range(10_000, 1_000_000))


def _photo() -> common_pb2.Photo:
    seed = next(_seed)
    return common_pb2.Photo(image_data=variant(NAMES[seed % len(NAMES)], seed))


def _stage(response: search_pb2.SearchByImageResponse, name: str) -> float:
    return sum(t.duration.ToNanoseconds() / 1e9 for t in response.timings if t.stage == name)


async def _one_search(
    stub: search_pb2_grpc.SearchServiceAsyncStub, stack: Stack, photo: common_pb2.Photo
) -> tuple[float, float]:
    started = time.perf_counter()
    response = await stub.SearchByImage(
        search_pb2.SearchByImageRequest(photo=photo), metadata=stack.metadata, timeout=120
    )
    return time.perf_counter() - started, _stage(response, "preprocess")


async def _overheads(
    stub: search_pb2_grpc.SearchServiceAsyncStub,
    stack: Stack,
    admin: SandboxAdmin,
    callers: int,
    rounds: int,
) -> list[float]:
    overheads: list[float] = []
    for _ in range(rounds):
        photos = [_photo() for _ in range(callers)]
        before = max((c.seq for c in await admin.requests()), default=0)
        results = await asyncio.gather(*(_one_search(stub, stack, p) for p in photos))
        calls = await admin.requests(since=before)
        upstream_each = sum((c.end or c.start) - c.start for c in calls) / callers
        overheads += [total - prep - upstream_each for total, prep in results]
    return overheads


async def _verify_ratio(
    stub: search_pb2_grpc.SearchServiceAsyncStub, stack: Stack, rounds: int
) -> float:
    singles, verifies = [], []
    for _ in range(rounds):
        singles.append((await _one_search(stub, stack, _photo()))[0])
        started = time.perf_counter()
        await stub.VerifyByImages(
            search_pb2.VerifyByImagesRequest(photos=[_photo(), _photo(), _photo()]),
            metadata=stack.metadata,
            timeout=120,
        )
        verifies.append(time.perf_counter() - started)
    return statistics.median(verifies) / statistics.median(singles)


def _report(label: str, values: list[float]) -> None:
    ms = sorted(v * 1000 for v in values)
    print(
        f"{label:<34} median {statistics.median(ms):7.1f} ms   "
        f"p10 {ms[len(ms) // 10]:7.1f}   p90 {ms[len(ms) * 9 // 10]:7.1f}   (n={len(ms)})"
    )


async def _main(stack: Stack) -> None:
    async with (
        SandboxAdmin(stack.sandbox_url) as admin,
        grpc.aio.insecure_channel(stack.target) as channel,
    ):
        stub = search_pb2_grpc.SearchServiceStub(channel)
        await _overheads(stub, stack, admin, 2, 1)  # warm-up
        await admin.set_faults(latency_ms=LATENCY_MS, jitter_ms=0)
        one = await _overheads(stub, stack, admin, 1, 12)
        many = await _overheads(stub, stack, admin, 32, 2)
        ratio = await _verify_ratio(stub, stack, 5)
    print(f"sandbox latency fixed at {LATENCY_MS} ms per upstream call")
    _report("aggregator overhead, 1 caller", one)
    _report("aggregator overhead, 32 callers", many)
    print(
        f"VerifyByImages(3) / SearchByImage latency ratio: {ratio:.2f}  (sequential would be ~3.0)"
    )


def main() -> None:
    with running_stack(FAST_LIMITS) as stack:
        asyncio.run(_main(stack))


if __name__ == "__main__":
    main()
