"""The upstream's JPEG: baseline, sRGB, no metadata, within the byte budget.

The configured quality is tried first and kept when it fits the target
(most photos: one encode). Otherwise the highest quality that fits is searched
down to the minimum quality; below that the target is given up with a
warning, but the hard limit never is: quality keeps falling, and as a last
resort (tiny configured budgets) the image is scaled down.

Pillow's encoder is the fastest exact choice measured (1200x900 at q90, about
7-8 ms on one core): libvips ``jpegsave_buffer`` gives the same pixels (with
``subsample_mode="on"``; its default drops 4:2:0 at Q >= 90) but takes about
10-11 ms; simplejpeg's encoder is as fast but makes different bytes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from services.preprocess.settings import PreprocessSettings

_LOWEST_QUALITY = 5
_TYPICAL_SLOPE = -0.5
_MAX_SHRINKS = 8


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
    quality: int
    data: bytes


def _predicted_quality(over: _Trial, fits: _Trial | None, limit: int) -> float:
    """The quality whose JPEG should weigh ``limit`` bytes.

    Measured on photos from 60 to 95: size ~ (100 - quality) ** -0.5. With a second trial the
    line through both (in log-log) replaces the typical slope.
    """
    x_over, y_over = math.log(100 - over.quality), math.log(len(over.data))
    slope = _TYPICAL_SLOPE
    if fits is not None:
        measured = (y_over - math.log(len(fits.data))) / (x_over - math.log(100 - fits.quality))
        slope = measured if measured < 0 else slope
    return 100 - math.exp(x_over + (math.log(limit) - y_over) / slope)


def _highest_quality_within(
    image: Image.Image, low: int, over: _Trial, limit: int
) -> _Trial | None:
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
        quality = int(min(max(guess, floor), over.quality - 1))
        trial = _Trial(quality, encode_jpeg(image, quality))
        if len(trial.data) <= limit:
            fits = trial
        elif fits is None and quality == low:
            return None
        else:
            over = trial


def encode_within_budget(
    image: Image.Image, settings: PreprocessSettings, steps: list[str], warnings: list[str]
) -> EncodedJpeg:
    """``image`` (RGB) as a JPEG that meets the target if it can and the hard limit always."""
    chosen = _Trial(settings.jpeg_quality, encode_jpeg(image, settings.jpeg_quality))
    if len(chosen.data) > settings.target_bytes:
        found = _highest_quality_within(
            image, settings.jpeg_min_quality, chosen, settings.target_bytes
        )
        if found is None:
            warnings.append(
                f"the {settings.target_bytes}-byte target cannot be met at quality "
                f"{settings.jpeg_min_quality} or above"
            )
            quality = min(settings.jpeg_min_quality, chosen.quality)
            found = _Trial(quality, encode_jpeg(image, quality))
        chosen = found
    for _ in range(_MAX_SHRINKS):
        if len(chosen.data) <= settings.max_output_bytes:
            steps.append(f"encode_jpeg:q{chosen.quality}")
            return EncodedJpeg(chosen.data, chosen.quality, image.width, image.height)
        found = _highest_quality_within(image, _LOWEST_QUALITY, chosen, settings.max_output_bytes)
        if found is None:
            image = _shrink_to_fit(
                image, len(chosen.data), settings.max_output_bytes, steps, warnings
            )
            found = _Trial(settings.jpeg_min_quality, encode_jpeg(image, settings.jpeg_min_quality))
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
