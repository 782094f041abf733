"""Opaque page tokens: which image, which page, and a digest of the filters.

A token is only valid with the filters it was made for (page size, category,
price range, certified-only, sort, locale): paging with other filters would
mix two result sets. It names the image by SHA-256, so later pages reuse the
cached imageId without the photo being sent again, and carries the photo's
size so a subject box can still be sent in pixels on later pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

_VERSION = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_PAGE = 10_000
_MAX_SIDE = 100_000


class PageTokenError(ValueError):
    """The token is malformed or belongs to another query; the message says which."""


@dataclass(frozen=True)
class PageToken:
    image_sha256: str
    page: int
    filters_digest: str
    width: int = 0
    height: int = 0

    def encode(self) -> str:
        fields = {
            "v": _VERSION,
            "i": self.image_sha256,
            "p": self.page,
            "f": self.filters_digest,
            "w": self.width,
            "h": self.height,
        }
        raw = json.dumps(fields, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str) -> PageToken:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
    except (binascii.Error, ValueError):
        raise PageTokenError("the page token is not one of ours") from None
    if not isinstance(fields, dict) or fields.get("v") != _VERSION:
        raise PageTokenError("the page token is not one of ours")
    sha, page, digest = fields.get("i"), fields.get("p"), fields.get("f")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise PageTokenError("the page token names no image")
    if not isinstance(page, int) or isinstance(page, bool) or not 1 < page <= _MAX_PAGE:
        raise PageTokenError("the page token names no valid page")
    if not isinstance(digest, str) or not digest:
        raise PageTokenError("the page token has no filters")
    width, height = fields.get("w", 0), fields.get("h", 0)
    if not all(_pixels(value) for value in (width, height)):
        raise PageTokenError("the page token names no valid image size")
    return PageToken(sha, page, digest, width, height)


def _pixels(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_SIDE
