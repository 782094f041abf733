"""CompareImages on a real server (port 0) against images served from 127.0.0.1: similarity,
pHash, near-duplicate pairs and the cache; refused URLs reported per candidate, never failing
the call."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import grpc
import pytest
from aiohttp import web
from factoryfinder.v1 import preprocess_pb2, preprocess_pb2_grpc
from PIL import Image, ImageDraw

from services.preprocess.server import SERVICE_NAME, create_server
from services.preprocess.settings import PreprocessSettings
from services.preprocess.visual_similarity import METHOD
from services.sandbox.catalog.drawing import PhotoSpec, render_image
from shared.config import load
from tests.buyer_photos import buyer_photo
from tests.integration.serving import serving_channel

Stub = preprocess_pb2_grpc.PreprocessServiceStub


def _look(main: tuple[int, int, int], pattern: str) -> PhotoSpec:
    return PhotoSpec(
        "tshirt", 0.4, 0.6, main, (240, 230, 90), pattern, 0.12, 0.3,
        0.5, 0.5, 0.75, 0.1, "white", (230, 225, 220), 7,
    )  # fmt: skip


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


PRODUCT = render_image(_look((200, 40, 50), "stripes"), 800)
OTHER = render_image(_look((40, 60, 190), "solid"), 800)


def _copy() -> Image.Image:
    edited = PRODUCT.crop((40, 30, 780, 770)).resize((800, 800))
    ImageDraw.Draw(edited).rectangle((0, 700, 800, 800), fill=(200, 20, 20))
    return edited


IMAGES = {
    "/factory.jpg": _jpeg(PRODUCT.resize((256, 256))),
    "/reseller.jpg": _jpeg(_copy().resize((256, 256)), 70),
    "/other.jpg": _jpeg(OTHER.resize((256, 256))),
    "/big.jpg": _jpeg(PRODUCT) + b"\0" * 60_000,
    "/page.html": b"<html>no image here</html>",
}


@pytest.fixture
async def images() -> AsyncIterator[tuple[str, dict[str, int]]]:
    hits: dict[str, int] = {}

    async def serve(request: web.Request) -> web.Response:
        hits[request.path] = hits.get(request.path, 0) + 1
        if request.path == "/moved.jpg":
            raise web.HTTPFound("http://elsewhere.example/factory.jpg")
        if request.path == "/slow.jpg":
            await asyncio.sleep(5)
        body = IMAGES.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", hits
    finally:
        await runner.cleanup()


async def _channel(**overrides: object) -> AsyncIterator[grpc.aio.Channel]:
    settings = load(
        PreprocessSettings, {}, drain_delay_seconds=0.0, workers=1, image_max_bytes=50_000,
        **overrides,
    )  # fmt: skip
    async with serving_channel(await create_server(settings), SERVICE_NAME) as opened:
        yield opened


@pytest.fixture
async def sandbox_channel() -> AsyncIterator[grpc.aio.Channel]:
    async for channel in _channel(
        allow_private_urls=True, image_timeout_seconds=0.5, compare_max_candidates=8
    ):
        yield channel


@pytest.fixture
async def fenced_channel() -> AsyncIterator[grpc.aio.Channel]:
    async for channel in _channel(allow_private_urls=False, image_hosts=["127.0.0.1"]):
        yield channel


def _request(base: str, *names: str) -> preprocess_pb2.CompareImagesRequest:
    query = buyer_photo(PRODUCT, "phone", seed=1)
    upright = Image.open(io.BytesIO(query)).transpose(Image.Transpose.ROTATE_270)
    return preprocess_pb2.CompareImagesRequest(
        query_jpeg=_jpeg(upright),
        candidates=[
            preprocess_pb2.ImageCandidate(id=name.strip("/").split(".")[0], image_url=base + name)
            for name in names
        ],
    )


async def test_the_pictured_product_scores_highest_and_the_copies_pair_up(
    sandbox_channel: grpc.aio.Channel, images: tuple[str, dict[str, int]]
) -> None:
    base, hits = images
    request = _request(base, "/factory.jpg", "/reseller.jpg", "/other.jpg")
    reply = await Stub(sandbox_channel).CompareImages(request, timeout=30)
    assert reply.method == METHOD
    by_id = {c.id: c for c in reply.comparisons}
    assert [c.id for c in reply.comparisons] == ["factory", "reseller", "other"]
    assert all(c.match.compared and not c.match.unavailable_reason for c in reply.comparisons)
    assert by_id["factory"].match.similarity > by_id["other"].match.similarity + 10
    assert by_id["reseller"].match.similarity > by_id["other"].match.similarity
    assert all(c.phash != 0 for c in reply.comparisons)
    assert [(p.first_offer_id, p.second_offer_id) for p in reply.similar_pairs] == [
        ("factory", "reseller")
    ]
    assert not any(c.from_cache for c in reply.comparisons)

    again = await Stub(sandbox_channel).CompareImages(request, timeout=30)
    assert all(c.from_cache for c in again.comparisons)
    assert [c.match.similarity for c in again.comparisons] == [
        c.match.similarity for c in reply.comparisons
    ]
    assert hits["/factory.jpg"] == 1
    # A caller that needs no pairs gets the same comparisons without them.
    request.skip_similar_pairs = True
    unpaired = await Stub(sandbox_channel).CompareImages(request, timeout=30)
    assert not unpaired.similar_pairs
    assert [c.match.similarity for c in unpaired.comparisons] == [
        c.match.similarity for c in reply.comparisons
    ]


async def test_bad_candidates_are_reported_one_by_one(
    sandbox_channel: grpc.aio.Channel, images: tuple[str, dict[str, int]]
) -> None:
    base, _hits = images
    request = _request(base, "/factory.jpg", "/big.jpg", "/page.html", "/missing.jpg")
    request.candidates.append(
        preprocess_pb2.ImageCandidate(id="elsewhere", image_url="https://example.org/a.jpg")
    )
    request.candidates.append(preprocess_pb2.ImageCandidate(id="none", image_url=""))
    request.candidates.append(
        preprocess_pb2.ImageCandidate(id="moved", image_url=base + "/moved.jpg")
    )
    reply = await Stub(sandbox_channel).CompareImages(request, timeout=30)
    by_id = {c.id: c.match for c in reply.comparisons}
    assert by_id["factory"].compared
    reasons = {k: v.unavailable_reason for k, v in by_id.items() if not v.compared}
    assert set(reasons) == {"big", "page", "missing", "elsewhere", "none", "moved"}
    assert "too large" in reasons["big"]
    assert "not a readable image" in reasons["page"]
    assert "HTTP 404" in reasons["missing"]
    assert "not a configured image host" in reasons["elsewhere"]
    assert "not a configured image host" in reasons["moved"]
    assert all(by_id[k].similarity == 0 for k in reasons)


async def test_private_addresses_are_refused_outside_sandbox_mode(
    fenced_channel: grpc.aio.Channel, images: tuple[str, dict[str, int]]
) -> None:
    base, hits = images
    reply = await Stub(fenced_channel).CompareImages(_request(base, "/factory.jpg"), timeout=30)
    match = reply.comparisons[0].match
    assert not match.compared
    assert "private or reserved" in match.unavailable_reason
    assert hits == {}


async def test_a_query_that_is_not_an_image_is_the_callers_error(
    sandbox_channel: grpc.aio.Channel,
) -> None:
    request = preprocess_pb2.CompareImagesRequest(query_jpeg=b"not a jpeg")
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await Stub(sandbox_channel).CompareImages(request, timeout=30)
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_slow_image_is_given_up_within_the_time_cap(
    sandbox_channel: grpc.aio.Channel, images: tuple[str, dict[str, int]]
) -> None:
    base, _hits = images
    request = _request(base, "/factory.jpg", "/slow.jpg")
    reply = await Stub(sandbox_channel).CompareImages(request, timeout=4)
    by_id = {c.id: c.match for c in reply.comparisons}
    assert by_id["factory"].compared
    assert not by_id["slow"].compared
    assert "not fetched within 0.5 s" in by_id["slow"].unavailable_reason


async def test_more_candidates_than_allowed_are_refused(
    sandbox_channel: grpc.aio.Channel, images: tuple[str, dict[str, int]]
) -> None:
    base, _hits = images
    request = _request(base, *(["/factory.jpg"] * 9))
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await Stub(sandbox_channel).CompareImages(request, timeout=30)
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 8" in (failed.value.details() or "")
