"""Offers' main images, fetched fenced and kept by URL.

The URLs come from the upstream's answers, so every fetch is fenced: http(s)
only, no credentials in the URL, only the configured image hosts
(``image_hosts``: a host name, or ``.suffix`` for a domain and its subdomains;
with ``allow_private_urls`` (sandbox, development) ``127.0.0.1`` and
``localhost`` too), every address the host resolves to public unless
``allow_private_urls``, the connection made to the checked address
(:mod:`shared.fenced_fetch`), redirects followed by hand and only to allowed
hosts, a byte cap and a time cap. At most ``image_fetch_concurrency`` downloads
run at once per service process.

Fetched bytes are kept in a least-recently-used cache bounded by their total
size (``image_cache_bytes``): resellers' offers come back in search after
search, and a verification's photos find the same offers.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from shared.fenced_fetch import DEFAULT_PORTS, FetchRefused, NotFetched, TooLarge, fenced_get

_HEADERS = {"Accept": "image/*", "Accept-Encoding": "identity"}
_MAX_REDIRECTS = 3
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
# 1688 answers with protocol-relative or bare CDN paths now and then.
_CDN = "https://cbu01.alicdn.com/"


class ImageUnavailable(Exception):
    """The image was refused or could not be fetched; the message says why (no secrets)."""


def host_allowed(host: str, hosts: Sequence[str]) -> bool:
    """``host`` is one of ``hosts`` (``.suffix`` entries: the domain and its subdomains)."""
    host = host.lower().rstrip(".")
    for entry in hosts:
        entry = entry.lower()
        if entry.startswith("."):
            if host.endswith(entry) or host == entry[1:]:
                return True
        elif host == entry:
            return True
    return False


def absolute_url(url: str) -> str:
    """1688's protocol-relative (``//cbu01...``) and bare paths as https URLs."""
    if url.startswith("//"):
        return "https:" + url
    if "://" not in url:
        return urljoin(_CDN, url.lstrip("/"))
    return url


class ByteLru:
    """URL → bytes, least recently used first out, bounded by the total size of the values."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self._max:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self._size -= len(old)
        self._items[key] = value
        self._size += len(value)
        while self._size > self._max:
            _, dropped = self._items.popitem(last=False)
            self._size -= len(dropped)

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class FetchLimits:
    hosts: tuple[str, ...]
    max_bytes: int
    timeout_s: float
    concurrency: int
    cache_bytes: int
    allow_private: bool


class OfferImageFetcher:
    """Downloads offer images within the limits; one connection pool for the service's life."""

    def __init__(self, limits: FetchLimits) -> None:
        self._limits = limits
        self._hosts = limits.hosts + (_LOOPBACK_HOSTS if limits.allow_private else ())
        # trust_env off: proxies from the environment would bypass the address check.
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._gate = asyncio.Semaphore(limits.concurrency)
        self._cache = ByteLru(limits.cache_bytes)

    async def fetch(self, url: str) -> tuple[bytes, bool]:
        """The image's bytes and whether they came from the cache; ImageUnavailable otherwise."""
        url = absolute_url(url)
        cached = self._cache.get(url)
        if cached is not None:
            return cached, True
        async with self._gate:
            try:
                async with asyncio.timeout(self._limits.timeout_s):
                    data = await self._follow(url)
            except TimeoutError as exc:
                raise ImageUnavailable(f"not fetched within {self._limits.timeout_s} s") from exc
            except httpx.HTTPError as exc:
                raise ImageUnavailable(f"fetch failed ({type(exc).__name__})") from exc
            except OSError as exc:
                raise ImageUnavailable(
                    f"the host cannot be reached ({type(exc).__name__})"
                ) from exc
        self._cache.put(url, data)
        return data, False

    async def _follow(self, url: str) -> bytes:
        try:
            return await fenced_get(
                self._client,
                self._checked(url),
                allow_private=self._limits.allow_private,
                max_bytes=self._limits.max_bytes,
                max_redirects=_MAX_REDIRECTS,
                redirect_to=lambda current, location: self._checked(
                    urljoin(str(current), location)
                ),
                headers=_HEADERS,
                request_timeout_s=self._limits.timeout_s,
            )
        except TooLarge as exc:
            raise ImageUnavailable(f"too large: {exc}") from exc
        except FetchRefused as exc:
            raise ImageUnavailable(f"refused: {exc}") from exc
        except NotFetched as exc:
            raise ImageUnavailable(f"the image host {exc}") from exc

    def _checked(self, text: str) -> httpx.URL:
        try:
            url = httpx.URL(text)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise ImageUnavailable("not a valid URL") from exc
        if url.scheme not in DEFAULT_PORTS or not url.host:
            raise ImageUnavailable("only http(s) URLs with a host are fetched")
        if url.userinfo:
            raise ImageUnavailable("URLs with user names or passwords are not fetched")
        if not host_allowed(url.host, self._hosts):
            raise ImageUnavailable(f"host {url.host} is not a configured image host")
        return url

    @property
    def cache(self) -> ByteLru:
        return self._cache

    async def close(self) -> None:
        await self._client.aclose()
