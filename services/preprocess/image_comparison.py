"""CompareImages as plain rules: fetch the offers' images, describe, compare, pair near-duplicates.

Downloads run concurrently (bounded by the fetcher); the CPU work (decoding
small, describing, comparing) runs in one worker thread per call so the event
loop keeps serving. A candidate whose image cannot be fetched or decoded gets
``compared=False`` and the reason; it never fails the call. Only a query photo
that is not an image is the caller's error.

Near-duplicates: two candidates whose images score at least
``DUPLICATE_SIMILARITY`` on their whole-frame and subject views (a reseller's
crop, colour cast, watermark or banner over the factory's photo scores 85-100;
two different products of one family rarely pass it). pHashes are returned but
not used for pairing: measured on the sandbox catalog, a reseller's 4-12 % crop
moves a pHash by more bits than a differently coloured product of the same
shape (recall 6 % at 4 bits, with false pairs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from services.preprocess.offer_images import ImageUnavailable, OfferImageFetcher
from services.preprocess.visual_similarity import (
    Comparator,
    Descriptor,
    UnreadableImage,
    decode_small,
    image_phash,
)

DUPLICATE_SIMILARITY = 85.0


@dataclass(frozen=True)
class Candidate:
    id: str
    image_url: str


@dataclass(frozen=True)
class Outcome:
    """How one candidate compared (similarity 0-100 when ``compared``, else the reason)."""

    id: str
    compared: bool
    similarity: float = 0.0
    reason: str = ""
    phash: int = 0
    from_cache: bool = False


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    similarity: float


@dataclass(frozen=True)
class Comparison:
    outcomes: list[Outcome]
    pairs: list[Pair]
    method: str


@dataclass(frozen=True)
class Fetched:
    candidate: Candidate
    data: bytes | None
    reason: str
    from_cache: bool


@dataclass(frozen=True)
class _Described:
    outcome: Outcome
    descriptor: Descriptor | None


def near_duplicates(
    comparator: Comparator, described: Sequence[tuple[str, Descriptor, int]]
) -> list[Pair]:
    """Pairs of (id, descriptor, phash) whose images are near-duplicates, each pair once,
    in the order of the input."""
    pairs = []
    for i, (first, first_descriptor, _hash) in enumerate(described):
        for second, second_descriptor, _other_hash in described[i + 1 :]:
            if first == second:
                continue
            score = comparator.duplicate_similarity(first_descriptor, second_descriptor)
            if score >= DUPLICATE_SIMILARITY:
                pairs.append(Pair(first, second, score))
    return pairs


def _describe_one(comparator: Comparator, fetched: Fetched, max_pixels: int) -> _Described:
    candidate = fetched.candidate
    if fetched.data is None:
        return _Described(Outcome(candidate.id, False, reason=fetched.reason), None)
    try:
        image = decode_small(fetched.data, max_pixels)
    except UnreadableImage as exc:
        return _Described(
            Outcome(candidate.id, False, reason=str(exc), from_cache=fetched.from_cache), None
        )
    descriptor = comparator.describe(image, search_windows=False)
    outcome = Outcome(candidate.id, True, phash=image_phash(image), from_cache=fetched.from_cache)
    return _Described(outcome, descriptor)


def measure(
    comparator: Comparator, query_jpeg: bytes, fetched: Sequence[Fetched], max_pixels: int
) -> Comparison:
    """The CPU part: every comparison and the near-duplicate pairs (raises UnreadableImage
    when the query itself is not an image)."""
    query = comparator.describe(decode_small(query_jpeg, max_pixels), search_windows=True)
    outcomes: list[Outcome] = []
    described: list[tuple[str, Descriptor, int]] = []
    for item in fetched:
        one = _describe_one(comparator, item, max_pixels)
        outcome = one.outcome
        if one.descriptor is not None:
            outcome = Outcome(
                outcome.id,
                True,
                similarity=comparator.similarity(query, one.descriptor),
                phash=outcome.phash,
                from_cache=outcome.from_cache,
            )
            described.append((outcome.id, one.descriptor, outcome.phash))
        outcomes.append(outcome)
    return Comparison(outcomes, near_duplicates(comparator, described), comparator.method)


async def compare_images(
    fetcher: OfferImageFetcher,
    comparator: Comparator,
    query_jpeg: bytes,
    candidates: Sequence[Candidate],
    max_pixels: int,
) -> Comparison:
    """Fetch every candidate's image (concurrently, cached), then measure in a worker thread."""

    async def fetch(candidate: Candidate) -> Fetched:
        if not candidate.image_url:
            return Fetched(candidate, None, "the offer has no image", False)
        try:
            data, from_cache = await fetcher.fetch(candidate.image_url)
        except ImageUnavailable as exc:
            return Fetched(candidate, None, str(exc), False)
        return Fetched(candidate, data, "", from_cache)

    fetched = await asyncio.gather(*(fetch(c) for c in candidates))
    return await asyncio.to_thread(measure, comparator, query_jpeg, fetched, max_pixels)
