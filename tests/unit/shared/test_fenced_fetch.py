"""Fenced fetching: public addresses only, the connection pinned to the checked address."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from shared.fenced_fetch import (
    AddressRefused,
    NotFetched,
    TooLarge,
    fenced_get,
    fenced_request,
    is_public,
    read_capped,
)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),  # the cloud metadata endpoint
        ("100.64.0.1", False),  # carrier-grade NAT, used by some clusters for pods
        ("192.0.2.1", False),  # documentation
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public


class Resolver:
    """Answers a name with the next list of addresses, counting the lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self._answers: Iterator[list[str]] = iter(answers)
        self.lookups = 0

    async def __call__(self, host: str, port: int, **_: Any) -> list[Any]:
        self.lookups += 1
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in next(self._answers)
        ]


@pytest.fixture
async def resolver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Resolver]:
    fake = Resolver(["93.184.216.34"], ["127.0.0.1"])
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fake)
    yield fake


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"photo")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        yield http, seen


async def test_the_request_goes_to_the_checked_address_with_the_name_kept(
    resolver: Resolver, client: tuple[httpx.AsyncClient, list[httpx.Request]]
) -> None:
    http, seen = client
    url = httpx.URL("https://img.example:8443/a.jpg?x=1")
    request = await fenced_request(http, url, allow_private=False, headers={"Accept": "image/*"})
    # The name now resolves somewhere inside (DNS rebinding): the request must not care.
    response = await http.send(request)
    assert response.content == b"photo"
    assert resolver.lookups == 1
    sent = seen[0]
    assert (sent.url.host, sent.url.port, sent.url.path, sent.url.query) == (
        "93.184.216.34",
        8443,
        "/a.jpg",
        b"x=1",
    )
    assert sent.headers["Host"] == "img.example:8443"
    assert sent.headers["Accept"] == "image/*"
    assert sent.extensions["sni_hostname"] == "img.example"


async def test_one_private_address_among_public_ones_refuses_the_host(
    monkeypatch: pytest.MonkeyPatch, client: tuple[httpx.AsyncClient, list[httpx.Request]]
) -> None:
    monkeypatch.setattr(
        asyncio.get_running_loop(), "getaddrinfo", Resolver(["93.184.216.34", "10.0.0.5"])
    )
    with pytest.raises(AddressRefused, match=r"private or reserved address \(10\.0\.0\.5\)"):
        await fenced_request(client[0], httpx.URL("http://img.example/"), allow_private=False)


async def test_the_sandbox_goes_by_name_without_a_lookup(
    resolver: Resolver, client: tuple[httpx.AsyncClient, list[httpx.Request]]
) -> None:
    http, _ = client
    request = await fenced_request(http, httpx.URL("http://localhost:9/a"), allow_private=True)
    assert (request.url.host, resolver.lookups) == ("localhost", 0)
    assert "sni_hostname" not in request.extensions


async def _stream(chunks: int) -> AsyncIterator[bytes]:
    for _ in range(chunks):
        yield b"x" * 100


async def test_read_capped() -> None:
    within = httpx.Response(200, content=b"x" * 100)
    assert await read_capped(within, 100) == b"x" * 100
    with pytest.raises(TooLarge, match="101 bytes; at most 100"):
        await read_capped(httpx.Response(200, content=b"x" * 101), 100)
    undeclared = httpx.Response(200, content=_stream(5))
    assert "Content-Length" not in undeclared.headers
    with pytest.raises(TooLarge, match="larger than 250 bytes"):
        await read_capped(undeclared, 250)


def _redirecting(hops: int) -> httpx.MockTransport:
    """``/0`` redirects to ``/1`` ... up to ``/{hops}``, which is the photo; ``/gone`` is a 404."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gone":
            return httpx.Response(404)
        step = int(request.url.path.strip("/"))
        if step < hops:
            return httpx.Response(302, headers={"Location": f"/{step + 1}"})
        return httpx.Response(200, content=b"photo")

    return httpx.MockTransport(answer)


async def test_fenced_get_checks_and_fences_every_redirect() -> None:
    fences = Resolver(["93.184.216.34"], ["93.184.216.35"], ["93.184.216.36"])
    loop = asyncio.get_running_loop()
    checked: list[str] = []

    def redirect_to(current: httpx.URL, location: str) -> httpx.URL:
        checked.append(f"{current.path} -> {location}")
        return httpx.URL("http://img.example").join(location)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loop, "getaddrinfo", fences)
        async with httpx.AsyncClient(transport=_redirecting(2)) as http:
            body = await fenced_get(
                http,
                httpx.URL("http://img.example/0"),
                allow_private=False,
                max_bytes=100,
                max_redirects=2,
                redirect_to=redirect_to,
            )
    assert body == b"photo"
    # Each hop was handed to the caller's check and resolved (fenced) again.
    assert checked == ["/0 -> /1", "/1 -> /2"]
    assert fences.lookups == 3


@pytest.mark.parametrize(
    ("path", "max_bytes", "max_redirects", "refusal", "message"),
    [
        ("/0", 100, 2, NotFetched, "more than 2 redirects"),
        ("/gone", 100, 2, NotFetched, "answered HTTP 404"),
        ("/3", 3, 0, TooLarge, "at most 3 are fetched"),
    ],
)
async def test_fenced_get_stops_at_the_redirect_cap_and_on_other_statuses(
    path: str, max_bytes: int, max_redirects: int, refusal: type[Exception], message: str
) -> None:
    def onward(current: httpx.URL, location: str) -> httpx.URL:
        return current.join(location)

    async with httpx.AsyncClient(transport=_redirecting(3)) as http:
        with pytest.raises(refusal, match=message):
            await fenced_get(
                http,
                httpx.URL(f"http://localhost{path}"),
                allow_private=True,
                max_bytes=max_bytes,
                max_redirects=max_redirects,
                redirect_to=onward,
            )
