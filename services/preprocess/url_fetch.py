"""Photos fetched by URL without letting a caller reach inside our network.

Only http(s), no credentials in the URL; the host must resolve to public
addresses only and the connection goes to the checked address (see
:mod:`shared.fenced_fetch`; ``allow_private_urls`` lifts the check for the
sandbox). Redirects are followed only on the same host; size and total time
are capped.
"""

from __future__ import annotations

import asyncio

import httpx

from services.preprocess.errors import URL_FIELD, ImageRejected, Reason
from services.preprocess.settings import PreprocessSettings
from shared.fenced_fetch import DEFAULT_PORTS, AddressRefused, NotFetched, TooLarge, fenced_get

_HEADERS = {"Accept": "image/*", "Accept-Encoding": "identity"}


def _forbidden(message: str) -> ImageRejected:
    return ImageRejected(Reason.IMAGE_URL_FORBIDDEN.value, URL_FIELD, message)


def _failed(message: str) -> ImageRejected:
    return ImageRejected(Reason.IMAGE_FETCH_FAILED.value, URL_FIELD, message)


def _checked_url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise _forbidden(f"not a valid URL ({exc})") from exc
    if url.scheme not in DEFAULT_PORTS:
        raise _forbidden(f"only http and https URLs are fetched, not {url.scheme or 'none'!r}")
    if not url.host:
        raise _forbidden("the URL has no host")
    if url.userinfo:
        raise _forbidden("URLs with user names or passwords are not fetched")
    return url


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

        def same_host(current: httpx.URL, location: str) -> httpx.URL:
            following = _checked_url(str(current.join(location)))
            if following.host.lower() != original_host:
                raise _forbidden(f"the URL redirects to another host ({following.host})")
            return following

        try:
            return await fenced_get(
                self._client,
                url,
                allow_private=self._settings.allow_private_urls,
                max_bytes=self._settings.fetch_max_bytes,
                max_redirects=self._settings.fetch_max_redirects,
                redirect_to=same_host,
                headers=_HEADERS,
            )
        except AddressRefused as exc:
            raise _forbidden(str(exc)) from exc
        except TooLarge as exc:
            raise _failed(f"the photo is too large ({exc})") from exc
        except NotFetched as exc:
            raise _failed(f"the URL {exc}") from exc
        except OSError as exc:
            raise _failed(f"the host {url.host!r} cannot be resolved") from exc

    async def close(self) -> None:
        await self._client.aclose()
