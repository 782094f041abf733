"""Fetching a photo by URL: only public http(s), same-host redirects, size and time caps."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from services.preprocess.errors import URL_FIELD, ImageRejected
from services.preprocess.settings import PreprocessSettings
from services.preprocess.url_fetch import UrlFetcher

BODY = b"\xff\xd8\xff" + b"photo" * 1000
SANDBOX = dataclasses.replace(
    PreprocessSettings(),
    allow_private_urls=True,
    fetch_max_bytes=100_000,
    fetch_timeout_seconds=2.0,
)


async def _photo(_: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="image/jpeg")


async def _host_echo(request: web.Request) -> web.Response:
    return web.Response(text=request.host)


async def _huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()  # no Content-Length: the cap must stop the stream
    await response.prepare(request)
    for _ in range(50):
        await response.write(b"x" * 10_000)
    return response


async def _declared_huge(_: web.Request) -> web.Response:
    return web.Response(body=b"x" * 200_000)


async def _slow(_: web.Request) -> web.Response:
    await asyncio.sleep(10)
    return web.Response(body=BODY)


async def _missing(_: web.Request) -> web.Response:
    return web.Response(status=404)


async def _same_host(_: web.Request) -> web.Response:
    raise web.HTTPFound("/photo.jpg")


async def _other_host(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"http://localhost:{request.url.port}/photo.jpg")


async def _loop(_: web.Request) -> web.Response:
    raise web.HTTPFound("/loop")


ROUTES = {
    "/photo.jpg": _photo,
    "/host": _host_echo,
    "/huge": _huge,
    "/declared-huge": _declared_huge,
    "/slow": _slow,
    "/missing": _missing,
    "/same-host": _same_host,
    "/other-host": _other_host,
    "/loop": _loop,
}


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    for path, handler in ROUTES.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def _fetch(url: str, settings: PreprocessSettings = SANDBOX) -> bytes:
    fetcher = UrlFetcher(settings)
    try:
        return await fetcher.fetch(url)
    finally:
        await fetcher.close()


async def _reason(url: str, settings: PreprocessSettings = SANDBOX) -> str:
    with pytest.raises(ImageRejected) as caught:
        await _fetch(url, settings)
    assert caught.value.field == URL_FIELD
    return caught.value.reason


async def test_fetches_a_photo(server: str) -> None:
    assert await _fetch(f"{server}/photo.jpg") == BODY


async def test_host_header_keeps_the_name(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    assert await _fetch(f"http://localhost:{port}/host") == f"localhost:{port}".encode()


async def test_follows_same_host_redirects(server: str) -> None:
    assert await _fetch(f"{server}/same-host") == BODY


async def test_refuses_redirect_to_another_host(server: str) -> None:
    assert await _reason(f"{server}/other-host") == "IMAGE_URL_FORBIDDEN"


async def test_redirect_loop_fails(server: str) -> None:
    assert await _reason(f"{server}/loop") == "IMAGE_FETCH_FAILED"


@pytest.mark.parametrize("path", ["/huge", "/declared-huge"])
async def test_size_cap(server: str, path: str) -> None:
    assert await _reason(f"{server}{path}") == "IMAGE_FETCH_FAILED"


async def test_time_cap(server: str) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    impatient = dataclasses.replace(SANDBOX, fetch_timeout_seconds=0.5)
    assert await _reason(f"{server}/slow", impatient) == "IMAGE_FETCH_FAILED"
    assert loop.time() - started < 3


async def test_http_error_status_fails(server: str) -> None:
    assert await _reason(f"{server}/missing") == "IMAGE_FETCH_FAILED"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/photo.jpg",
        "http://localhost/photo.jpg",
        "http://[::1]/photo.jpg",
        "http://10.1.2.3/photo.jpg",
        "http://192.168.0.10/photo.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/photo.jpg",
        "http://0.0.0.0/photo.jpg",
        "http://224.0.0.1/photo.jpg",
    ],
)
async def test_private_addresses_are_forbidden_outside_the_sandbox(url: str) -> None:
    assert await _reason(url, PreprocessSettings()) == "IMAGE_URL_FORBIDDEN"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a.jpg",
        "file:///etc/passwd",
        "gopher://x/",
        "not a url",
        "http://user:pw@example.com/",
    ],
)
async def test_other_schemes_and_credentials_are_forbidden(url: str) -> None:
    assert await _reason(url, PreprocessSettings()) == "IMAGE_URL_FORBIDDEN"


async def test_unresolvable_host_fails() -> None:
    assert await _reason("http://no-such-host.invalid/photo.jpg") == "IMAGE_FETCH_FAILED"
