"""The worker pool: results equal in-process ones, rejections cross over, crashes are survived."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import signal
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from services.preprocess.enhancement import PhotoRole
from services.preprocess.errors import ImageRejected
from services.preprocess.pipeline import prepare
from services.preprocess.settings import PreprocessSettings
from services.preprocess.worker_pool import WorkerPool, limit_address_space, limit_cpu_time
from tests.unit.preprocess.leaky import leak
from tests.unit.preprocess.sample_images import encoded, photo

SETTINGS = dataclasses.replace(PreprocessSettings(), workers=2)
PHOTO = encoded(photo(3000, 2000, seed=21), "JPEG", quality=92)


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(SETTINGS)
    await workers.start()
    yield workers
    await workers.close()


async def _workers_after(pool: WorkerPool, rebuilds: int) -> list[int]:
    """The worker pids once the pool has been rebuilt ``rebuilds`` times and has workers."""
    for _ in range(4000):  # polled: the pool has no event for "rebuilt"
        if pool.rebuilds == rebuilds and pool.worker_pids():
            return pool.worker_pids()
        await asyncio.sleep(0.005)
    raise AssertionError(f"the pool was not rebuilt {rebuilds} times")


async def test_workers_start_and_give_the_in_process_result(pool: WorkerPool) -> None:
    assert len(pool.worker_pids()) == 2
    assert os.getpid() not in pool.worker_pids()
    result = await pool.run(PHOTO, PhotoRole.PRODUCT)
    assert result == prepare(PHOTO, PhotoRole.PRODUCT, SETTINGS)


async def test_rejections_cross_the_process_boundary(pool: WorkerPool) -> None:
    with pytest.raises(ImageRejected) as caught:
        await pool.run(b"definitely not a photo", PhotoRole.PRODUCT)
    assert caught.value.reason == "NOT_AN_IMAGE"


async def test_many_concurrent_photos(pool: WorkerPool) -> None:
    base = photo(1300, 900, seed=3)
    photos = [encoded(base.crop((0, 0, 900 + 50 * i, 900)), "PNG") for i in range(8)]
    results = await asyncio.gather(*(pool.run(data, PhotoRole.SCENE) for data in photos))
    assert [r.width for r in results] == [min(1200, 900 + 50 * i) for i in range(8)]
    assert len({r.sha256 for r in results}) == 8


async def test_a_killed_worker_is_replaced_and_the_call_retried(pool: WorkerPool) -> None:
    call = asyncio.create_task(pool.run(PHOTO, PhotoRole.PRODUCT))
    await asyncio.sleep(0.02)
    for pid in pool.worker_pids():
        os.kill(pid, signal.SIGKILL)
    result = await call
    follow_up = await pool.run(PHOTO, PhotoRole.PRODUCT)
    assert result == follow_up
    assert pool.rebuilds == 1


async def test_a_photo_that_kills_workers_twice_is_refused(pool: WorkerPool) -> None:
    call = asyncio.create_task(pool.run(PHOTO, PhotoRole.PRODUCT))
    for rebuilds in (0, 1):
        pids = await _workers_after(pool, rebuilds)
        await asyncio.sleep(0.02)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    with pytest.raises(ImageRejected) as caught:
        await call
    assert caught.value.reason == "IMAGE_CORRUPT"
    assert (await pool.run(PHOTO, PhotoRole.PRODUCT)).width == 1200


def _spin_under_a_one_second_limit() -> int:
    limit_cpu_time(1)
    total = 0
    deadline = time.process_time() + 30
    while time.process_time() < deadline:  # a decoder stuck in a loop
        total += 1
    return total


async def test_the_cpu_limit_ends_a_runaway_worker() -> None:
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
        started = time.monotonic()
        with pytest.raises(BrokenProcessPool):
            await asyncio.get_running_loop().run_in_executor(
                executor, _spin_under_a_one_second_limit
            )
        assert time.monotonic() - started < 15


def _allocate_under_a_limit(limit_mb: int, allocate_mb: int) -> str:
    limit_address_space(limit_mb)
    try:
        block = bytearray(allocate_mb << 20)
    except MemoryError:
        return "refused"
    return f"allocated {len(block) >> 20} MiB"


async def test_the_address_space_limit_refuses_an_allocation_past_it() -> None:
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
        loop = asyncio.get_running_loop()
        small = await loop.run_in_executor(executor, _allocate_under_a_limit, 64, 32)
        # 64 MiB of budget and 128 MiB of thread slack: 512 MiB cannot fit.
        large = await loop.run_in_executor(executor, _allocate_under_a_limit, 64, 512)
    assert (small, large) == ("allocated 32 MiB", "refused")


async def test_a_worker_that_grows_past_its_share_retires_without_failing_a_call() -> None:
    # 64 MiB: a worker retires once its RSS stays above its size at start plus 32 MiB.
    small = WorkerPool(dataclasses.replace(SETTINGS, worker_memory_mb=64))
    started = set(await small.start())
    try:
        loop = asyncio.get_running_loop()
        leaks = [loop.run_in_executor(small._executor, leak, 48) for _ in range(2)]
        photos = [small.run(PHOTO, PhotoRole.PRODUCT) for _ in range(4)]
        *_, results = await asyncio.gather(asyncio.gather(*leaks), asyncio.gather(*photos))
        assert {r.sha256 for r in results} == {prepare(PHOTO, PhotoRole.PRODUCT, SETTINGS).sha256}
        assert small.rebuilds == 0  # replaced one by one, never a broken pool
        pids = await _workers_after(small, 0)
        assert len(pids) <= 2 and not started & set(pids)
        assert (await small.run(PHOTO, PhotoRole.PRODUCT)).width == 1200
        assert len(small.worker_pids()) == 2
    finally:
        await small.close()


async def test_a_worker_within_its_share_keeps_working(pool: WorkerPool) -> None:
    started = set(pool.worker_pids())
    for _ in range(3):
        await pool.run(PHOTO, PhotoRole.PRODUCT)
    assert set(pool.worker_pids()) == started
