"""The upstream's JPEG: baseline, sRGB, no metadata, within the byte budget.

The first quality is chosen before anything is encoded whole: a sample of
the image (one 16x16 MCU in ``_SAMPLE_EVERY``, staggered from one MCU row to
the next) is encoded and its entropy-coded bytes scaled up to the whole image,
which predicts the whole JPEG's size (measured on generated photos, busy,
flat, half empty, 800x800 to 1200x1200, q75-q90: the prediction is
``_SAMPLE_BIAS`` too big on average, spread ~1 %). The configured quality is
kept unless the prediction is over the target; then the highest quality
predicted to fit (with ``_SAMPLE_MARGIN``) is found on the sample, and the
image is encoded whole once at it: most photos over the target take one whole
encode instead of two or three. The whole encode is what counts: if it is
still over, the highest quality that fits is searched down to the minimum
quality on whole encodes; below that the target is given up with a
warning, but the hard limit never is: quality keeps falling, and as a last
resort (tiny configured budgets) the image is scaled down. The price of
predicting: when the true size sits within the prediction's spread of the
target, the quality may be one step below the highest that fits.

Pillow's encoder is the fastest exact choice measured (1200x900 at q90, about
7-8 ms on one core): libvips ``jpegsave_buffer`` gives the same pixels (with
``subsample_mode="on"``; its default drops 4:2:0 at Q >= 90) but takes about
10-11 ms; simplejpeg's encoder is as fast but makes different bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from services.preprocess.settings import PreprocessSettings

_LOWEST_QUALITY = 5
_TYPICAL_SLOPE = -0.5
_MAX_SHRINKS = 8
# The sample: one 16x16 MCU (4:2:0) in this many, so its encode costs about 1/8 of a whole one.
_SAMPLE_EVERY = 8
_MCU = 16
# Fewer MCUs than this in the sample and its prediction is too rough: encode whole first.
_SAMPLE_MIN_MCUS = 64
# The sample's MCUs are not neighbours: every DC difference starts from an unrelated block, so
# the scaled-up sample over-predicts by this much on average (measured, see the docstring).
_SAMPLE_BIAS = 1.015
# A quality chosen on the sample aims this far below the target, so the whole encode fits.
_SAMPLE_MARGIN = 0.005


@dataclass(frozen=True)
class EncodedJpeg:
    data: bytes
    quality: int
    width: int
    height: int


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Baseline JPEG, 4:2:0, with no EXIF, ICC, XMP or comment (nothing from the source leaks)."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling="4:2:0", progressive=False, comment=b"")
    return buffer.getvalue()


@dataclass(frozen=True)
class _Trial:
    """One quality tried: the whole JPEG's size (predicted, for a sample) and its bytes (whole)."""

    quality: int
    size: int
    data: bytes = b""


Encoder = Callable[[int], _Trial]


def _whole(image: Image.Image) -> Encoder:
    def encode(quality: int) -> _Trial:
        data = encode_jpeg(image, quality)
        return _Trial(quality, len(data), data)

    return encode


def _entropy_coded_start(jpeg: bytes) -> int:
    """Where the entropy-coded data starts: after the (first) start-of-scan header."""
    sos = jpeg.index(b"\xff\xda")
    return sos + 2 + int.from_bytes(jpeg[sos + 2 : sos + 4], "big")


def _sampled(image: Image.Image) -> Encoder | None:
    """A predictor of the whole JPEG's size at any quality, from an encode of one MCU in
    ``_SAMPLE_EVERY`` (the i-th MCU row takes columns 3i, 3i + 8, ...: staggered, so a
    vertical edge or a busy column is not missed or over-counted); None when too small."""
    rows, columns = image.height // _MCU, image.width // _MCU // _SAMPLE_EVERY
    if rows * columns < _SAMPLE_MIN_MCUS:
        return None
    pixels = np.asarray(image)
    bands = 1 if pixels.ndim == 2 else pixels.shape[2]
    tiles = pixels[: rows * _MCU, : columns * _SAMPLE_EVERY * _MCU].reshape(
        rows, _MCU, columns * _SAMPLE_EVERY, _MCU, bands
    )
    picked = (np.arange(rows)[:, None] * 3 + np.arange(columns)[None, :] * _SAMPLE_EVERY) % (
        columns * _SAMPLE_EVERY
    )
    sample = tiles[np.arange(rows)[:, None], :, picked]  # rows x columns x MCU x MCU x bands
    packed = sample.transpose(0, 2, 1, 3, 4).reshape(rows * _MCU, columns * _MCU, bands)
    sample_image = Image.fromarray(np.ascontiguousarray(packed if bands > 1 else packed[:, :, 0]))
    scale = image.width * image.height / (sample_image.width * sample_image.height) / _SAMPLE_BIAS

    def predict(quality: int) -> _Trial:
        data = encode_jpeg(sample_image, quality)
        start = _entropy_coded_start(data)
        return _Trial(quality, round(start + (len(data) - start) * scale))

    return predict


def _predicted_quality(over: _Trial, fits: _Trial | None, limit: int) -> float:
    """The quality whose JPEG should weigh ``limit`` bytes.

    Measured on photos from 60 to 95: size ~ (100 - quality) ** -0.5. With a second trial the
    line through both (in log-log) replaces the typical slope.
    """
    x_over, y_over = math.log(100 - over.quality), math.log(over.size)
    slope = _TYPICAL_SLOPE
    if fits is not None:
        measured = (y_over - math.log(fits.size)) / (x_over - math.log(100 - fits.quality))
        slope = measured if measured < 0 else slope
    return 100 - math.exp(x_over + (math.log(limit) - y_over) / slope)


def _highest_quality_within(encode: Encoder, low: int, over: _Trial, limit: int) -> _Trial | None:
    """The highest quality from ``low`` up to below ``over`` (known too big) that fits ``limit``.

    Each guess comes from the size model, so two or three encodes usually suffice where a
    bisection of 70..89 needs five or six.
    """
    fits: _Trial | None = None
    while True:
        floor = fits.quality + 1 if fits else low
        if floor >= over.quality:
            return fits
        guess = _predicted_quality(over, fits, limit)
        trial = encode(int(min(max(guess, floor), over.quality - 1)))
        if trial.size <= limit:
            fits = trial
        elif fits is None and trial.quality == low:
            return None
        else:
            over = trial


def _first_quality(image: Image.Image, settings: PreprocessSettings) -> int:
    """The configured quality, or a lower one when the sample predicts it over the target."""
    predict = _sampled(image)
    if predict is None:
        return settings.jpeg_quality
    configured = predict(settings.jpeg_quality)
    if configured.size <= settings.target_bytes:
        return settings.jpeg_quality
    aim = int(settings.target_bytes * (1 - _SAMPLE_MARGIN))
    found = _highest_quality_within(predict, settings.jpeg_min_quality, configured, aim)
    return found.quality if found else min(settings.jpeg_min_quality, settings.jpeg_quality)


def encode_within_budget(
    image: Image.Image, settings: PreprocessSettings, steps: list[str], warnings: list[str]
) -> EncodedJpeg:
    """``image`` (RGB) as a JPEG that meets the target if it can and the hard limit always."""
    whole = _whole(image)
    chosen = whole(_first_quality(image, settings))
    if chosen.size > settings.target_bytes:
        found = _highest_quality_within(
            whole, settings.jpeg_min_quality, chosen, settings.target_bytes
        )
        if found is None:
            warnings.append(
                f"the {settings.target_bytes}-byte target cannot be met at quality "
                f"{settings.jpeg_min_quality} or above"
            )
            quality = min(settings.jpeg_min_quality, chosen.quality)
            found = chosen if quality == chosen.quality else whole(quality)
        chosen = found
    for _ in range(_MAX_SHRINKS):
        if chosen.size <= settings.max_output_bytes:
            steps.append(f"encode_jpeg:q{chosen.quality}")
            return EncodedJpeg(chosen.data, chosen.quality, image.width, image.height)
        found = _highest_quality_within(whole, _LOWEST_QUALITY, chosen, settings.max_output_bytes)
        if found is None:
            image = _shrink_to_fit(image, chosen.size, settings.max_output_bytes, steps, warnings)
            whole = _whole(image)
            found = whole(settings.jpeg_min_quality)
        chosen = found
    raise RuntimeError(f"cannot fit a JPEG in {settings.max_output_bytes} bytes")


def _shrink_to_fit(
    image: Image.Image, size: int, limit: int, steps: list[str], warnings: list[str]
) -> Image.Image:
    ratio = (limit / size) ** 0.5 * 0.9
    target = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    steps.append(f"resize:{image.width}x{image.height}->{target[0]}x{target[1]}")
    message = "scaled below the configured geometry to meet the byte limit"
    if message not in warnings:
        warnings.append(message)
    return image.resize(target, Image.Resampling.LANCZOS)
