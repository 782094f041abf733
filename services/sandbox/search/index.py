"""Visual match between a buyer's photo and every catalog offer (internal only).

The index holds the catalog's feature vectors (``features``) minus their mean,
L2-normalised, as one float32 matrix: a query is one matrix-vector product
giving a cosine per offer. The cosine is the engine's private view of the
match: it orders results (``relevance``) and is never sent. ``quality``
(0.6-1) says how well the photo can be read; a poor photo makes the engine's
order noisier:

- low contrast: the subject's luminance spread below 0.08 costs up to 40 %;
- off-centre: a subject centre more than 8 % of the frame away from the
  middle costs 1 % per % further (at most 30 %).

Clutter needs no extra term: it widens the detected subject box, which
shrinks the product in the feature thumbnail and lowers the cosine itself,
as distractors do in a real engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from services.sandbox.search import features

Scores = npt.NDArray[np.float32]


@dataclass(frozen=True)
class PhotoDescription:
    """What the search needs of one uploaded photo."""

    raw: features.Vector
    quality: float


def photo_quality(subject: npt.NDArray[np.uint8], box: tuple[float, float, float, float]) -> float:
    """Confidence factor (0.6-1) for contrast and centring; see the module doc."""
    contrast = float(subject.astype(np.float32).mean(axis=2).std() / 255.0)
    by_contrast = min(1.0, 0.6 + 0.4 * contrast / 0.08)
    off = math.hypot((box[0] + box[2]) / 2 - 0.5, (box[1] + box[3]) / 2 - 0.5)
    by_centre = max(0.7, 1.0 - max(0.0, off - 0.08))
    return by_contrast * by_centre


def describe(image: Image.Image) -> PhotoDescription:
    subject_image, box = features.framed(image)
    subject = np.asarray(features.shrink(subject_image, features.SIDE))
    raw = features.extract_batch(subject[None])[0]
    return PhotoDescription(raw, photo_quality(subject, box))


class SearchIndex:
    def __init__(self, raw: features.Batch) -> None:
        self._mean = raw.mean(axis=0)
        centred = raw - self._mean
        norms = np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6)
        self._matrix = np.ascontiguousarray(centred / norms, dtype=np.float32)

    def __len__(self) -> int:
        return int(self._matrix.shape[0])

    def cosines(self, raw_query: features.Vector) -> Scores:
        centred = raw_query - self._mean
        unit = centred / max(float(np.linalg.norm(centred)), 1e-6)
        return np.asarray(self._matrix @ unit.astype(np.float32), dtype=np.float32)
