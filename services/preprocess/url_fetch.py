"""Photos fetched by URL without letting a caller reach inside our network.

Only http(s); the host is resolved first and every address it resolves to
must be public (loopback, private, link-local such as the cloud metadata
endpoint 169.254.169.254, and other reserved ranges are refused unless
``allow_private_urls`` is set for the sandbox). The connection then goes to
the checked address itself (Host header and TLS SNI keep the name), so a
second DNS answer cannot swap in an internal address. Redirects are followed
only on the same host; size and total time are capped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from services.preprocess.rejections import URL_FIELD, ImageRejected, Reason
from services.preprocess.settings import PreprocessSettings

_SCHEMES = {"http": 80, "https": 443}
_REDIRECTS = {301, 302, 303, 307, 308}


def _forbidden(message: str) -> ImageRejected:
    return ImageRejected(Reason.IMAGE_URL_FORBIDDEN.value, URL_FIELD, message)


def _failed(message: str) -> ImageRejected:
    return ImageRejected(Reason.IMAGE_FETCH_FAILED.value, URL_FIELD, message)


def _checked_url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise _forbidden(f"not a valid URL ({exc})") from exc
    if url.scheme not in _SCHEMES:
        raise _forbidden(f"only http and https URLs are fetched, not {url.scheme or 'none'!r}")
    if not url.host:
        raise _forbidden("the URL has no host")
    if url.userinfo:
        raise _forbidden("URLs with user names or passwords are not fetched")
    return url


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


async def _public_address(url: httpx.URL, allow_private: bool) -> str:
    """The address to connect to: every address the host resolves to must be allowed."""
    port = url.port or _SCHEMES[url.scheme]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            url.host, port, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise _failed(f"the host {url.host!r} cannot be resolved") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise _failed(f"the host {url.host!r} has no address")
    for address in addresses:
        if not allow_private and not _is_public(address):
            raise _forbidden(f"{url.host!r} is a private or reserved address ({address})")
    return str(addresses[0])


def _pinned_request(client: httpx.AsyncClient, url: httpx.URL, address: str) -> httpx.Request:
    """A request for ``url`` sent to ``address``, with the host name kept for HTTP and TLS."""
    host_header = url.netloc.decode("ascii")
    return client.build_request(
        "GET",
        url.copy_with(host=address),
        headers={"Host": host_header, "Accept": "image/*", "Accept-Encoding": "identity"},
        extensions={"sni_hostname": url.host},
    )


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _failed(f"the photo is {declared} bytes; at most {max_bytes} are fetched")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _failed(f"the photo is larger than {max_bytes} bytes")
    return bytes(body)


class UrlFetcher:
    """Fetches photos under the settings' caps; one connection pool for the service's life."""

    def __init__(self, settings: PreprocessSettings) -> None:
        self._settings = settings
        # trust_env off: proxies from the environment would bypass the address check.
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)

    async def fetch(self, text: str) -> bytes:
        """The photo's bytes, or ImageRejected (IMAGE_URL_FORBIDDEN / IMAGE_FETCH_FAILED)."""
        try:
            async with asyncio.timeout(self._settings.fetch_timeout_seconds):
                return await self._follow(_checked_url(text))
        except TimeoutError as exc:
            raise _failed(
                f"the photo was not fetched within {self._settings.fetch_timeout_seconds} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise _failed(f"the photo could not be fetched ({type(exc).__name__})") from exc

    async def _follow(self, url: httpx.URL) -> bytes:
        original_host = url.host.lower()
        for _ in range(self._settings.fetch_max_redirects + 1):
            address = await _public_address(url, self._settings.allow_private_urls)
            request = _pinned_request(self._client, url, address)
            response = await self._client.send(request, stream=True)
            try:
                location = response.headers.get("Location")
                if response.status_code in _REDIRECTS and location:
                    url = _checked_url(str(url.join(location)))
                    if url.host.lower() != original_host:
                        raise _forbidden(f"the URL redirects to another host ({url.host})")
                    continue
                if response.status_code != 200:
                    raise _failed(f"the URL answered HTTP {response.status_code}")
                return await _read_capped(response, self._settings.fetch_max_bytes)
            finally:
                await response.aclose()
        raise _failed(f"more than {self._settings.fetch_max_redirects} redirects")

    async def close(self) -> None:
        await self._client.aclose()
