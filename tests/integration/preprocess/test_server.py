"""PreprocessService on a real server (port 0, loopback): photos in, rich errors out, always serving."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from aiohttp import web
from factoryfinder.v1 import common_pb2, preprocess_pb2, preprocess_pb2_grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from PIL import Image

from services.preprocess.server import SERVICE_NAME, create_server
from services.preprocess.settings import PreprocessSettings
from shared.config import load
from shared.grpc_client import health_check
from shared.grpc_errors import status_of
from tests.integration.serving import serving_channel
from tests.unit.preprocess.sample_images import encoded, photo, png_header_only

# On an aio channel the stub class types as PreprocessServiceAsyncStub (a .pyi-only name).
Stub = preprocess_pb2_grpc.PreprocessServiceStub
PHOTO = encoded(photo(2400, 1800, seed=31), "JPEG", quality=90)


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    settings = load(
        PreprocessSettings, {}, drain_delay_seconds=0.0, workers=2, allow_private_urls=True
    )
    async with serving_channel(await create_server(settings), SERVICE_NAME) as opened:
        yield opened


def _request(
    data: bytes = PHOTO, role: int = common_pb2.PHOTO_ROLE_PRODUCT
) -> preprocess_pb2.PrepareImageRequest:
    return preprocess_pb2.PrepareImageRequest(photo=common_pb2.Photo(image_data=data, role=role))  # type: ignore[arg-type]


async def _failure(
    channel: grpc.aio.Channel, request: preprocess_pb2.PrepareImageRequest
) -> tuple[grpc.StatusCode, str, list[str]]:
    """Status code, ErrorInfo reason and BadRequest fields of a failed call."""
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await Stub(channel).PrepareImage(request, timeout=30)
    status = status_of(failed.value)
    assert status is not None
    info, bad_request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    fields: list[str] = []
    reason = ""
    for detail in status.details:
        if detail.Unpack(info):
            reason = info.reason
            assert info.domain == "factoryfinder"
        elif detail.Unpack(bad_request):
            fields = [v.field for v in bad_request.field_violations]
    return failed.value.code(), reason, fields


def _check_prepared(response: preprocess_pb2.PrepareImageResponse, size: tuple[int, int]) -> None:
    image = response.image
    assert (image.width, image.height) == size
    assert image.sha256 == hashlib.sha256(image.jpeg).hexdigest()
    assert response.report.output_byte_size == len(image.jpeg) <= 500_000
    with Image.open(io.BytesIO(image.jpeg)) as decoded:
        assert decoded.format == "JPEG" and decoded.size == size


async def test_prepares_a_photo(channel: grpc.aio.Channel) -> None:
    response = await Stub(channel).PrepareImage(_request(), timeout=30)
    _check_prepared(response, (1200, 900))
    report = response.report
    assert (report.source_format, report.source_width, report.source_height) == ("JPEG", 2400, 1800)
    assert report.source_byte_size == len(PHOTO)
    assert report.jpeg_quality == 90
    assert "resize:2400x1800->1200x900" in report.steps
    assert report.steps[-1] == "encode_jpeg:q90"
    assert response.image.phash != 0


BAD_PHOTOS = {
    "IMAGE_TOO_LARGE": b"\xff\xd8\xff" + bytes(30_000_000),
    "IMAGE_TOO_MANY_PIXELS": png_header_only(50_000, 50_000),
    "IMAGE_TRUNCATED": PHOTO[: len(PHOTO) // 2],
    "NOT_AN_IMAGE": bytes(range(256)) * 100,
    "IMAGE_FORMAT_UNSUPPORTED": b"8BPS\x00\x01" + bytes(100),
    "IMAGE_TOO_SMALL": encoded(Image.new("RGB", (40, 40)), "PNG"),
}


@pytest.mark.parametrize("reason", sorted(BAD_PHOTOS))
async def test_bad_photos_get_the_right_status_and_the_service_keeps_serving(
    channel: grpc.aio.Channel, reason: str
) -> None:
    code, got, fields = await _failure(channel, _request(BAD_PHOTOS[reason]))
    assert (code, got, fields) == (grpc.StatusCode.INVALID_ARGUMENT, reason, ["photo.image_data"])
    _check_prepared(await Stub(channel).PrepareImage(_request(), timeout=30), (1200, 900))


async def test_a_photo_without_a_source_is_an_invalid_request(channel: grpc.aio.Channel) -> None:
    request = preprocess_pb2.PrepareImageRequest(
        photo=common_pb2.Photo(role=common_pb2.PHOTO_ROLE_SCENE)
    )
    assert await _failure(channel, request) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        ["photo"],
    )


async def test_an_unknown_role_is_an_invalid_request(channel: grpc.aio.Channel) -> None:
    assert await _failure(channel, _request(role=42)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        ["photo.role"],
    )


@pytest.fixture
async def photo_server() -> AsyncIterator[str]:
    async def serve_photo(_: web.Request) -> web.Response:
        return web.Response(body=PHOTO, content_type="image/jpeg")

    async def serve_text(_: web.Request) -> web.Response:
        return web.Response(text="not a photo")

    app = web.Application()
    app.router.add_get("/photo.jpg", serve_photo)
    app.router.add_get("/page.html", serve_text)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def _url_request(url: str) -> preprocess_pb2.PrepareImageRequest:
    return preprocess_pb2.PrepareImageRequest(photo=common_pb2.Photo(image_url=url))


async def test_photo_by_url(channel: grpc.aio.Channel, photo_server: str) -> None:
    response = await Stub(channel).PrepareImage(
        _url_request(f"{photo_server}/photo.jpg"), timeout=30
    )
    _check_prepared(response, (1200, 900))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/page.html", (grpc.StatusCode.INVALID_ARGUMENT, "NOT_AN_IMAGE")),
        ("/missing.jpg", (grpc.StatusCode.UNAVAILABLE, "IMAGE_FETCH_FAILED")),
    ],
)
async def test_url_failures_name_the_url_field(
    channel: grpc.aio.Channel, photo_server: str, path: str, expected: tuple[grpc.StatusCode, str]
) -> None:
    assert await _failure(channel, _url_request(photo_server + path)) == (
        *expected,
        ["photo.image_url"],
    )


async def test_forbidden_url(channel: grpc.aio.Channel) -> None:
    assert await _failure(channel, _url_request("file:///etc/passwd")) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "IMAGE_URL_FORBIDDEN",
        ["photo.image_url"],
    )


async def _health_answers(channel: grpc.aio.Channel, stop: asyncio.Event) -> list[float]:
    """When each health check was answered (perf_counter), until ``stop``."""
    health = health_check(channel)
    answered: list[float] = []
    while not stop.is_set():
        reply = await health(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        answered.append(time.perf_counter())
        await asyncio.sleep(0.01)
    return answered


async def test_many_concurrent_calls_while_health_stays_responsive(
    channel: grpc.aio.Channel,
) -> None:
    base = photo(2600, 1800, seed=32)
    photos = [
        encoded(base.crop((0, 0, 1800 + 40 * i, 1800)), "JPEG", quality=90) for i in range(20)
    ]
    stop = asyncio.Event()
    stub = Stub(channel)
    calls = [stub.PrepareImage(_request(data), timeout=120) for data in photos]
    started = time.perf_counter()
    probe = asyncio.create_task(_health_answers(channel, stop))
    responses = await asyncio.gather(*calls)
    finished = time.perf_counter()
    stop.set()
    answered = await probe
    for index, response in enumerate(responses):
        width = 1800 + 40 * index  # the long side, scaled to 1200
        _check_prepared(response, (1200, round(1800 * 1200 / width)))
        assert response.report.source_width == width
    # Structural, not a stopwatch: health checks kept being answered one after
    # another while the twenty photos were being worked on, so the gRPC loop never
    # waited for the image work.
    during = [t for t in answered if started < t < finished]
    assert len(during) >= 5, (len(during), len(answered))
