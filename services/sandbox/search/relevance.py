"""The engine's relevance order, with a real engine's imperfections.

1688 answers an image search in its own relevance order and says nothing
else about relevance; the sandbox's internal score never leaves it. The
order is the visual match (cosine of feature vectors, ``search_index``)
disturbed the way a production engine's is:

- popularity: offers that sell more, run a promotion or sit in the curated
  pool get a small boost, so a busy reseller's edited copy of the factory
  photo can outrank the source;
- per-query jitter: a small noise drawn from the query (its bytes, region),
  larger for a poor photo (``search_index.photo_quality``), so near-identical queries (the same photo re-encoded) order the close
  candidates a little differently, while the same query always gives the
  same order;
- look-alikes: one to three offers from further down (ranks 40-400: other
  products that only resemble the photo) are lifted onto the first page
  (positions 4-12), as unrelated look-alikes appear on a real first page.

Everything is deterministic from the catalog seed and the query.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from services.sandbox.catalog.model import Catalog

Indices = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]

POPULARITY_WEIGHT = 0.04
PROMOTION_BOOST = 0.008
CURATED_BOOST = 0.006
JITTER = 0.01
_LOOKALIKE_POOL = (40, 400)
_LOOKALIKE_SLOTS = (3, 12)


def offer_boost(catalog: Catalog) -> Scores:
    """Per offer, in catalog order: what popularity adds to its visual match."""
    sold = np.log1p(np.asarray([o.month_sold for o in catalog.offers], dtype=np.float64))
    spread = float(sold.std()) or 1.0
    boost = POPULARITY_WEIGHT * np.clip((sold - sold.mean()) / spread, -2.0, 2.0)
    boost += PROMOTION_BOOST * np.asarray([o.promotion_fen is not None for o in catalog.offers])
    boost += CURATED_BOOST * np.asarray([o.jxhy for o in catalog.offers])
    return np.asarray(boost, dtype=np.float32)


def query_rng(seed: int, query_key: bytes) -> np.random.Generator:
    digest = hashlib.sha256(seed.to_bytes(8, "big", signed=True) + query_key).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def engine_order(
    cosines: Scores, boost: Scores, seed: int, query_key: bytes, quality: float = 1.0
) -> Indices:
    """Catalog indices in the engine's relevance order for one query (a photo of
    ``quality`` below 1 jitters more, up to 1.8 times at the lowest)."""
    rng = query_rng(seed, query_key)
    sigma = JITTER * (1.0 + 2.0 * (1.0 - min(1.0, quality)))
    noise = rng.normal(0.0, sigma, len(cosines)).astype(np.float32)
    order = np.argsort(-(cosines + boost + noise), kind="stable").astype(np.int64)
    low, high = _LOOKALIKE_POOL
    if len(order) <= high:
        return order
    count = int(rng.integers(1, 4))
    picks = rng.choice(order[low:high], size=count, replace=False)
    slots = sorted(int(s) for s in rng.integers(_LOOKALIKE_SLOTS[0], _LOOKALIKE_SLOTS[1], count))
    rest = order[~np.isin(order, picks)].tolist()
    for slot, pick in zip(slots, picks.tolist(), strict=True):
        rest.insert(slot, pick)
    return np.asarray(rest, dtype=np.int64)
