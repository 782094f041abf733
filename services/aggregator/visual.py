"""factoryfinder's own eye in the public flows: the buyer's prepared photo compared with the
offers' main images (preprocess's CompareImages), and the outcome written onto the offers.

``Offer.similarity`` is only ever this measured similarity (1688 sends none). When the
comparison cannot be made (preprocess unavailable, the deadline too close, a page token
without a photo), every offer says why in ``visual_match.unavailable_reason`` and keeps
similarity 0: the search still answers, ranked without the eye, and ranking's answer says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from factoryfinder.v1 import common_pb2, preprocess_pb2


@dataclass(frozen=True)
class Seen:
    """One photo's measured view of one offer."""

    compared: bool
    similarity: float
    reason: str
    phash: int = 0
    # The similarity on the near-duplicate pairs' scale (VisualMatch.pair_scale_similarity),
    # when preprocess measured one.
    pair_scale: float | None = None


def compare_request(
    query_jpeg: bytes, offers: Iterable[common_pb2.Offer], pairs: bool = True
) -> preprocess_pb2.CompareImagesRequest:
    """One candidate per distinct offer id, in the offers' order (near-duplicate pairs
    among them asked for unless ``pairs`` is false)."""
    candidates: dict[str, preprocess_pb2.ImageCandidate] = {}
    for offer in offers:
        candidates.setdefault(
            offer.offer_id,
            preprocess_pb2.ImageCandidate(id=offer.offer_id, image_url=offer.image_url),
        )
    return preprocess_pb2.CompareImagesRequest(
        query_jpeg=query_jpeg, candidates=list(candidates.values()), skip_similar_pairs=not pairs
    )


def outcomes(response: preprocess_pb2.CompareImagesResponse) -> dict[str, Seen]:
    return {
        c.id: Seen(
            c.match.compared,
            c.match.similarity,
            c.match.unavailable_reason,
            c.phash,
            c.match.pair_scale_similarity if c.match.has_pair_scale_similarity else None,
        )
        for c in response.comparisons
    }


def apply(
    offers: Iterable[common_pb2.Offer], response: preprocess_pb2.CompareImagesResponse
) -> None:
    """Similarity, visual match and image pHash onto each offer."""
    seen = outcomes(response)
    missing = Seen(False, 0.0, "not compared (missing from the comparison)")
    for offer in offers:
        set_seen(offer, seen.get(offer.offer_id, missing))


def set_seen(offer: common_pb2.Offer, seen: Seen) -> None:
    similarity = seen.similarity if seen.compared else 0.0
    pair_scale = seen.pair_scale if seen.compared else None
    offer.similarity = similarity
    offer.visual_match.CopyFrom(
        common_pb2.VisualMatch(
            compared=seen.compared,
            similarity=similarity,
            unavailable_reason=seen.reason,
            pair_scale_similarity=pair_scale or 0.0,
            has_pair_scale_similarity=pair_scale is not None,
        )
    )
    if seen.compared:
        offer.image_phash = seen.phash
        offer.has_image_phash = True


def mark_unavailable(offers: Iterable[common_pb2.Offer], reason: str) -> None:
    for offer in offers:
        set_seen(offer, Seen(False, 0.0, reason))


def pairs_of(
    found: Iterable[Iterable[common_pb2.ImagePair]],
) -> list[common_pb2.ImagePair]:
    """Near-duplicate pairs found by one or more comparisons, each unordered pair once (the
    highest similarity kept)."""
    best: dict[tuple[str, str], common_pb2.ImagePair] = {}
    for pairs in found:
        for pair in pairs:
            ids = (pair.first_offer_id, pair.second_offer_id)
            key = (min(ids), max(ids))
            kept = best.get(key)
            if kept is None or pair.similarity > kept.similarity:
                best[key] = pair
    return list(best.values())
