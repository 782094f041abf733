"""Fetching URLs we were handed (by a caller, by the upstream) without letting them reach inside.

Used by preprocess for photo URLs from callers and for offers' images from the
upstream's answers. The host is resolved once and every address it resolves to must be
public (loopback, private, link-local such as the cloud metadata endpoint
169.254.169.254, shared, documentation and other reserved ranges are refused).
The request then goes to the checked address itself, with the name kept in the
Host header and in TLS (SNI and certificate check), so a second DNS answer
cannot swap in an internal address between the check and the connection (DNS
rebinding). Redirects are followed by hand, each new URL checked by the caller
and fenced again. Bodies are read under a byte cap, declared or not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Mapping

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchRefused(Exception):
    """The URL's host or the answer's size is not allowed."""


class AddressRefused(FetchRefused):
    """The host resolves to an address inside our network (or no address at all)."""


class TooLarge(FetchRefused):
    """The body is larger than the cap."""


class NotFetched(Exception):
    """The host answered, but not with the body: another HTTP status, or too many redirects."""


def is_public(address: str) -> bool:
    """A globally routable unicast address (IPv4 or IPv6, zone index ignored)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``; every address it resolves to must be public.

    Raises :class:`AddressRefused` for a private address and :class:`OSError` when the
    name does not resolve.
    """
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise AddressRefused(f"{host!r} has no address")
    for address in addresses:
        if not is_public(address):
            raise AddressRefused(f"{host!r} is a private or reserved address ({address})")
    return addresses[0]


async def fenced_request(
    client: httpx.AsyncClient,
    url: httpx.URL,
    *,
    allow_private: bool,
    headers: Mapping[str, str] | None = None,
    request_timeout_s: float | None = None,
) -> httpx.Request:
    """A GET for an http(s) ``url``, sent to the checked public address of its host.

    The host name is kept for HTTP (Host) and TLS (SNI and the certificate check). With
    ``allow_private`` (the sandbox, tests) nothing is checked and the request goes by name.
    Raises :class:`AddressRefused`, or :class:`OSError` when the name does not resolve.
    """
    chosen_timeout = (
        request_timeout_s if request_timeout_s is not None else httpx.USE_CLIENT_DEFAULT
    )
    if allow_private:
        return client.build_request("GET", url, headers=headers, timeout=chosen_timeout)
    host = url.raw_host.decode("ascii")  # IDNA-encoded: what DNS and TLS are given
    address = await public_address(host, url.port or DEFAULT_PORTS[url.scheme])
    return client.build_request(
        "GET",
        url.copy_with(host=address),
        headers={**(headers or {}), "Host": url.netloc.decode("ascii")},
        extensions={"sni_hostname": host},
        timeout=chosen_timeout,
    )


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, or :class:`TooLarge` as soon as it is known to exceed ``max_bytes``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"the body is {declared} bytes; at most {max_bytes} are fetched")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise TooLarge(f"the body is larger than {max_bytes} bytes")
    return bytes(body)


async def fenced_get(
    client: httpx.AsyncClient,
    url: httpx.URL,
    *,
    allow_private: bool,
    max_bytes: int,
    max_redirects: int,
    redirect_to: Callable[[httpx.URL, str], httpx.URL],
    headers: Mapping[str, str] | None = None,
    request_timeout_s: float | None = None,
) -> bytes:
    """The body of ``url``'s 200 answer, each request made by :func:`fenced_request`.

    A redirect's ``Location`` goes to ``redirect_to(current_url, location)``, which returns
    the next URL after the caller's own checks (scheme, allowed hosts) or raises. Raises
    :class:`NotFetched` (another status, more than ``max_redirects`` redirects),
    :class:`TooLarge`, :class:`AddressRefused`, :class:`OSError` (the name does not resolve)
    and ``httpx.HTTPError``.
    """
    for _ in range(max_redirects + 1):
        request = await fenced_request(
            client,
            url,
            allow_private=allow_private,
            headers=headers,
            request_timeout_s=request_timeout_s,
        )
        response = await client.send(request, stream=True)
        try:
            location = response.headers.get("Location")
            if response.is_redirect and location:
                url = redirect_to(url, location)
                continue
            if response.status_code != 200:
                raise NotFetched(f"answered HTTP {response.status_code}")
            return await read_capped(response, max_bytes)
        finally:
            await response.aclose()
    raise NotFetched(f"more than {max_redirects} redirects")
