"""CompareImages as plain rules: fetch the offers' images, describe, compare, pair near-duplicates.

Downloads run concurrently (bounded by the fetcher); the CPU work (decoding
small, describing, comparing) runs in one worker thread per call so the event
loop keeps serving. Those threads run at a lower CPU priority (``image_niceness``,
as the worker processes): on a shared host, request routing (this service's and
the others') is served before the image work. Descriptions are cached by image URL (a bounded LRU): the
offers of one product come back search after search, and a verification
compares every photo with the offers the other photos found. A candidate whose image cannot be fetched or decoded gets
``compared=False`` and the reason; it never fails the call. Only a query photo
that is not an image is the caller's error.

Near-duplicates: two candidates whose images score at least
``DUPLICATE_SIMILARITY`` on their whole-frame and subject views (a reseller's
crop, colour cast, watermark or banner over the factory's photo mostly scores 72-100;
two different products of one family rarely pass it); each pair says which side is the
wider photo, when one is (``crop_direction.py``). pHashes are returned but
not used for pairing: measured on the sandbox catalog, a reseller's 4-12 % crop
moves a pHash by more bits than a differently coloured product of the same
shape (recall 6 % at 4 bits, with false pairs).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from services.preprocess.crop_direction import (
    MARGIN,
    Fitting,
    Frame,
    fitted_direction,
    fitting,
    frame_of,
)
from services.preprocess.offer_images import ImageUnavailable, OfferImageFetcher
from services.preprocess.visual_similarity import (
    Comparator,
    Descriptor,
    UnreadableImage,
    decode_small,
    image_phash,
)

DUPLICATE_SIMILARITY = 72.0
_QUERIES_KEPT = 64
# As many threads as asyncio's default executor has.
_THREADS = min(32, (os.cpu_count() or 1) + 4)
T = TypeVar("T")


def lower_thread_priority(niceness: int) -> None:
    """Lower the calling thread's CPU priority by ``niceness`` (Linux: a thread's own nice
    value; elsewhere, or when refused, nothing changes)."""
    if niceness <= 0:
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)


@dataclass(frozen=True)
class Candidate:
    id: str
    image_url: str


@dataclass(frozen=True)
class Outcome:
    """How one candidate compared (similarity 0-100 when ``compared``, else the reason;
    ``pair_scale_similarity``: the comparator's :attr:`Similarity.pair_scale`, when it has
    one)."""

    id: str
    compared: bool
    similarity: float = 0.0
    reason: str = ""
    phash: int = 0
    from_cache: bool = False
    pair_scale_similarity: float | None = None


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    similarity: float
    # The side whose photo shows more of the scene (the other looks like a crop of it);
    # "" when neither clearly does.
    wider: str = ""


@dataclass(frozen=True)
class Comparison:
    outcomes: list[Outcome]
    pairs: list[Pair]
    method: str


@dataclass(frozen=True)
class Described:
    """What is kept of a candidate image once described (cached by URL)."""

    descriptor: Descriptor
    phash: int
    frame: Frame


@dataclass(frozen=True)
class Fetched:
    """A candidate's image: its bytes, its description from the cache, or why neither."""

    candidate: Candidate
    data: bytes | None
    reason: str
    from_cache: bool
    described: Described | None = None


class DescriptorCache:
    """Image URL → description, least recently used out, at most ``size`` entries (about
    32 KB each). Used from the event loop only."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Described] = OrderedDict()

    def get(self, url: str) -> Described | None:
        found = self._items.get(url)
        if found is not None:
            self._items.move_to_end(url)
        return found

    def put(self, url: str, described: Described) -> None:
        if self._size <= 0:
            return
        self._items[url] = described
        self._items.move_to_end(url)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def near_duplicates(
    comparator: Comparator, described: Sequence[tuple[str, Described]]
) -> list[Pair]:
    """Pairs of (id, description) whose images are near-duplicates, each pair once, in the
    order of the input, each saying which side is the wider photo when one is."""
    pairs = []
    # Each frame made ready for crop_direction once, however many pairs it is in.
    fittings: dict[int, Fitting] = {}

    def fitted(index: int) -> Fitting:
        if index not in fittings:
            fittings[index] = fitting(described[index][1].frame)
        return fittings[index]

    for i, (first, one) in enumerate(described):
        for j in range(i + 1, len(described)):
            second, other = described[j]
            if first == second:
                continue
            score = comparator.duplicate_similarity(one.descriptor, other.descriptor)
            if score >= DUPLICATE_SIMILARITY:
                direction = fitted_direction(fitted(i), fitted(j))
                wider = first if direction > MARGIN else second if direction < -MARGIN else ""
                pairs.append(Pair(first, second, score, wider))
    return pairs


def _describe_one(
    comparator: Comparator, fetched: Fetched, max_pixels: int
) -> tuple[Outcome, Described | None]:
    candidate = fetched.candidate
    if fetched.described is not None:
        described = fetched.described
        return Outcome(candidate.id, True, phash=described.phash, from_cache=True), described
    if fetched.data is None:
        return Outcome(candidate.id, False, reason=fetched.reason), None
    try:
        image = decode_small(fetched.data, max_pixels)
    except UnreadableImage as exc:
        return Outcome(candidate.id, False, reason=str(exc), from_cache=fetched.from_cache), None
    described = Described(
        comparator.describe(image, search_windows=False), image_phash(image), frame_of(image)
    )
    return Outcome(
        candidate.id, True, phash=described.phash, from_cache=fetched.from_cache
    ), described


@dataclass(frozen=True)
class Measured:
    comparison: Comparison
    # Descriptions made by this call, by image URL (for the cache).
    new: dict[str, Described]
    query: Descriptor


def describe_query(comparator: Comparator, query_jpeg: bytes, max_pixels: int) -> Descriptor:
    """The buyer's photo described, windows included (UnreadableImage when it is not one)."""
    return comparator.describe(decode_small(query_jpeg, max_pixels), search_windows=True)


def measure(
    comparator: Comparator,
    query_jpeg: bytes | Descriptor,
    fetched: Sequence[Fetched],
    max_pixels: int,
    pairs: bool = True,
) -> Measured:
    """The CPU part: every comparison and, unless ``pairs`` is false, the near-duplicate
    pairs (raises UnreadableImage when the query itself is not an image)."""
    query = (
        query_jpeg
        if isinstance(query_jpeg, Descriptor)
        else describe_query(comparator, query_jpeg, max_pixels)
    )
    outcomes: list[Outcome] = []
    paired: list[tuple[str, Described]] = []
    new: dict[str, Described] = {}
    for item in fetched:
        outcome, described = _describe_one(comparator, item, max_pixels)
        if described is not None:
            seen = comparator.similarity(query, described.descriptor)
            outcome = replace(outcome, similarity=seen.value, pair_scale_similarity=seen.pair_scale)
            paired.append((outcome.id, described))
            if item.described is None and item.candidate.image_url:
                new[item.candidate.image_url] = described
        outcomes.append(outcome)
    found = near_duplicates(comparator, paired) if pairs else []
    comparison = Comparison(outcomes, found, comparator.method)
    return Measured(comparison, new, query)


class ImageComparer:
    """CompareImages' rules with their state: the image fetcher (bytes cache) and the
    descriptions of images already seen (an offer that comes back costs neither a download
    nor a description)."""

    def __init__(
        self,
        fetcher: OfferImageFetcher,
        comparator: Comparator,
        max_pixels: int,
        cached_descriptions: int,
        niceness: int = 0,
    ) -> None:
        self._threads = ThreadPoolExecutor(
            _THREADS,
            thread_name_prefix="compare",
            initializer=lower_thread_priority,
            initargs=(niceness,),
        )
        self._fetcher = fetcher
        self._comparator = comparator
        self._max_pixels = max_pixels
        self._described = DescriptorCache(cached_descriptions)
        # The buyer's photo described, by the SHA-256 of its prepared JPEG: started when
        # PrepareImage hands the photo out (describe_ahead), so the description is made while
        # the aggregator waits for the upstream's search, not after it; and a verification
        # compares each photo twice (its own offers, then the other photos'): the second
        # time the description is reused.
        self._queries: OrderedDict[bytes, asyncio.Future[Descriptor]] = OrderedDict()
        # Descriptions made ahead run one at a time (other photos' PrepareImage and the
        # comparisons come first on a busy replica); one not started when its comparison
        # arrives is dropped, and the comparison describes the photo itself.
        self._ahead_gate = asyncio.Semaphore(1)
        self._ahead_started: set[bytes] = set()

    @property
    def method(self) -> str:
        return self._comparator.method

    async def _in_thread(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in one of the comparison threads (lower priority), in this task's
        context (as ``asyncio.to_thread``)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await loop.run_in_executor(self._threads, call)

    def close(self) -> None:
        """Stop the threads once the work under way is done."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def compare(
        self, query_jpeg: bytes, candidates: Sequence[Candidate], pairs: bool = True
    ) -> Comparison:
        """Fetch every candidate's image (concurrently, cached), then measure in a worker
        thread so the event loop keeps serving (near-duplicate pairs unless ``pairs`` is
        false)."""
        key = hashlib.sha256(query_jpeg).digest()
        fetching = asyncio.gather(*(self._fetch(c) for c in candidates))
        query: bytes | Descriptor = query_jpeg
        ahead = self._queries.get(key)
        if ahead is not None and not ahead.done() and key not in self._ahead_started:
            ahead.cancel()
            ahead = None
        try:
            # A photo that is not an image is measured again below, which reports it.
            with contextlib.suppress(UnreadableImage):
                if ahead is not None:
                    # Shielded: one caller's cancellation must not cancel a shared description.
                    query = await asyncio.shield(ahead)
            fetched = await fetching
        except BaseException:
            fetching.cancel()
            raise
        measured = await self._in_thread(
            measure, self._comparator, query, fetched, self._max_pixels, pairs
        )
        for url, described in measured.new.items():
            self._described.put(url, described)
        if ahead is None or ahead.cancelled() or ahead.exception() is not None:
            done: asyncio.Future[Descriptor] = asyncio.get_running_loop().create_future()
            done.set_result(measured.query)
            self._keep_query(key, done)
        return measured.comparison

    def describe_ahead(self, query_jpeg: bytes) -> None:
        """Start describing a prepared photo now (in a worker thread), for its comparison to
        come; a photo already described or being described is not described again."""
        key = hashlib.sha256(query_jpeg).digest()
        if key in self._queries:
            self._queries.move_to_end(key)
            return

        async def describe() -> Descriptor:
            async with self._ahead_gate:
                self._ahead_started.add(key)
                try:
                    return await self._in_thread(
                        describe_query, self._comparator, query_jpeg, self._max_pixels
                    )
                finally:
                    self._ahead_started.discard(key)

        task = asyncio.ensure_future(describe())
        # A photo that is not an image fails here unseen; its comparison reports it.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        self._keep_query(key, task)

    def _keep_query(self, key: bytes, described: asyncio.Future[Descriptor]) -> None:
        self._queries[key] = described
        self._queries.move_to_end(key)
        while len(self._queries) > _QUERIES_KEPT:
            self._queries.popitem(last=False)

    async def _fetch(self, candidate: Candidate) -> Fetched:
        if not candidate.image_url:
            return Fetched(candidate, None, "the offer has no image", False)
        described = self._described.get(candidate.image_url)
        if described is not None:
            return Fetched(candidate, None, "", True, described)
        try:
            data, from_cache = await self._fetcher.fetch(candidate.image_url)
        except ImageUnavailable as exc:
            return Fetched(candidate, None, str(exc), False)
        return Fetched(candidate, data, "", from_cache)
