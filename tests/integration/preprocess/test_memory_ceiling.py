"""2,000 fuzzed photos from 4 callers against a real preprocess service and its workers.

The service runs as its own process (``factoryfinder serve preprocess``, port 0, two
workers, default memory settings) so the RSS summed over it, its forkserver and its
workers can be sampled from /proc while the photos go in. The photos are valid
files of every format and mode (CMYK, 16-bit, palette with transparency,
EXIF-rotated, animations) mutated byte by byte, or rewritten to declare canvases
up to 65,500 x 65,500. A small output geometry keeps each photo cheap; the decoders
and limits are the production ones.

Every call must end OK, INVALID_ARGUMENT or RESOURCE_EXHAUSTED with an ErrorInfo
reason (never INTERNAL, UNKNOWN, DEADLINE_EXCEEDED or UNAVAILABLE), the summed RSS
must stay under 1 GiB throughout, and the service must be healthy and preparing
photos at the end.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import sys
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import numpy as np
from factoryfinder.v1 import common_pb2, preprocess_pb2, preprocess_pb2_grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2

from services.preprocess.server import SERVICE_NAME
from shared.grpc_client import health_check
from shared.grpc_errors import status_of
from tests.unit.preprocess.sample_images import encoded, photo, png16
from tests.unit.preprocess.test_fuzz import seed_files

PHOTOS = 2000
CALLERS = 4
GIB = 1 << 30
ALLOWED = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED}
SIZES = [(65500, 65500), (65500, 2), (20000, 20000), (16383, 16383), (9000, 9000), (6000, 4000)]
SMALL_GEOMETRY = {
    "FF_PREPROCESS_LONG_SIDE_MAX": "160",
    "FF_PREPROCESS_SHORT_SIDE_MIN": "96",
    "FF_PREPROCESS_MIN_SIDE_FLOOR": "8",
    "FF_PREPROCESS_TARGET_BYTES": "12000",
    "FF_PREPROCESS_MAX_OUTPUT_BYTES": "20000",
}


def _tree(root: int) -> list[int]:
    """``root`` and every process descended from it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_bytes(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


class RssSampler:
    """The largest RSS summed over a process tree, sampled in a thread until stopped."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, sum(_rss_bytes(pid) for pid in _tree(self.root)))
            self.samples += 1

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _declaring(data: bytes, size: tuple[int, int]) -> bytes:
    """``data`` with its header rewritten to declare ``size`` (the pixels left as they are)."""
    width, height = size
    buffer = bytearray(data)
    if data.startswith(b"\xff\xd8"):
        at = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
        if at > 0:
            buffer[at + 5 : at + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    elif data.startswith(b"\x89PNG"):
        buffer[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
        buffer[29:33] = zlib.crc32(bytes(buffer[12:29])).to_bytes(4, "big")
    elif data.startswith(b"GIF"):
        buffer[6:10] = width.to_bytes(2, "little") + height.to_bytes(2, "little")
    elif data[8:12] == b"WEBP":
        w, h = min(width, 16384) - 1, min(height, 16384) - 1
        if data[12:16] == b"VP8X":
            buffer[24:30] = w.to_bytes(3, "little") + h.to_bytes(3, "little")
        elif data[12:16] == b"VP8 ":
            buffer[26:30] = min(w, 16383).to_bytes(2, "little") + min(h, 16383).to_bytes(
                2, "little"
            )
        else:
            bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
            buffer[21:25] = (bits | min(w, 16383) | min(h, 16383) << 14).to_bytes(4, "little")
    elif data.startswith(b"BM"):
        buffer[18:26] = width.to_bytes(4, "little") + height.to_bytes(4, "little")
    return bytes(buffer)


def _mutated(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not buffer:
            break
        at = rng.randrange(len(buffer))
        kind = rng.choice(["flip", "set", "cut", "insert", "delete", "duplicate"])
        if kind == "flip":
            buffer[at] ^= 1 << rng.randrange(8)
        elif kind == "set":
            buffer[at] = rng.choice([0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        elif kind == "cut":
            del buffer[at:]
        elif kind == "insert":
            buffer[at:at] = rng.randbytes(rng.randint(1, 64))
        elif kind == "delete":
            del buffer[at : at + rng.randint(1, 64)]
        else:
            buffer[at:at] = buffer[at : at + rng.randint(1, 256)]
    return bytes(buffer)


def corpus() -> list[bytes]:
    """The fuzz corpus's valid files (plus 16-bit RGBA), mutated or declaring huge canvases."""
    deep = np.asarray(photo(100, 80, seed=9).convert("RGBA"), dtype=np.uint16) * 257
    files = [*seed_files(), png16(deep), encoded(photo(300, 200, seed=8), "JPEG", quality=80)]
    rng = random.Random(20)
    photos = []
    for index in range(PHOTOS):
        data = files[index % len(files)]
        if index % 3 == 0:
            data = _declaring(data, rng.choice(SIZES))
            if rng.random() < 0.5:
                data = _mutated(data, rng)
        else:
            data = _mutated(data, rng)
        photos.append(data)
    return photos


@contextmanager
def preprocess_service() -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, **SMALL_GEOMETRY}
    env.update(FF_PREPROCESS_PORT="0", FF_PREPROCESS_WORKERS="2")
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "preprocess"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        match = re.search(r"listening on (\S+)", server.stdout.readline())
        assert match, "the service did not start"
        yield server, match.group(1)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _reason(error: grpc.aio.AioRpcError) -> str:
    status = status_of(error)
    info = error_details_pb2.ErrorInfo()
    for detail in status.details if status else []:
        if detail.Unpack(info):
            return str(info.reason)
    return ""


async def _call_all(address: str, photos: list[bytes]) -> tuple[Counter[str], list[str]]:
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    queue = iter(enumerate(photos))
    async with grpc.aio.insecure_channel(address) as channel:
        stub = preprocess_pb2_grpc.PreprocessServiceStub(channel)

        async def caller() -> None:
            for index, data in queue:
                request = preprocess_pb2.PrepareImageRequest(
                    photo=common_pb2.Photo(image_data=data, role=common_pb2.PHOTO_ROLE_PRODUCT)
                )
                try:
                    await stub.PrepareImage(request, timeout=120)
                    outcomes["OK"] += 1
                except grpc.aio.AioRpcError as error:
                    reason = _reason(error)
                    outcomes[f"{error.code().name}:{reason}"] += 1
                    if error.code() not in ALLOWED or not reason:
                        problems.append(f"photo {index}: {error.code().name} {error.details()}")

        await asyncio.gather(*(caller() for _ in range(CALLERS)))
        health = await health_check(channel)(
            health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=10
        )
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        good = encoded(photo(400, 300, seed=5), "JPEG", quality=90)
        response = await stub.PrepareImage(
            preprocess_pb2.PrepareImageRequest(photo=common_pb2.Photo(image_data=good)), timeout=60
        )
        assert (response.image.width, response.image.height) == (160, 120)
    return outcomes, problems


def test_fuzzed_photos_stay_under_the_memory_ceiling() -> None:
    photos = corpus()
    with preprocess_service() as (server, address), RssSampler(server.pid) as sampler:
        outcomes, problems = asyncio.run(_call_all(address, photos))
    print(f"\noutcomes: {dict(outcomes)}")
    print(f"peak RSS of the service and its workers: {sampler.peak / 2**20:.0f} MiB")
    assert sum(outcomes.values()) == PHOTOS
    assert not problems, problems[:20]
    assert outcomes["OK"] > PHOTOS // 10  # the mutations leave many photos decodable
    assert outcomes["INVALID_ARGUMENT:IMAGE_TOO_MANY_PIXELS"] > 0  # the huge canvases
    assert sampler.samples > 10
    assert sampler.peak < GIB
