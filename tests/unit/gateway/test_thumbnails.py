"""Thumbnail fetching: allowed hosts only, no private addresses, capped, hashed."""

from __future__ import annotations

import asyncio
import io
import socket

import httpx
import pytest
from factoryfinder.v1 import common_pb2
from PIL import Image

from services.gateway.thumbnails import (
    ThumbnailFetcher,
    ThumbnailRefused,
    absolute_url,
    host_allowed,
)
from shared.phash import phash


def jpeg(colour: tuple[int, int, int] = (200, 30, 30), size: int = 64) -> bytes:
    image = Image.new("RGB", (size, size), colour)
    for x in range(size // 2):
        image.putpixel((x, x), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


PICTURE = jpeg()


def handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/a.jpg":
        return httpx.Response(200, content=PICTURE)
    if path == "/hop":
        return httpx.Response(302, headers={"location": "/a.jpg"})
    if path == "/away":
        return httpx.Response(302, headers={"location": "http://evil.example/a.jpg"})
    if path == "/big":
        return httpx.Response(200, content=b"x" * 5000)
    if path == "/loop":
        return httpx.Response(302, headers={"location": "/loop"})
    if path == "/text":
        return httpx.Response(200, content=b"not an image")
    return httpx.Response(404)


def fetcher(
    hosts: list[str] | None = None, allow_private: bool = True, max_bytes: int = 100_000
) -> ThumbnailFetcher:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ThumbnailFetcher(http, hosts or [".alicdn.com"], max_bytes, 2.0, allow_private)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("cbu01.alicdn.com", True),
        ("alicdn.com", True),
        ("CBU01.ALICDN.COM.", True),
        ("evilalicdn.com", False),
        ("alicdn.com.evil.example", False),
        ("img.example", True),
        ("sub.img.example", False),
    ],
)
def test_host_allowed(host: str, allowed: bool) -> None:
    assert host_allowed(host, [".alicdn.com", "img.example"]) is allowed


def test_absolute_urls() -> None:
    assert absolute_url("//cbu01.alicdn.com/a.jpg") == "https://cbu01.alicdn.com/a.jpg"
    assert absolute_url("img/ibank/a.jpg") == "https://cbu01.alicdn.com/img/ibank/a.jpg"
    assert absolute_url("http://x.alicdn.com/a.jpg") == "http://x.alicdn.com/a.jpg"


async def test_hash_of_an_allowed_image() -> None:
    expected = phash(Image.open(io.BytesIO(PICTURE)))
    assert await fetcher().phash_of("https://cbu01.alicdn.com/a.jpg") == expected


async def test_redirect_within_the_host_is_followed() -> None:
    assert await fetcher().fetch("https://cbu01.alicdn.com/hop") == PICTURE


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://evil.example/a.jpg", "not a configured image host"),
        ("https://cbu01.alicdn.com/away", "not a configured image host"),
        ("https://cbu01.alicdn.com/big", "5000 bytes; at most 1000"),
        ("https://cbu01.alicdn.com/loop", "too many redirects"),
        ("https://cbu01.alicdn.com/missing", "HTTP 404"),
        ("file:///etc/passwd", r"only http\(s\)"),
    ],
)
async def test_refusals(url: str, why: str) -> None:
    with pytest.raises(ThumbnailRefused, match=why):
        await fetcher(max_bytes=1000).fetch(url)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "[::1]"])
async def test_private_addresses_are_refused_outside_sandbox_mode(host: str) -> None:
    bare = host.strip("[]")
    guarded = fetcher(hosts=[bare], allow_private=False)
    with pytest.raises(ThumbnailRefused, match="private or reserved address"):
        await guarded.fetch(f"http://{host}/a.jpg")


async def test_outside_sandbox_mode_the_checked_address_is_the_one_fetched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([["47.246.1.1"], ["127.0.0.1"]])  # a rebinding DNS server

    async def resolve(host: str, port: int, **_: object) -> list[object]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolve)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    guarded = ThumbnailFetcher(http, [".alicdn.com"], 100_000, 2.0, allow_private=False)
    assert await guarded.fetch("https://cbu01.alicdn.com/a.jpg") == PICTURE
    assert [(r.url.host, r.headers["Host"]) for r in seen] == [("47.246.1.1", "cbu01.alicdn.com")]


async def test_private_addresses_are_allowed_in_sandbox_mode() -> None:
    assert (
        await fetcher(hosts=["127.0.0.1"], allow_private=True).fetch("http://127.0.0.1/a.jpg")
        == PICTURE
    )


async def test_attach_hashes_the_top_offers_and_skips_failures() -> None:
    offers = [
        common_pb2.Offer(offer_id="1", image_url="https://cbu01.alicdn.com/a.jpg"),
        common_pb2.Offer(offer_id="2", image_url="https://cbu01.alicdn.com/text"),
        common_pb2.Offer(offer_id="3", image_url=""),
        common_pb2.Offer(offer_id="4", image_url="https://cbu01.alicdn.com/a.jpg"),
    ]
    assert await fetcher().attach(offers, top_n=3) == 1
    assert [o.has_image_phash for o in offers] == [True, False, False, False]
    assert offers[0].image_phash == phash(Image.open(io.BytesIO(PICTURE)))
