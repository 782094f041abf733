"""Combining the results of several photos of one product.

Strict mode keeps offers found by every photo that succeeded; consensus mode
keeps offers found by at least ``k`` photos (default 2, or n when n = 2).
Searching several photos of the same product is a cross-check: resellers
reuse the factory's front photo, but only the factory's own listing tends to
match the detail and scene photos too.

Combined similarity is measured, never read from upstream (1688 sends none): each
photo is compared with every offer any photo found (factoryfinder's own eye,
preprocess CompareImages), and an offer's combined similarity is the mean of its
similarity to every photo it could be compared with. An offer only one photo's
search found still gets the other photos' opinion of its image; which photos'
searches found it (strict / consensus) is counted as before.

Confidence (documented in search.proto):
- HIGH: found by every successful photo, combined similarity ≥ 80;
- MEDIUM: found by at least two photos (or every photo), combined similarity ≥ 60;
- LOW: anything else that survived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

HIGH_SIMILARITY = 80.0
MEDIUM_SIMILARITY = 60.0


class Mode(Enum):
    STRICT = "strict"
    CONSENSUS = "consensus"


class Confidence(Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Sighting:
    """One photo's view of one offer."""

    photo_index: int
    similarity: float


@dataclass(frozen=True)
class Agreement:
    offer_id: str
    combined_similarity: float
    photo_indexes: tuple[int, ...]
    confidence: Confidence

    @property
    def found_by(self) -> int:
        return len(self.photo_indexes)


def required_photos(mode: Mode, requested_k: int, photo_count: int, successes: int) -> int:
    """How many photos must agree: every success in strict mode, else k (default 2; n when n = 2)."""
    if mode is Mode.STRICT:
        return successes
    k = requested_k if requested_k > 0 else (photo_count if photo_count == 2 else 2)
    return max(1, min(k, photo_count))


def confidence_for(found_by: int, successes: int, similarity: float) -> Confidence:
    if found_by >= successes and similarity >= HIGH_SIMILARITY:
        return Confidence.HIGH
    if (found_by >= 2 or found_by >= successes) and similarity >= MEDIUM_SIMILARITY:
        return Confidence.MEDIUM
    return Confidence.LOW


def combine(
    sightings: Mapping[str, Sequence[Sighting]],
    required: int,
    successes: int,
    measured: Mapping[str, Mapping[int, float]] | None = None,
) -> list[Agreement]:
    """Offers found by at least ``required`` photos, with their combined similarity: the mean
    over ``measured[offer]`` (photo index → measured similarity, every photo compared with
    it) when given, else over the photos that found it; best agreement first, ties broken by
    offer id so the order is stable."""
    agreements = []
    for offer_id, seen in sightings.items():
        indexes = tuple(sorted({s.photo_index for s in seen}))
        if len(indexes) < required:
            continue
        best = {i: max(s.similarity for s in seen if s.photo_index == i) for i in indexes}
        scores = (measured or {}).get(offer_id) or best
        combined = sum(scores.values()) / len(scores)
        agreements.append(
            Agreement(
                offer_id, combined, indexes, confidence_for(len(indexes), successes, combined)
            )
        )
    agreements.sort(key=lambda a: (-a.found_by, -a.combined_similarity, a.offer_id))
    return agreements
