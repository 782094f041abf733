"""Caches that save upstream quota: imageIds, search pages and offer details.

* imageId by the image's SHA-256, and near-duplicates by perceptual hash: two
  photos whose 64-bit pHashes differ in at most ``phash_distance`` bits reuse
  one upload (0 = exact SHA-256 matches only).
* search result pages by :func:`search_key` (what was asked upstream: the API,
  its parameters with the imageId and page, and the filters), with a TTL.
* offer details by offer id (24 h by default).

Near-duplicate lookup over a plain key-value store: the 64 bits are cut into
``phash_distance + 1`` bands; two hashes within that distance agree exactly on
at least one band (pigeonhole), so each band value indexes the hashes seen with
it and a lookup reads ``phash_distance + 1`` keys. Index updates are
read-modify-write; a lost update under a race only costs a cache miss.

Every write is written behind (write_behind.py): a search does not wait for the store
to take the imageId, the page or a detail it got, and this process reads them back at
once (a pending entry is answered from memory, and so is a hash whose index update is
under way). :meth:`Caches.settle` waits for all of them. A near-duplicate lookup reads
its band keys concurrently.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping

from services.gateway.store.interface import Store
from services.gateway.store.write_behind import WriteBehind
from shared.phash import hamming

_BITS = 64
# Hashes kept per band value: the newest win, so one popular band cannot grow forever.
_BAND_CAPACITY = 32


def search_key(api: str, asked: Mapping[str, str], filters: Mapping[str, object]) -> str:
    """A stable key for one search page: the same call with the same parameters (imageId
    and page among them) and filters gives the same key, whichever photo led to it."""
    canonical = json.dumps(
        {"api": api, "asked": asked, "filters": filters},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _bands(phash: int, distance: int) -> list[str]:
    count = distance + 1
    bands = []
    for index in range(count):
        start, end = index * _BITS // count, (index + 1) * _BITS // count
        value = (phash >> start) & ((1 << (end - start)) - 1)
        bands.append(f"{count}:{index}:{value:x}")
    return bands


class Caches:
    def __init__(
        self,
        store: Store,
        search_ttl_s: float,
        detail_ttl_s: float = 24 * 3600.0,
        image_id_ttl_s: float = 24 * 3600.0,
        phash_distance: int = 0,
    ) -> None:
        if not 0 <= phash_distance < _BITS:
            raise ValueError("phash_distance must be between 0 and 63")
        self._store = store
        self._search_ttl = search_ttl_s
        self._detail_ttl = detail_ttl_s
        self._image_id_ttl = image_id_ttl_s
        self._distance = phash_distance
        self._behind = WriteBehind(store, "a cache entry")
        # The near-duplicate index's updates, pending by hash (decimal) with their imageIds:
        # a hash whose update is under way is looked up in memory.
        self._indexing = WriteBehind(store, "a cache entry")

    async def settle(self) -> None:
        """Wait for every cache write under way."""
        await self._behind.settle()
        await self._indexing.settle()

    async def _get(self, key: str) -> bytes | None:
        pending = self._behind.pending(key)
        return pending if pending is not None else await self._store.get(key)

    async def get_image_id(self, sha256: str) -> str | None:
        raw = await self._get(f"cache:image:{sha256}")
        return None if raw is None else raw.decode()

    def put_image_id(self, sha256: str, phash: int | None, image_id: str) -> None:
        """Written behind, the near-duplicate index too."""
        self._behind.put(f"cache:image:{sha256}", image_id.encode(), self._image_id_ttl)
        if phash is not None and self._distance > 0:
            self._indexing.run(self._index(phash, image_id), str(phash), image_id.encode())

    async def _index(self, phash: int, image_id: str) -> None:
        for band in _bands(phash, self._distance):
            await self._add_to_band(band, phash, image_id)

    async def find_image_id_near(self, phash: int) -> str | None:
        """An imageId uploaded for a photo within ``phash_distance`` bits, the closest first."""
        if self._distance == 0:
            return None
        seen_here = [(int(seen), found.decode()) for seen, found in self._indexing.pending_items()]
        banded = await asyncio.gather(*(self._band(b) for b in _bands(phash, self._distance)))
        best: tuple[int, str] | None = None
        for entries in (seen_here, *banded):
            for seen, image_id in entries:
                gap = hamming(seen, phash)
                if gap <= self._distance and (best is None or gap < best[0]):
                    best = (gap, image_id)
        return None if best is None else best[1]

    async def get_search(self, key: str) -> bytes | None:
        return await self._get(f"cache:search:{key}")

    def put_search(self, key: str, payload: bytes) -> None:
        """Written behind."""
        self._behind.put(f"cache:search:{key}", payload, self._search_ttl)

    async def get_detail(self, offer_id: str) -> bytes | None:
        return await self._get(f"cache:detail:{offer_id}")

    def put_detail(self, offer_id: str, payload: bytes) -> None:
        """Written behind."""
        self._behind.put(f"cache:detail:{offer_id}", payload, self._detail_ttl)

    async def _band(self, band: str) -> list[tuple[int, str]]:
        return [(seen, image_id) for seen, image_id, _ in await self._band_entries(band)]

    async def _band_entries(self, band: str) -> list[tuple[int, str, float]]:
        """(phash, imageId, wall-clock expiry) still alive under one band value."""
        raw = await self._store.get(f"cache:phash:{band}")
        if raw is None:
            return []
        now = time.time()
        entries = [(int(h), str(i), float(e)) for h, i, e in json.loads(raw)]
        return [entry for entry in entries if entry[2] > now]

    async def _add_to_band(self, band: str, phash: int, image_id: str) -> None:
        # Each entry keeps its own expiry: the band key lives on while others are added.
        entries = [e for e in await self._band_entries(band) if e[0] != phash]
        entries = [*entries, (phash, image_id, time.time() + self._image_id_ttl)][-_BAND_CAPACITY:]
        payload = json.dumps(entries, separators=(",", ":")).encode()
        await self._store.put(f"cache:phash:{band}", payload, self._image_id_ttl)
