"""Offer thumbnails → 64-bit perceptual hashes, so ranking can spot resellers
that reuse a factory's photo. Costs no API quota (plain image downloads).

The gateway fetches URLs the upstream handed it, so every fetch is fenced:
only configured image hosts (``.alicdn.com`` = the domain and subdomains), no
private, loopback or link-local addresses (except in sandbox mode), redirects
followed by hand and only to allowed hosts, a byte cap, a time cap, and a
pixel cap before decoding; the connection goes to the address that was checked
(:mod:`shared.fenced_fetch`). Any failure just leaves the offer without a hash.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from urllib.parse import urljoin

import httpx
from factoryfinder.v1 import common_pb2
from PIL import Image

from services.gateway import upstream_metrics
from shared.fenced_fetch import FetchRefused, fenced_request, read_capped
from shared.phash import phash

log = logging.getLogger(__name__)

_MAX_REDIRECTS = 3
_MAX_PIXELS = 40_000_000
_CONCURRENCY = 8
# 1688 answers with protocol-relative or bare CDN paths now and then.
_CDN = "https://cbu01.alicdn.com/"


class ThumbnailRefused(Exception):
    """The URL is not allowed or the image could not be fetched within the caps."""


def host_allowed(host: str, hosts: Sequence[str]) -> bool:
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
    if url.startswith("//"):
        return "https:" + url
    if "://" not in url:
        return urljoin(_CDN, url.lstrip("/"))
    return url


class ThumbnailFetcher:
    def __init__(
        self,
        http: httpx.AsyncClient,
        hosts: Sequence[str],
        max_bytes: int,
        timeout_s: float,
        allow_private: bool,
    ) -> None:
        self._http = http
        self._hosts = list(hosts)
        self._max_bytes = max_bytes
        self._timeout = timeout_s
        self._allow_private = allow_private
        self._gate = asyncio.Semaphore(_CONCURRENCY)

    async def attach(self, offers: Sequence[common_pb2.Offer], top_n: int) -> int:
        """Set ``image_phash`` on the first ``top_n`` offers with an image; returns how many.

        Each offer is set as soon as its hash is known, so a caller that cuts the
        work short by a timeout keeps the hashes finished so far.
        """

        async def one(offer: common_pb2.Offer) -> bool:
            value = await self.phash_of(offer.image_url)
            if value is None:
                return False
            offer.image_phash = value
            offer.has_image_phash = True
            return True

        chosen = [o for o in offers[:top_n] if o.image_url and not o.has_image_phash]
        return sum(await asyncio.gather(*(one(offer) for offer in chosen)))

    async def phash_of(self, url: str) -> int | None:
        """The image's pHash, or None when it is refused or unreadable."""
        async with self._gate:
            try:
                async with asyncio.timeout(self._timeout):
                    data = await self.fetch(absolute_url(url))
                value = await asyncio.to_thread(_hash_image, data)
            except (
                ThumbnailRefused,
                TimeoutError,
                httpx.HTTPError,
                OSError,
                ValueError,
                Image.DecompressionBombError,
            ) as exc:
                upstream_metrics.THUMBNAILS.labels(type(exc).__name__).inc()
                log.debug("thumbnail skipped", extra={"fields": {"error": str(exc)[:200]}})
                return None
        upstream_metrics.THUMBNAILS.labels("ok").inc()
        return value

    async def fetch(self, url: str) -> bytes:
        """GET ``url`` within the caps, following redirects only to allowed hosts."""
        for _ in range(_MAX_REDIRECTS + 1):
            request = await self._request(url)
            response = await self._http.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise ThumbnailRefused(f"HTTP {response.status_code}")
                return await read_capped(response, self._max_bytes)
            except FetchRefused as exc:
                raise ThumbnailRefused(str(exc)) from exc
            finally:
                await response.aclose()
        raise ThumbnailRefused("too many redirects")

    async def _request(self, text: str) -> httpx.Request:
        try:
            url = httpx.URL(text)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise ThumbnailRefused(f"not a valid URL ({exc})") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise ThumbnailRefused("only http(s) URLs are fetched")
        if not host_allowed(url.host, self._hosts):
            raise ThumbnailRefused(f"host {url.host} is not a configured image host")
        try:
            return await fenced_request(
                self._http, url, allow_private=self._allow_private, request_timeout_s=self._timeout
            )
        except FetchRefused as exc:
            raise ThumbnailRefused(str(exc)) from exc


def _hash_image(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as image:
        if image.width * image.height > _MAX_PIXELS:
            raise ThumbnailRefused("image has too many pixels")
        # JPEG: decode at a reduced size (DCT scaling; the hash looks at 32x32 anyway).
        image.draft("RGB", (256, 256))
        return phash(image)
