"""Which of two near-duplicate photos is a crop of the other.

Resellers copy the factory's photo and crop it a little tighter (besides a colour cast,
a watermark, a banner, a fresh encoding), so of two near-duplicates the one that shows
more of the same scene is likelier the original. The test: each photo's small grey
frame, shrunk to a few scales, is slid over the other's frame; where one fits inside the
other better than the other way round (normalized cross-correlation), the other is the
wider photo. A padded copy would fool it (padding makes the copy the wider one); the
caller weighs it as one signal among several.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

SIDE = 48
# A reseller's crop keeps about 86-96 % of the frame.
_SCALES = (0.86, 0.9, 0.94)
# Fit difference below which neither photo is called the wider.
MARGIN = 0.02

Frame = npt.NDArray[np.uint8]


def frame_of(image: Image.Image) -> Frame:
    """The whole frame, grey, SIDE × SIDE: what crop_direction compares."""
    grey = image.convert("L").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    return np.asarray(grey, dtype=np.uint8)


def crop_direction(first: Frame, second: Frame) -> float:
    """> 0 when ``second`` looks like a crop of ``first`` (first is the wider photo),
    < 0 the other way round; about 0 when neither is."""
    return _fits_inside(first, second) - _fits_inside(second, first)


def _fits_inside(outer: Frame, inner: Frame) -> float:
    """How well ``inner``, shrunk, matches some window of ``outer`` (best correlation)."""
    picture = Image.fromarray(inner)
    best = -1.0
    for scale in _SCALES:
        side = round(SIDE * scale)
        shrunk = np.asarray(picture.resize((side, side), Image.Resampling.BILINEAR), np.float32)
        best = max(best, _best_correlation(outer, shrunk))
    return best


def _best_correlation(outer: Frame, template: npt.NDArray[np.float32]) -> float:
    windows = sliding_window_view(outer.astype(np.float32), template.shape)
    flat = windows.reshape(windows.shape[0], windows.shape[1], -1)
    centred = flat - flat.mean(axis=2, keepdims=True)
    pattern = template.ravel() - template.mean()
    pattern /= float(np.linalg.norm(pattern)) + 1e-6
    scores = (centred @ pattern) / (np.linalg.norm(centred, axis=2) + 1e-6)
    return float(scores.max())
