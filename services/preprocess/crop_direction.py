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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

SIDE = 48
# A reseller's crop keeps about 86-96 % of the frame.
_SCALES = (0.86, 0.9, 0.94)
_SIDES = tuple(round(SIDE * scale) for scale in _SCALES)
# Fit difference below which neither photo is called the wider.
MARGIN = 0.02

Frame = npt.NDArray[np.uint8]


def frame_of(image: Image.Image) -> Frame:
    """The whole frame, grey, SIDE × SIDE: what crop_direction compares."""
    grey = image.convert("L").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    return np.asarray(grey, dtype=np.uint8)


@dataclass(frozen=True)
class Fitting:
    """A frame made ready to be compared (:func:`fitting`), once however many pairs it is in:
    its spectrum, the inverse of its windows' spread at each scale's template size, and its
    shrunk copies (one per scale) as spectra of zero-mean, unit-length patterns."""

    spectrum: npt.NDArray[np.complex128]
    # 1 / (each window's spread + 1e-6), 0 for a window of one grey.
    inverse_spreads: tuple[npt.NDArray[np.float64], ...]
    patterns: npt.NDArray[np.complex128]


def fitting(frame: Frame) -> Fitting:
    """``frame`` made ready for :func:`fitted_direction`."""
    pixels = frame.astype(np.float64)
    # Sums of every window's pixels and squared pixels, from summed-area tables (exact for
    # 8-bit pixels), give each window's spread around its mean.
    tables = np.zeros((2, SIDE + 1, SIDE + 1))
    tables[0, 1:, 1:] = pixels
    tables[1, 1:, 1:] = pixels * pixels
    tables = tables.cumsum(axis=1).cumsum(axis=2)
    picture = Image.fromarray(frame)
    spreads = []
    flipped = np.zeros((len(_SIDES), SIDE, SIDE))
    for index, side in enumerate(_SIDES):
        sums = (
            tables[:, side:, side:]
            - tables[:, :-side, side:]
            - tables[:, side:, :-side]
            + tables[:, :-side, :-side]
        )
        spread = np.sqrt(np.maximum(sums[1] - sums[0] * sums[0] / (side * side), 0.0))
        # A window of one grey scores 0 (its centred pixels are all 0): the spectra's
        # rounding must not be divided by its 1e-6. Any other window of 8-bit pixels spreads
        # by at least about 1.
        spreads.append(np.where(spread > 0.5, 1 / (spread + 1e-6), 0.0))
        shrunk = np.asarray(picture.resize((side, side), Image.Resampling.BILINEAR), np.float64)
        pattern = shrunk - shrunk.mean()
        pattern /= float(np.linalg.norm(pattern)) + 1e-6
        # Flipped: the product of two spectra is a convolution; of a flipped one, a correlation.
        flipped[index, :side, :side] = pattern[::-1, ::-1]
    return Fitting(np.fft.rfft2(pixels), tuple(spreads), np.fft.rfft2(flipped))


def crop_direction(first: Frame, second: Frame) -> float:
    """> 0 when ``second`` looks like a crop of ``first`` (first is the wider photo),
    < 0 the other way round; about 0 when neither is."""
    return fitted_direction(fitting(first), fitting(second))


def fitted_direction(first: Fitting, second: Fitting) -> float:
    """:func:`crop_direction` of two frames made ready (:func:`fitting`)."""
    return _fits_inside(first, second) - _fits_inside(second, first)


def _fits_inside(outer: Fitting, inner: Fitting) -> float:
    """How well ``inner``, shrunk, matches some window of ``outer`` (best normalized
    correlation over the scales and the windows). The correlations are taken as one product
    of spectra per scale; the frame is not padded, so the circular correlation wraps, but
    not onto the positions where the template lies wholly inside the frame, the only ones
    read."""
    correlations = np.fft.irfft2(inner.patterns * outer.spectrum, s=(SIDE, SIDE))
    best = -1.0
    for index, side in enumerate(_SIDES):
        scores = correlations[index, side - 1 :, side - 1 :] * outer.inverse_spreads[index]
        best = max(best, float(scores.max()))
    return best
