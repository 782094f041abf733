"""crop_direction's correlations, taken as products of spectra, against the same normalized
cross-correlation taken window by window."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from services.preprocess.crop_direction import (
    SIDE,
    crop_direction,
    fitted_direction,
    fitting,
)

_SCALES = (0.86, 0.9, 0.94)


def _direct_fit(outer: npt.NDArray[np.uint8], inner: npt.NDArray[np.uint8]) -> float:
    """The best normalized correlation of ``inner`` shrunk to each scale with a window of
    ``outer``, every window's sums taken directly."""
    best = -1.0
    for scale in _SCALES:
        side = round(SIDE * scale)
        shrunk = np.asarray(
            Image.fromarray(inner).resize((side, side), Image.Resampling.BILINEAR), np.float64
        )
        pattern = shrunk.ravel() - shrunk.mean()
        pattern /= float(np.linalg.norm(pattern)) + 1e-6
        windows = sliding_window_view(outer.astype(np.float64), (side, side))
        flat = windows.reshape(windows.shape[0], windows.shape[1], -1)
        centred = flat - flat.mean(axis=2, keepdims=True)
        scores = (centred @ pattern) / (np.linalg.norm(centred, axis=2) + 1e-6)
        best = max(best, float(scores.max()))
    return best


def _frames() -> list[npt.NDArray[np.uint8]]:
    rng = np.random.default_rng(7)
    scene = rng.integers(0, 256, (64, 64)).astype(np.uint8)
    smooth = np.asarray(Image.fromarray(scene).resize((16, 16)).resize((64, 64)), np.uint8)
    frames = []
    for picture in (scene, smooth):
        for left, top, size in ((0, 0, 64), (4, 6, 56), (9, 2, 50), (0, 10, 54)):
            cut = Image.fromarray(picture[top : top + size, left : left + size])
            frames.append(np.asarray(cut.resize((SIDE, SIDE), Image.Resampling.BILINEAR)))
    frames.append(np.full((SIDE, SIDE), 200, np.uint8))  # flat: no pattern at all
    return frames


def test_spectral_correlation_equals_the_window_by_window_one() -> None:
    frames = _frames()
    fitted = [fitting(frame) for frame in frames]
    for i, first in enumerate(frames):
        for j, second in enumerate(frames):
            direct = _direct_fit(first, second) - _direct_fit(second, first)
            assert fitted_direction(fitted[i], fitted[j]) == pytest.approx(direct, abs=1e-6)
            assert crop_direction(first, second) == pytest.approx(direct, abs=1e-6)
