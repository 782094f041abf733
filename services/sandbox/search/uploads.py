"""Uploaded images by imageId, with their feature vectors and cached rankings.

Every upload gets a new 19-digit imageId (as 1688's look); identical bytes
share one computed description. The store keeps the last ``capacity``
uploads (older ids answer "image not found", as expired ids do upstream) and
the catalog ranking of the most recent queries, so paging through one
imageId costs a lookup, not a matrix product. The ranking is the engine's
relevance order (``relevance``) and the ``picRegionInfo`` boxes.
"""

from __future__ import annotations

import hashlib
import random
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
from PIL import Image

from services.sandbox.search import picture_regions, relevance
from services.sandbox.search.index import PhotoDescription, Scores, SearchIndex, describe
from services.sandbox.search.upload_check import Accepted

_RANKINGS = 256
Region = tuple[int, int, int, int] | None


@dataclass(frozen=True)
class Upload:
    image_id: str
    picture: Image.Image
    original_size: tuple[int, int]
    description: PhotoDescription
    digest: bytes


@dataclass(frozen=True)
class Ranking:
    order: npt.NDArray[np.int64]  # the engine's relevance order
    regions: dict[str, str]  # picRegionInfo


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._capacity = capacity

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)


class UploadStore:
    def __init__(self, index: SearchIndex, boost: Scores, capacity: int, seed: int) -> None:
        self._index = index
        self._boost = boost
        self._seed = seed
        self._uploads: _Lru[str, Upload] = _Lru(capacity)
        self._by_digest: _Lru[bytes, PhotoDescription] = _Lru(capacity)
        self._rankings: _Lru[tuple[str, Region], Ranking] = _Lru(_RANKINGS)
        self._ids = random.Random(seed ^ 0x1688)

    def known_description(self, accepted: Accepted) -> PhotoDescription | None:
        """The description of identical bytes uploaded before, if any."""
        return self._by_digest.get(hashlib.sha1(accepted.data).digest())

    def add(self, accepted: Accepted, description: PhotoDescription) -> str:
        """Store an image described by ``search_index.describe`` (CPU-bound: run that
        off the event loop; this method is not thread-safe)."""
        digest = hashlib.sha1(accepted.data).digest()
        self._by_digest.put(digest, description)
        image_id = str(1_000_000_000_000_000_000 + self._ids.getrandbits(58))
        self._uploads.put(
            image_id, Upload(image_id, accepted.image, accepted.original_size, description, digest)
        )
        return image_id

    def known(self, image_id: str) -> bool:
        return self._uploads.get(image_id) is not None

    def ranking(self, image_id: str, region: Region) -> Ranking | None:
        """The catalog in the engine's order for the image (or its ``region``)."""
        cached = self._rankings.get((image_id, region))
        if cached is not None:
            return cached
        upload = self._uploads.get(image_id)
        if upload is None:
            return None
        description = upload.description if region is None else _describe_region(upload, region)
        cosines = self._index.cosines(description.raw)
        key = upload.digest + repr(region).encode()
        order = relevance.engine_order(cosines, self._boost, self._seed, key, description.quality)
        regions = picture_regions.pic_region_info(upload.picture, upload.original_size, region)
        ranking = Ranking(order, regions)
        self._rankings.put((image_id, region), ranking)
        return ranking


def _describe_region(upload: Upload, region: tuple[int, int, int, int]) -> PhotoDescription:
    """Features of the subject box ``x1,x2,y1,y2`` (original pixels)."""
    x1, x2, y1, y2 = region
    width, height = upload.original_size
    sx = upload.picture.size[0] / width
    sy = upload.picture.size[1] / height
    box = (
        min(int(x1 * sx), upload.picture.size[0] - 1),
        min(int(y1 * sy), upload.picture.size[1] - 1),
        max(int(x2 * sx), int(x1 * sx) + 1),
        max(int(y2 * sy), int(y1 * sy) + 1),
    )
    return describe(upload.picture.crop(box))
