"""What a search asks for: the photo, the filters, the page, checked.

The filters are what the upstream's ``offerQueryParam`` can express (page
size, category, price range, certified factories only, sort, the subject box
sent as ``region``, narrowing words sent as ``keyword``) plus the locale.
Their canonical form keys the result cache; their digest ties a page token to
them; :meth:`SearchFilters.query_param` is the exact JSON string that is sent
and signed. The subject is kept in fractions of the photo; it becomes pixels
only in ``region``, on the photo's size (``image_size``, not part of the key:
one image has one size).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from factoryfinder.v1 import common_pb2

from services.gateway.search import subject_box

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
MAX_KEYWORD_CHARS = 50
_SORTS = {
    "": None,
    "price_asc": {"price": "asc"},
    "price_desc": {"price": "desc"},
    "month_sold_desc": {"monthSold": "desc"},
}


class InvalidSearch(ValueError):
    """A bad request; ``field`` names it, ``page_token`` says whether the token is at fault."""

    def __init__(self, field: str, message: str, *, page_token: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.page_token = page_token


@dataclass(frozen=True)
class SearchFilters:
    page_size: int = 0
    category_id: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    certified_only: bool = False
    sort: str = ""
    locale: str = ""
    # (left, top, right, bottom) in fractions of the photo; None = the upstream picks.
    subject: tuple[float, float, float, float] | None = None
    keyword: str = ""
    # The photo's (width, height) in pixels, for ``region``; (0, 0) when unknown.
    image_size: tuple[int, int] = (0, 0)

    @property
    def subject_box(self) -> common_pb2.SubjectBox | None:
        if self.subject is None:
            return None
        left, top, right, bottom = self.subject
        return common_pb2.SubjectBox(left=left, top=top, right=right, bottom=bottom)

    def checked(self, default_locale: str) -> SearchFilters:
        """Defaults applied; InvalidSearch for values the upstream cannot take."""
        if not 0 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidSearch("page_size", f"page_size must be 1 to {MAX_PAGE_SIZE} (0 = 20)")
        if self.sort not in _SORTS:
            raise InvalidSearch("sort", f"unknown sort {self.sort!r}")
        if self.category_id and not self.category_id.isdigit():
            raise InvalidSearch("category_id", "category_id must be a 1688 category number")
        for name, value in (("price_min", self.price_min), ("price_max", self.price_max)):
            if value is not None and value < 0:
                raise InvalidSearch(name, f"{name} must not be negative")
        low, high = self.price_min, self.price_max
        if low is not None and high is not None and low > high:
            raise InvalidSearch("price_max", "price_max is below price_min")
        box = self.subject_box
        problem = None if box is None else subject_box.check(box)
        if problem is not None:
            raise InvalidSearch("subject", problem)
        if len(self.keyword) > MAX_KEYWORD_CHARS:
            raise InvalidSearch(
                "keyword", f"keyword must be at most {MAX_KEYWORD_CHARS} characters"
            )
        return dataclasses.replace(
            self,
            page_size=self.page_size or DEFAULT_PAGE_SIZE,
            locale=self.locale or default_locale,
        )

    def on_image(self, width: int, height: int) -> SearchFilters:
        """These filters for a photo of this size; InvalidSearch if a subject needs a size."""
        if self.subject is not None and (width <= 0 or height <= 0):
            raise InvalidSearch("image.width", "a subject needs the image's width and height")
        return dataclasses.replace(self, image_size=(width, height))

    def canonical(self) -> dict[str, str]:
        return {
            "page_size": str(self.page_size),
            "category_id": self.category_id,
            "price_min": "" if self.price_min is None else str(self.price_min.normalize()),
            "price_max": "" if self.price_max is None else str(self.price_max.normalize()),
            "certified_only": str(self.certified_only),
            "sort": self.sort,
            "locale": self.locale,
            "subject": subject_box.canonical(self.subject_box),
            "keyword": self.keyword,
        }

    def digest(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def query_param(self, image_id: str, page: int) -> str:
        """``offerQueryParam``: sent and signed as this exact JSON string."""
        param: dict[str, Any] = {
            "imageId": image_id,
            "beginPage": page,
            "pageSize": self.page_size,
            "country": self.locale,
        }
        if self.category_id:
            param["categoryId"] = int(self.category_id)
        if self.price_min is not None:
            param["priceStart"] = str(self.price_min)
        if self.price_max is not None:
            param["priceEnd"] = str(self.price_max)
        if self.certified_only:
            param["filter"] = "certifiedFactory"
        sort = _SORTS[self.sort]
        if sort is not None:
            param["sort"] = json.dumps(sort, separators=(",", ":"))
        box = self.subject_box
        if box is not None:
            param["region"] = subject_box.to_region(box, *self.image_size)
        if self.keyword:
            param["keyword"] = self.keyword
        return json.dumps(param, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class SearchImage:
    jpeg: bytes
    sha256: str
    phash: int | None
    width: int = 0
    height: int = 0

    @classmethod
    def checked(
        cls, jpeg: bytes, sha256: str, phash: int | None, width: int = 0, height: int = 0
    ) -> SearchImage:
        actual = hashlib.sha256(jpeg).hexdigest()
        if sha256 and sha256.lower() != actual:
            raise InvalidSearch("image.sha256", "image.sha256 is not the SHA-256 of image.jpeg")
        if width < 0 or height < 0:
            raise InvalidSearch("image.width", "image width and height must not be negative")
        return cls(jpeg, actual, phash, width, height)


@dataclass(frozen=True)
class SearchQuery:
    image: SearchImage | None
    page_token: str
    filters: SearchFilters
    enrich_top_k: int

    def fingerprint(self) -> str:
        """What the request asks, for telling a retry from another request under one
        idempotency key: the photo by its SHA-256, the page token, the filters, the enrichment."""
        asked = {
            "image": "" if self.image is None else self.image.sha256,
            "page_token": self.page_token,
            "filters": self.filters.canonical(),
            "enrich_top_k": self.enrich_top_k,
        }
        text = json.dumps(asked, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]
