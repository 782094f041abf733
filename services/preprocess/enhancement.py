"""Enhancement by role, measured, never blind.

The seed raised contrast on every product photo and sharpness on every
detail photo. Here the photo is measured first (tonal range and brightness
from its channel histograms, softness from the variance of its Laplacian) and
only what it lacks is applied: a flat product photo gets contrast, a soft
detail photo gets sharpening, a dark or washed-out photo of any role gets its
exposure fixed, and a well-exposed photo is left exactly as it is.

Tone changes are folded into one 256-entry lookup table applied with
``Image.point``, far cheaper than ``ImageEnhance`` on big images. Stretches
only ever widen the range, so a white background stays pure white.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

# Contrast is the widest channel's tonal range (1st to 99th percentile): a yellow product on
# white has little luminance contrast but plenty in blue. Below this a product photo looks flat.
PRODUCT_LOW_CONTRAST_RANGE = 160
# Below this range a photo of any role is washed out (fog, glare, a scan of a faded print).
WASHED_OUT_RANGE = 96
# Below this the photo is one flat colour (a swatch, a plain surface): any tone change would
# only shift its colour and amplify noise, so it is left alone.
FLAT_RANGE = 24
# Stretching aims at this range, never by more than MAX_GAIN, and not at all below MIN_GAIN.
TARGET_RANGE = 220
MAX_GAIN = 1.4
MIN_GAIN = 1.05
# Underexposed: dark on average and no highlights anywhere (a dark product with lights is fine).
DARK_MEAN = 60
DARK_HIGH = 200
TARGET_MEAN = 115
# Variance of the Laplacian (at output size) below which a detail photo is soft.
SOFT_LAPLACIAN_VARIANCE = 60.0
SHARPEN = ImageFilter.UnsharpMask(radius=1.5, percent=80, threshold=2)

_TONES = np.arange(256, dtype=np.float64)
_LUMA = {"L": (1.0,), "RGB": (0.299, 0.587, 0.114)}
Histograms = npt.NDArray[np.float64]  # one row of 256 counts per channel


class PhotoRole(StrEnum):
    """What the photo shows; it decides what enhancement may do."""

    PRODUCT = "product"
    DETAIL = "detail"
    SCENE = "scene"


@dataclass(frozen=True)
class Exposure:
    """Mean luminance; extremes (lowest 1st, highest 99th percentile of any channel); contrast."""

    mean: float
    low: int
    high: int
    contrast: int

    @property
    def flat(self) -> bool:
        return self.contrast < FLAT_RANGE


def channel_histograms(image: Image.Image) -> Histograms:
    return np.asarray(image.histogram(), dtype=np.float64).reshape(-1, 256)


def exposure_of(histograms: Histograms, mode: str) -> Exposure:
    totals = histograms.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(histograms, axis=1) / totals
    means = (histograms * _TONES).sum(axis=1) / totals[:, 0]
    lows = [int(np.searchsorted(row, 0.01)) for row in cumulative]
    highs = [int(np.searchsorted(row, 0.99)) for row in cumulative]
    return Exposure(
        mean=float(np.dot(_LUMA[mode], means)),
        low=min(lows),
        high=max(highs),
        contrast=max(high - low for low, high in zip(lows, highs, strict=True)),
    )


def laplacian_variance(image: Image.Image) -> float:
    """How much fine detail the photo has: the variance of its 4-neighbour Laplacian."""
    grey = np.asarray(image if image.mode == "L" else image.convert("L"), dtype=np.float32)
    if grey.shape[0] < 3 or grey.shape[1] < 3:
        return 0.0
    centre = grey[1:-1, 1:-1]
    laplacian = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * centre
    return float(laplacian.var())


def _gamma_for(exposure: Exposure) -> float | None:
    """The gamma that lifts an underexposed photo's mean towards TARGET_MEAN, or None."""
    if exposure.flat or not (exposure.mean < DARK_MEAN and exposure.high < DARK_HIGH):
        return None
    return float(np.clip(np.log(TARGET_MEAN / 255) / np.log(exposure.mean / 255), 0.5, 0.95))


@dataclass(frozen=True)
class Stretch:
    """Levels: tones ``low``..``high`` spread linearly over ``new_low``..``new_high``."""

    low: float
    high: float
    new_low: float
    new_high: float

    @property
    def gain(self) -> float:
        return (self.new_high - self.new_low) / (self.high - self.low)

    def __call__(self, tones: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return (tones - self.low) * self.gain + self.new_low


def _stretch_for(exposure: Exposure, flat_below: int) -> Stretch | None:
    """The stretch that gives a flat photo its contrast back, or None when it has enough."""
    if exposure.flat or exposure.contrast >= flat_below:
        return None
    extra = min(exposure.contrast * MAX_GAIN, TARGET_RANGE) - exposure.contrast
    # Widen both ends evenly; an end already at black or white stays there and the other takes more.
    room_below, room_above = exposure.low, 255 - exposure.high
    below = min(room_below, max(extra / 2, extra - room_above))
    above = min(room_above, extra - below)
    if below + above < (exposure.high - exposure.low) * (MIN_GAIN - 1):
        return None
    return Stretch(exposure.low, exposure.high, exposure.low - below, exposure.high + above)


def _remap(histograms: Histograms, table: npt.NDArray[np.float64]) -> Histograms:
    """The histograms the image would have after ``table``."""
    indices = np.clip(np.rint(table), 0, 255).astype(np.intp)
    return np.stack([np.bincount(indices, weights=row, minlength=256) for row in histograms])


def _tone_table(image: Image.Image, role: PhotoRole, steps: list[str]) -> list[int] | None:
    """One lookup table for every tone change the photo needs, or None when it needs none."""
    histograms = channel_histograms(image)
    table = _TONES
    gamma = _gamma_for(exposure_of(histograms, image.mode))
    if gamma is not None:
        table = 255.0 * (_TONES / 255.0) ** gamma
        histograms = _remap(histograms, table)
        steps.append(f"brightness:gamma{gamma:.2f}")
    flat_below = PRODUCT_LOW_CONTRAST_RANGE if role is PhotoRole.PRODUCT else WASHED_OUT_RANGE
    stretch = _stretch_for(exposure_of(histograms, image.mode), flat_below)
    if stretch is not None:
        table = stretch(table)
        steps.append(f"contrast:{stretch.gain:.2f}")
    if gamma is None and stretch is None:
        return None
    return [int(v) for v in np.clip(np.rint(table), 0, 255)]


def enhance(image: Image.Image, role: PhotoRole, steps: list[str]) -> Image.Image:
    """``image`` (L or RGB) with only the enhancement it needs for ``role``; steps say what."""
    table = _tone_table(image, role, steps)
    if table is not None:
        image = image.point(table * len(image.getbands()))
    if role is PhotoRole.DETAIL and laplacian_variance(image) < SOFT_LAPLACIAN_VARIANCE:
        image = image.filter(SHARPEN)
        steps.append("sharpen:unsharp_mask")
    return image
